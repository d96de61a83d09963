/**
 * Files in the room: the "Files" panel lists the room's files, uploads one (hosts and
 * participants), and downloads through the room's file API with the room token
 * (sdk/files.js). When someone uploads, the others get `file-shared` and list again, with a
 * notice. Names reach the DOM through textContent only.
 */
import { RoomFiles } from "../sdk.js";
import { $, el, planAllows, toast } from "./dom.js";

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function mount({ room, config }) {
  const panelButton = $("[data-panel-toggle='files']");
  const form = $("[data-files-form]");
  const input = $("[data-files-input]");
  const list = $("[data-files-list]");
  const empty = $("[data-files-empty]");
  if (!planAllows(config, "files")) {
    input.hidden = true;
    form.querySelector("label").hidden = true;
    $("[data-files-plan]").hidden = false;
    empty.textContent = "Room files are part of Professional.";
    return null;
  }
  const files = new RoomFiles(room);
  window.parleyFiles = files;
  let known = null; // filenames listed so far

  async function refresh({ announce = false } = {}) {
    let items;
    try {
      items = await files.list();
    } catch (err) {
      console.warn("parley: files", err);
      return;
    }
    const before = known;
    known = new Set(items.map((f) => f.filename));
    list.replaceChildren(...items.map((file) => el("li", { class: "file", "data-filename": file.filename },
      el("span", { class: "file-name", text: file.originalName }),
      el("span", { class: "muted small", text: size(file.size) }),
      el("button", { type: "button", class: "small ghost", text: "Download",
        "aria-label": `Download ${file.originalName}`, onclick: () => download(file) }))));
    empty.hidden = items.length > 0;
    if (announce && before) {
      const fresh = items.filter((f) => !before.has(f.filename));
      for (const f of fresh) {
        toast(`New file: ${f.originalName}`);
        list.querySelector(`[data-filename="${CSS.escape(f.filename)}"]`)?.classList.add("fresh");
      }
      if (fresh.length && panelButton.getAttribute("aria-pressed") !== "true") panelButton.classList.add("unread");
    }
  }

  async function download(file) {
    try {
      const blob = await files.download(file.filename);
      const url = URL.createObjectURL(blob);
      const link = el("a", { href: url, download: file.originalName, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      toast(`The file could not be downloaded (${err.message}).`);
    }
  }

  const canUpload = () => (room.me?.role || config.role) !== "viewer";
  function render() {
    input.disabled = !canUpload();
    form.hidden = !canUpload();
  }

  input.addEventListener("change", async () => {
    const file = input.files?.[0];
    if (!file) return;
    input.disabled = true;
    try {
      await files.upload(file, file.name);
      toast(`Shared ${file.name}.`);
      await refresh();
    } catch (err) {
      toast(err.status === 413 ? "That file is too large." : `The file could not be uploaded (${err.message}).`);
    } finally {
      input.value = "";
      render();
    }
  });
  form.addEventListener("submit", (e) => e.preventDefault());
  files.on("shared", () => refresh({ announce: true }));
  room.on("files-changed", () => refresh());
  room.on("connected", () => { render(); refresh(); });
  room.on("reconnected", () => refresh({ announce: true }));
  render();
  return files;
}
