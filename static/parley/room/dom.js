/**
 * DOM helpers shared by the room page's feature modules. Everything a person typed
 * (names, chat, file names, captions) reaches the DOM through textContent only — `el`'s
 * `text` attribute — never through innerHTML.
 */

export const $ = (selector, root = document) => root.querySelector(selector);

/** `el("button", {class: "small", text: "Mute", onclick}, child…)` */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

export function initials(name) {
  const parts = String(name || "?").trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] || "?") + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
}

/** A short notice in the page's `[data-toasts]` live region. */
export function toast(text) {
  const region = $("[data-toasts]");
  if (!region) return;
  const item = el("div", { class: "toast", text });
  region.append(item);
  setTimeout(() => item.remove(), 5000);
}

/** A server time (ms, or seconds as the seed's examples use, or an ISO string) as a Date. */
export function toDate(time) {
  if (time === undefined || time === null) return new Date();
  const n = typeof time === "number" ? time : Date.parse(time);
  if (Number.isNaN(n)) return new Date();
  return new Date(n < 1e12 ? n * 1000 : n);
}

export function micOffIcon() {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", "M12 3a3 3 0 0 0-3 3v5a3 3 0 0 0 4.8 2.4M15 10V6a3 3 0 0 0-5.6-1.5M5 11a7 7 0 0 0 11.2 5.6M19 11a7 7 0 0 1-.6 2.8M12 18v3M4 4l16 16");
  svg.append(path);
  return svg;
}

/** Ask before something that cannot be undone; resolves true when confirmed (the page's `[data-confirm]`). */
export function confirmAction({ title, text, ok = "Confirm" }) {
  const dialog = $("[data-confirm]");
  if (!dialog) return Promise.resolve(window.confirm(`${title}\n\n${text}`));
  $("[data-confirm-title]", dialog).textContent = title;
  $("[data-confirm-text]", dialog).textContent = text;
  $("[data-confirm-ok]", dialog).textContent = ok;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

/** "Part of Professional" instead of a control the tenant's plan does not include (docs/plans.md). */
export function planAllows(config, feature) {
  const features = config.plan?.features;
  return !Array.isArray(features) || features.includes(feature);
}
