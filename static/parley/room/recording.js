/**
 * Recording. Hosts: "Record" records one composed view of the meeting in this browser (every
 * camera and screen as a tile, everyone's audio mixed — sdk/compositor.js) and streams it to
 * Parley over the recording socket (sdk/recorder.js); "Stop recording" finishes the upload and
 * queues the processing. Everyone: the recording indicator with the elapsed time, from the
 * room's state (`room_state.recording`, `recording` events) — so it agrees with REST
 * `/recording/start` and `/recording/stop` too. A REST stop of the recording this page
 * captures stops the capture here.
 */
import { Compositor, Recorder } from "../sdk.js";
import { $, toast } from "./dom.js";

export function mount({ room, config }) {
  const button = $("[data-record]");
  const label = button.querySelector(".label");
  const indicator = $("[data-recording-indicator]");
  const elapsed = $("[data-recording-elapsed]");
  let clockOffset = 0; // server clock − this clock
  let state = { active: false, recordingId: null, since: null };
  let recorder = null;
  let compositor = null;
  let timer = null;

  const capturing = () => !!recorder && recorder.state !== "idle";

  function render() {
    const host = room.me?.role === "host" || config.role === "host";
    button.hidden = !host;
    const busy = capturing();
    const text = busy ? "Stop recording" : "Record";
    button.setAttribute("aria-label", text);
    button.setAttribute("aria-pressed", String(busy));
    label.textContent = busy ? "Stop" : "Record";
    button.classList.toggle("recording", busy);
    const someoneElse = state.active && !(busy && recorder.recordingId === state.recordingId);
    button.disabled = recorder?.state === "stopping" || (!busy && someoneElse);
    button.title = !busy && someoneElse ? "Another recording is running in this room." : "";
    indicator.hidden = !state.active;
    clearInterval(timer);
    if (state.active) {
      tick();
      timer = setInterval(tick, 500);
    }
  }

  function tick() {
    const seconds = Math.max(0, Math.floor((Date.now() + clockOffset - (state.since || Date.now())) / 1000));
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = String(seconds % 60).padStart(2, "0");
    elapsed.textContent = h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
    elapsed.setAttribute("datetime", `PT${seconds}S`);
  }

  function apply(next) {
    const was = state.active;
    state = { active: !!next?.active, recordingId: next?.recordingId ?? null, since: next?.since ?? null };
    if (!state.active && capturing() && recorder.state === "recording" &&
        (!state.recordingId || state.recordingId === recorder.recordingId)) {
      stop(); // stopped elsewhere (REST /recording/stop): finish the upload of what we have
    }
    if (was !== state.active && room.status === "connected") {
      toast(state.active ? "This meeting is being recorded." : "Recording stopped.");
    }
    render();
  }

  /** Every camera and screen in the meeting, and everyone's audio. */
  function sources() {
    const list = [];
    for (const p of room.participants.values()) {
      const name = p.isMe ? room.me?.username || config.name : p.username || "Guest";
      const streams = p.isMe
        ? [...(room.published || [])].map((s) => ({ id: s.id, kind: s.kind, mediaStream: s.mediaStream }))
        : room.remoteStreams(p.id);
      if (!streams.length && p.role !== "viewer") list.push({ id: `${p.id}:none`, label: name, mediaStream: null });
      for (const s of streams) {
        list.push({ id: `${p.id}:${s.id}`, label: s.kind === "screen" ? `${name}'s screen` : name,
          mediaStream: s.mediaStream });
      }
    }
    return list;
  }

  const refresh = () => { if (compositor) compositor.setSources(sources()); };
  for (const type of ["participant-joined", "participant-left", "participant-updated", "stream-added",
    "stream-removed", "stream-updated", "published", "unpublished"]) room.on(type, refresh);

  async function start() {
    compositor = new Compositor({ width: 1280, height: 720, fps: 24 });
    compositor.setSources(sources());
    recorder = new Recorder(room);
    window.parleyRecorder = recorder; // for diagnostics, like window.parleyRoom
    recorder.on("reconnecting", () => toast("Recording connection lost — reconnecting; nothing is lost."));
    recorder.on("error", (frame) => console.warn("parley: recording", frame));
    const started = recorder.start(compositor.stream); // "recording" from here on: the button says Stop
    render();
    try {
      await started;
      toast("Recording started.");
    } catch (err) {
      toast(err.code === "conflict" ? "Another recording is already running in this room."
        : err.code === "plan_limit" || err.code === "plan_required" ? err.message
          : "Recording could not start.");
      cleanup();
    }
    render();
  }

  async function stop() {
    if (!capturing()) return;
    render();
    try {
      const result = await recorder.stop();
      if (result) toast("Recording saved — it will be on the meeting page once processed.");
    } catch (err) {
      toast(err.code === "empty-recording" ? "Nothing was recorded." : "The recording could not be finished.");
    }
    cleanup();
    render();
  }

  function cleanup() {
    compositor?.close();
    compositor = null;
  }

  button.addEventListener("click", () => (capturing() ? stop() : start()));

  room.on("connected", (frame) => { clockOffset = (frame.time || Date.now()) - Date.now(); apply(frame.recording); });
  room.on("reconnected", (frame) => { clockOffset = (frame.time || Date.now()) - Date.now(); apply(frame.recording); });
  room.on("recording", (frame) => apply({ active: frame.togglingFlag, recordingId: frame.recordingId, since: frame.time }));
  room.on("disconnected", () => { if (capturing()) stop(); });
  window.addEventListener("beforeunload", (event) => {
    if (capturing()) { event.preventDefault(); event.returnValue = ""; }
  });
  render();
}
