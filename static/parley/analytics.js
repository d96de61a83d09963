// The analytics dashboard: the five /reporting/... reports (the seed's endpoints, with the page's
// session) as Chart.js charts and tables; the filters go to every report as its query string.
const form = document.querySelector("[data-filters]");
const status = document.querySelector("[data-analytics-status]");
const Chart = window.Chart;
const charts = {};
const PALETTE = ["#5b4ff5", "#12a36d", "#f59e0b", "#e5484d", "#0ea5e9", "#a855f7", "#64748b", "#14b8a6"];
const REPORTS = {
  total: "/reporting/total-sessions-for-user",
  days: "/reporting/total-sessions-aggregation-for-user",
  types: "/reporting/total-sessions-statistics-for-user",
  locations: "/reporting/total-sessions-by-location-for-user",
  cities: "/reporting/total-sessions-and-participants-count-by-location-for-user",
};

function query() {
  const data = new FormData(form);
  const params = new URLSearchParams();
  const start = data.get("start"), end = data.get("end");
  if (start) params.set("startDateRange", new Date(`${start}T00:00:00`).toISOString());
  if (end) params.set("endDateRange", new Date(`${end}T23:59:59.999`).toISOString());
  for (const name of ["sessionType", "domain", "countryCode", "cityName"]) {
    const value = String(data.get(name) || "").trim();
    if (value) params.set(name, value);
  }
  if (data.get("scope")) params.set("userID", data.get("scope"));
  return params.toString();
}

async function report(name, qs) {
  const response = await fetch(`${REPORTS[name]}?${qs}`, { credentials: "same-origin",
    headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message || body.detail || `${name}: ${response.status}`);
  return body.data;
}

function draw(name, config) {
  const canvas = document.querySelector(`[data-chart="${name}"]`);
  if (!canvas || !Chart) return;
  charts[name]?.destroy();
  config.options = { responsive: true, maintainAspectRatio: false, animation: false, ...config.options };
  charts[name] = new Chart(canvas, config);
}

function fill(name, rows) {
  const body = document.querySelector(`[data-table="${name}"] tbody`);
  if (!body) return;
  body.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    for (const cell of cells) {
      const td = document.createElement("td");
      td.textContent = String(cell);
      if (typeof cell === "number") td.className = "num";
      tr.append(td);
    }
    return tr;
  }));
  if (!rows.length) {
    const tr = document.createElement("tr");
    const td = Object.assign(document.createElement("td"), { colSpan: 4, textContent: "No sessions." });
    tr.append(td);
    body.append(tr);
  }
}

const dayFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", timeZone: "UTC" });

function showDays(data) {
  const labels = data.map((d) => dayFormat.format(new Date(d.date)));
  const domains = [...new Set(data.flatMap((d) => d.domainCounts.map((c) => c.domain)))].sort();
  draw("days", { type: "bar", data: { labels, datasets: domains.map((domain, i) => ({
    label: domain || "(none)", backgroundColor: PALETTE[i % PALETTE.length],
    data: data.map((d) => d.domainCounts.find((c) => c.domain === domain)?.count || 0),
  })) }, options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } } });
  fill("days", data.flatMap((d) => d.domainCounts.map((c) =>
    [dayFormat.format(new Date(d.date)), c.domain || "(none)", c.count])).reverse());
}

function showTypes(data) {
  const rows = data.totalSessionsByType;
  draw("types", { type: "doughnut", data: { labels: rows.map((r) => r.sessionType), datasets: [{
    data: rows.map((r) => r.totalSessions), backgroundColor: PALETTE }] } });
  fill("types", rows.map((r) => [r.sessionType, r.totalSessions]));
}

function showLocations(data) {
  const top = data.slice(0, 12);
  draw("locations", { type: "bar", data: { labels: top.map((r) => `${r._id.city}, ${r._id.country}`),
    datasets: [{ label: "Sessions", data: top.map((r) => r.count), backgroundColor: PALETTE[0] }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } } } });
  fill("locations", data.map((r) => [r._id.city, r._id.region, r._id.country_name, r.count]));
}

function showCities(data) {
  const top = data.slice(0, 12);
  draw("cities", { type: "bar", data: { labels: top.map((r) => r._id), datasets: [
    { label: "Sessions", data: top.map((r) => r.totalSessions), backgroundColor: PALETTE[0] },
    { label: "Participants", data: top.map((r) => r.totalParticipants), backgroundColor: PALETTE[1] },
  ] } });
  fill("cities", data.map((r) => [r._id, r.totalSessions, r.totalParticipants]));
}

async function refresh() {
  const qs = query();
  status.textContent = "Loading…";
  const started = performance.now();
  const jobs = [
    report("total", qs).then((n) => { document.querySelector("[data-total]").textContent = n.toLocaleString(); }),
    report("days", qs).then(showDays),
    report("types", qs).then(showTypes),
  ];
  if (document.querySelector('[data-chart="locations"]')) {
    jobs.push(report("locations", qs).then(showLocations), report("cities", qs).then(showCities));
  }
  const results = await Promise.allSettled(jobs);
  const failed = results.filter((r) => r.status === "rejected");
  status.textContent = failed.length ? failed.map((r) => r.reason.message).join(" · ")
    : `Updated in ${Math.round(performance.now() - started)} ms.`;
  document.body.dataset.analyticsReady = String(Date.now());
}

form.addEventListener("submit", (event) => { event.preventDefault(); refresh(); });
refresh();
