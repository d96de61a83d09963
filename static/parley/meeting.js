// The meeting page: copy the invite link, confirm cancelling, and "Generate summary" — queued on
// the server's task queue; the page polls its state and shows the summary when it is done.
const input = document.querySelector("[data-copy-source]");
const copyButton = document.querySelector("[data-copy-button]");
const copyStatus = document.getElementById("copy-status");
if (input && copyButton) {
  input.addEventListener("focus", () => input.select());
  copyButton.addEventListener("click", async () => {
    input.select();
    try { await navigator.clipboard.writeText(input.value); copyStatus.textContent = "Link copied."; }
    catch { copyStatus.textContent = "Press Ctrl+C (or ⌘C) to copy the selected link."; }
  });
}

for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => { if (!window.confirm(form.dataset.confirm)) event.preventDefault(); });
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : document.querySelector("[name=csrfmiddlewaretoken]")?.value;
}

const section = document.querySelector("[data-summary]");
const button = section?.querySelector("[data-generate-summary]");
const progress = section?.querySelector("[data-summary-progress]");
const text = section?.querySelector("[data-summary-text]");
const STEPS = { queued: "Queued — waiting for a worker…", running: "Summarising the transcript…" };

function show(body) {
  section.dataset.summaryStatus = body.status;
  const busy = body.status === "queued" || body.status === "running";
  button.disabled = busy;
  button.setAttribute("aria-busy", String(busy));
  progress.textContent = busy ? STEPS[body.status] : body.status === "failed" ? (body.error || "Failed.")
    : body.status === "done" ? "Summary ready." : "";
  if (body.summary) {
    text.replaceChildren(...body.summary.split("\n").flatMap((line, i) =>
      i ? [document.createElement("br"), document.createTextNode(line)] : [document.createTextNode(line)]));
    button.textContent = "Generate summary again";
  }
  return busy;
}

async function poll() {
  const started = Date.now();
  let delay = 500;
  while (Date.now() - started < 10 * 60 * 1000) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 1.5, 4000);
    const response = await fetch(section.dataset.summaryUrl, { credentials: "same-origin",
      headers: { Accept: "application/json" } });
    if (!response.ok) { progress.textContent = "Could not read the summary's progress."; return; }
    if (!show(await response.json())) return;
  }
}

if (button) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    progress.textContent = "Queuing…";
    const response = await fetch(section.dataset.summaryUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      button.disabled = false;
      progress.textContent = body.message || body.detail || "Could not start the summary.";
      return;
    }
    if (show(body)) poll();
  });
  if (["queued", "running"].includes(section.dataset.summaryStatus)) poll();
}
