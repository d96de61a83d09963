/**
 * The whiteboard (sdk/whiteboard.js on a Konva stage). Hosts turn it on and off for everyone
 * ("Whiteboard" toggle, `whiteBoardToggle`); hosts and participants draw with pen or eraser in
 * a colour and size, undo the latest stroke and clear the board; viewers watch. "Save to files"
 * stores a PNG of the board among the meeting's files. Konva comes from npm
 * (`/static/vendor/konva/`, loaded as a classic script before this module).
 */
import { RoomFiles, Whiteboard } from "../sdk.js";
import { $, el, planAllows, toast } from "./dom.js";

export function mount({ room, config }) {
  const toggle = $("[data-wb-toggle]");
  const section = $("[data-whiteboard]");
  const canvas = $("[data-wb-canvas]");
  const tools = $("[data-wb-tools]");
  const stage = $(".stage");
  const isHost = () => (room.me?.role || config.role) === "host";

  if (!planAllows(config, "whiteboard")) {
    // The plan lacks it: the host sees the control marked "Part of Professional" (docs/plans.md).
    toggle.hidden = config.role !== "host";
    toggle.setAttribute("aria-disabled", "true");
    toggle.title = "The whiteboard is part of Professional";
    toggle.querySelector(".label").replaceChildren(el("span", { class: "plan-badge", text: "Part of Professional" }));
    toggle.addEventListener("click", () => toast("The whiteboard is part of Professional."));
    return null;
  }
  if (!window.Konva) {
    console.warn("parley: Konva is not loaded; no whiteboard");
    return null;
  }

  const board = new Whiteboard(room, { container: canvas, Konva: window.Konva });
  const files = new RoomFiles(room);
  window.parleyWhiteboard = board; // for diagnostics and tests, like window.parleyRoom

  function fit() {
    if (!section.hidden) board.fit(Math.max(200, canvas.clientWidth));
  }
  new ResizeObserver(fit).observe(canvas);

  function render() {
    toggle.hidden = !isHost();
    toggle.setAttribute("aria-pressed", String(board.enabled));
    section.hidden = !board.enabled;
    stage.classList.toggle("with-whiteboard", board.enabled);
    const drawer = board.canDraw;
    for (const node of tools.querySelectorAll("button, input")) node.hidden = !drawer;
    for (const label of tools.querySelectorAll("label")) label.hidden = !drawer;
    $("[data-wb-watch]", tools).hidden = drawer;
    canvas.classList.toggle("drawing", drawer);
    requestAnimationFrame(fit);
  }

  board.on("enabled", (on) => {
    render();
    if (room.status === "connected" && !isHost()) {
      toast(on ? "The host opened the whiteboard." : "The host closed the whiteboard.");
    }
  });
  room.on("connected", render);
  room.on("reconnected", render);

  toggle.addEventListener("click", () => {
    if (!isHost()) return;
    board.setEnabled(!board.enabled);
    render();
  });

  for (const button of tools.querySelectorAll("[data-wb-tool]")) {
    button.addEventListener("click", () => {
      board.tool = button.dataset.wbTool;
      for (const b of tools.querySelectorAll("[data-wb-tool]")) {
        const on = b === button;
        b.setAttribute("aria-pressed", String(on));
        b.classList.toggle("ghost", !on);
      }
    });
  }
  $("[data-wb-color]", tools).addEventListener("input", (e) => { board.color = e.target.value; });
  $("[data-wb-size]", tools).addEventListener("input", (e) => { board.size = Number(e.target.value); });
  $("[data-wb-undo]", tools).addEventListener("click", () => board.undo());
  $("[data-wb-clear]", tools).addEventListener("click", () => board.clear());
  const save = $("[data-wb-save]", tools);
  if (!planAllows(config, "files")) {
    save.disabled = true;
    save.title = "Part of Professional";
  }
  save.addEventListener("click", async () => {
    save.disabled = true;
    try {
      const blob = await board.toBlob();
      const stamp = new Date().toISOString().slice(0, 16).replace("T", " ").replace(":", "-");
      await files.upload(blob, `Whiteboard ${stamp}.png`);
      toast("The whiteboard was saved to the meeting's files.");
      room.emit("files-changed");
    } catch (err) {
      toast(err.status === 413 ? "The whiteboard image is too large to store." : `The whiteboard could not be saved (${err.message}).`);
    } finally {
      save.disabled = false;
    }
  });
  render();
  return board;
}
