// The meeting page's "Copy link" button (a file, not an inline script: pages allow no inline
// script under the Content-Security-Policy, docs/security.md).
const input = document.querySelector("[data-copy-source]");
const button = document.querySelector("[data-copy-button]");
const status = document.getElementById("copy-status");
if (input && button && status) {
  input.addEventListener("focus", () => input.select());
  button.addEventListener("click", async () => {
    input.select();
    try { await navigator.clipboard.writeText(input.value); status.textContent = "Link copied."; }
    catch { status.textContent = "Press Ctrl+C (or ⌘C) to copy the selected link."; }
  });
}
