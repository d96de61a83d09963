// Times in the viewer's own time zone: every <time datetime="ISO" data-format="…"> is rewritten
// with Intl; datetime-local inputs marked data-utc (a server value in UTC) are shown in local time,
// and hidden [data-time-zone] inputs tell the server which zone the form was filled in.
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
const formats = {
  long: { weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit",
          timeZoneName: "short" },
  short: { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" },
  date: { day: "numeric", month: "short", year: "numeric" },
  time: { hour: "2-digit", minute: "2-digit" },
  seconds: { hour: "2-digit", minute: "2-digit", second: "2-digit" },
};

export function formatTimes(root = document) {
  for (const el of root.querySelectorAll("time[datetime][data-format]")) {
    const when = new Date(el.getAttribute("datetime"));
    if (Number.isNaN(when.getTime())) continue;
    const options = formats[el.dataset.format] || formats.short;
    el.textContent = new Intl.DateTimeFormat(undefined, options).format(when);
    el.title = when.toISOString();
  }
  for (const el of root.querySelectorAll("[data-duration-from][data-duration-to]")) {
    const ms = new Date(el.dataset.durationTo) - new Date(el.dataset.durationFrom);
    if (!(ms >= 0)) continue;
    const minutes = Math.round(ms / 60000);
    el.textContent = minutes < 1 ? `${Math.round(ms / 1000)} s`
      : minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  }
}

function pad(n) { return String(n).padStart(2, "0"); }

export function localInputs(root = document) {
  for (const input of root.querySelectorAll("[data-time-zone]")) input.value = zone;
  for (const input of root.querySelectorAll("input[type=datetime-local][data-utc]")) {
    if (!input.value) continue;
    const when = new Date(`${input.value}Z`);
    if (Number.isNaN(when.getTime())) continue;
    input.value = `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}T` +
      `${pad(when.getHours())}:${pad(when.getMinutes())}`;
  }
  for (const help of root.querySelectorAll("[data-zone-name]")) help.textContent = `Times are in ${zone}.`;
}

formatTimes();
localInputs();
