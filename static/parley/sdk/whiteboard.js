/**
 * The shared whiteboard: a Konva stage kept in step with the room's whiteboard events.
 *
 *   const board = new Whiteboard(room, { container, Konva });   // Konva: the konva npm package
 *   board.tool = "pen" | "eraser"; board.color = "#1d4ed8"; board.size = 4;
 *   board.undo(); board.clear(); await board.toBlob();           // a PNG of the board
 *   board.on("change", () => …); board.on("enabled", (on) => …);
 *
 * Wire format (docs/protocol.md, "Whiteboard"): a stroke is `sendDrawingData` frames
 *   {drawingType: "mousedown", payload: {id, tool, color, size, pos: {x, y}}}
 *   {drawingType: "mousemove", payload: {id, n, pos}}           (n: the point's index, from 1)
 *   {drawingType: "mouseup",   payload: {id}}
 * with positions in board units (a fixed BOARD_WIDTH × BOARD_HEIGHT plane, whatever size the
 * stage is drawn at). `Un-do` removes the latest stroke, `clear-whiteBoard` everything;
 * `white-board-stage` carries `stage.toObject()` (Konva JSON) — sent when the board grows
 * past COMPACT_AFTER events, so a late joiner replays one stage and few strokes. The server
 * keeps the board and answers `whiteBoardStateRequest` (in parts when large).
 */
import { Emitter } from "./emitter.js";

export const BOARD_WIDTH = 1600;
export const BOARD_HEIGHT = 900;
const COMPACT_AFTER = 4000; // stroke events since the last stage before a member sends a new stage
const END_TYPES = new Set(["mousemove", "mouseup", "touchmove", "touchend", "pointermove", "pointerup", "move", "end", "draw"]);

function strokeId() {
  return (globalThis.crypto?.randomUUID?.() || `${Date.now()}-${Math.random()}`).slice(0, 36);
}

export class Whiteboard extends Emitter {
  constructor(room, { container, Konva, width = BOARD_WIDTH, height = BOARD_HEIGHT }) {
    super();
    if (!Konva) throw new Error("Whiteboard needs Konva (the konva npm package)");
    this.room = room;
    this.Konva = Konva;
    this.width = width;
    this.height = height;
    this.tool = "pen";
    this.color = "#1d4ed8";
    this.size = 4;
    this.enabled = false;
    this.lines = []; // Konva.Line per stroke, in order of their start
    this.byId = new Map();
    this.events = 0; // stroke events since the last stage
    this.loading = null; // live frames held back while a state answer is awaited
    this.parts = null;
    this.stage = new Konva.Stage({ container, width, height });
    this.paper = new Konva.Layer({ listening: false }); // white paper under the ink (eraser shows it)
    this.paper.add(new Konva.Rect({ x: 0, y: 0, width, height, fill: "#ffffff" }));
    this.ink = new Konva.Layer();
    this.stage.add(this.paper, this.ink);
    this.#pointer();
    this.#listen();
  }

  /** Whether this participant may draw (hosts and participants; viewers watch). */
  get canDraw() {
    const role = this.room.me?.role;
    return !!role && role !== "viewer";
  }

  /** Fit the stage to a box of `cssWidth` pixels (the board keeps its aspect ratio). */
  fit(cssWidth) {
    const scale = Math.max(0.1, cssWidth / this.width);
    this.stage.size({ width: Math.round(this.width * scale), height: Math.round(this.height * scale) });
    this.stage.scale({ x: scale, y: scale });
  }

  // ---- local drawing ----

  #pointer() {
    let current = null;
    const pos = () => {
      const p = this.stage.getRelativePointerPosition();
      return p && { x: Math.round(p.x * 10) / 10, y: Math.round(p.y * 10) / 10 };
    };
    this.stage.on("pointerdown", (e) => {
      if (!this.enabled || !this.canDraw || e.evt.button > 0) return;
      const at = pos();
      if (!at) return;
      const payload = { id: strokeId(), tool: this.tool, color: this.color, size: this.size, pos: at };
      current = payload.id;
      this.#apply({ drawingType: "mousedown", payload });
      this.#send("sendDrawingData", { drawingType: "mousedown", payload });
    });
    this.stage.on("pointermove", () => {
      if (!current) return;
      const line = this.byId.get(current);
      const at = pos();
      if (!line || !at) return;
      const payload = { id: current, n: line.points().length / 2, pos: at };
      this.#apply({ drawingType: "mousemove", payload });
      this.#send("sendDrawingData", { drawingType: "mousemove", payload });
    });
    const end = () => {
      if (!current) return;
      const payload = { id: current };
      current = null;
      this.#send("sendDrawingData", { drawingType: "mouseup", payload });
      if (this.events > COMPACT_AFTER) this.sendStage();
    };
    this.stage.on("pointerup pointerleave pointercancel", end);
  }

  #send(type, msg) {
    this.room.sendData({ type, msg });
  }

  undo() {
    if (!this.canDraw) return;
    this.#undo();
    this.#send("Un-do", {});
  }

  clear() {
    if (!this.canDraw) return;
    this.#clear();
    this.#send("clear-whiteBoard", {});
  }

  /** Hosts: show or hide the board for everyone. */
  setEnabled(on) {
    this.#setEnabled(on);
    this.#send("whiteBoardToggle", { flag: !!on });
  }

  /** Send the whole board as Konva JSON: the server keeps it and restarts its strokes. */
  sendStage() {
    this.events = 0;
    this.#send("white-board-stage", { stage: this.stage.toObject() });
  }

  /** A PNG of the board (paper and ink) at board size. */
  toBlob() {
    const scale = this.stage.scaleX();
    return this.stage.toBlob({ pixelRatio: 1 / scale, mimeType: "image/png" });
  }

  // ---- the room's frames ----

  #listen() {
    const room = this.room;
    const live = (frame) => {
      if (this.loading) this.loading.push(frame); else this.#onFrame(frame);
    };
    for (const type of ["sendDrawingData", "Un-do", "clear-whiteBoard"]) room.on(type, live);
    room.on("white-board-stage", (frame) => {
      if (frame.id === "server") this.#onState(frame.msg || {});
      else live(frame);
    });
    room.on("white-board-strokes", (frame) => this.#onStrokes(frame.msg || {}));
    room.on("whiteBoardToggle", (frame) => {
      const on = !!frame.msg?.flag;
      this.#setEnabled(on);
      if (on) this.requestState();
    });
    const joined = (state) => {
      const on = !!state?.whiteboard?.enabled;
      this.#setEnabled(on);
      if (on) this.requestState();
    };
    room.on("connected", joined);
    room.on("reconnected", joined);
  }

  /** Ask the server for the board (answered with white-board-stage, maybe in parts). */
  requestState() {
    this.loading = [];
    this.parts = null;
    this.#send("whiteBoardStateRequest", {});
  }

  #onState(msg) {
    if (typeof msg.enabled === "boolean") this.#setEnabled(msg.enabled);
    this.parts = { stage: msg.stage, strokes: [...(msg.strokes || [])], left: (msg.parts || 1) - 1 };
    if (this.parts.left <= 0) this.#replay();
  }

  #onStrokes(msg) {
    if (!this.parts) return;
    this.parts.strokes.push(...(msg.strokes || []));
    this.parts.left -= 1;
    if (this.parts.left <= 0) this.#replay();
  }

  #replay() {
    const { stage, strokes } = this.parts;
    this.parts = null;
    this.#reset();
    this.#restoreLine(stage);
    for (const event of strokes) this.#apply(event);
    const held = this.loading || [];
    this.loading = null;
    for (const frame of held) this.#onFrame(frame);
    this.emit("change");
  }

  /** The Konva.Line nodes anywhere in a stage's JSON (`stage.toObject()`), back on the ink layer. */
  #restoreLine(node) {
    if (!node || typeof node !== "object") return;
    if (node.className !== "Line" || !node.attrs) {
      for (const child of Array.isArray(node.children) ? node.children : []) this.#restoreLine(child);
      return;
    }
    const line = new this.Konva.Line({ ...node.attrs, listening: false });
    this.ink.add(line);
    this.lines.push(line);
    if (node.attrs.id) this.byId.set(node.attrs.id, line);
  }

  #onFrame(frame) {
    switch (frame.type) {
      case "sendDrawingData": this.#apply(frame.msg || {}); break;
      case "Un-do": this.#undo(); break;
      case "clear-whiteBoard": this.#clear(); break;
      case "white-board-stage":
        this.#reset();
        this.#restoreLine(frame.msg?.stage);
        break;
      default: return;
    }
    this.emit("change");
  }

  /** One stroke event, local or remote. Repeats (a frame both in a state answer and live) are ignored. */
  #apply({ drawingType, payload }) {
    if (!payload || typeof payload !== "object") return;
    this.events += 1;
    const point = payload.pos && Number.isFinite(payload.pos.x) && Number.isFinite(payload.pos.y)
      ? [payload.pos.x, payload.pos.y] : null;
    if (!END_TYPES.has(drawingType)) {
      if (!point || this.byId.has(payload.id)) return;
      const eraser = payload.tool === "eraser";
      const size = Math.min(200, Math.max(1, Number(payload.size) || 4));
      const line = new this.Konva.Line({
        id: String(payload.id || strokeId()),
        points: [...point, ...point],
        stroke: /^#[0-9a-fA-F]{3,8}$/.test(payload.color) ? payload.color : "#111827",
        strokeWidth: eraser ? size * 4 : size,
        lineCap: "round", lineJoin: "round", tension: 0.3,
        globalCompositeOperation: eraser ? "destination-out" : "source-over",
        listening: false,
      });
      this.ink.add(line);
      this.lines.push(line);
      this.byId.set(line.id(), line);
    } else if (point) {
      const line = this.byId.get(payload.id);
      if (!line) return;
      const have = line.points().length / 2;
      if (Number.isInteger(payload.n) && payload.n < have) return; // already drawn
      line.points(line.points().concat(point));
    }
    this.ink.batchDraw();
  }

  #undo() {
    const line = this.lines.pop();
    if (!line) return;
    this.byId.delete(line.id());
    line.destroy();
    this.ink.batchDraw();
  }

  #clear() {
    this.#reset();
    this.events = 0;
  }

  #reset() {
    for (const line of this.lines) line.destroy();
    this.lines = [];
    this.byId.clear();
    this.ink.destroyChildren();
    this.ink.batchDraw();
  }

  #setEnabled(on) {
    if (this.enabled === on) return;
    this.enabled = on;
    this.emit("enabled", on);
  }
}
