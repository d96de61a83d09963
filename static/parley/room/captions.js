/**
 * Live captions. The "Captions" toggle: a host turns captions on or off for the whole meeting
 * (`start-transcript` / `stop-transcript`; starting also makes the meeting keep its
 * transcript); everyone else shows or hides the caption lines. While captions are on, every
 * host's and participant's own microphone is recognised (sdk/captions.js: on the server, or
 * with Azure in the browser) and each line appears for everyone with the speaker's name.
 */
import { Captions } from "../sdk.js";
import { $, el, toast } from "./dom.js";

const LINES = 3;
const LINE_MS = 12_000;

export function mount({ room, config }) {
  const button = $("[data-captions-toggle]");
  const overlay = $("[data-captions]");
  const engine = config.captions?.engine;
  if (!engine) return;
  button.hidden = false;
  const features = config.plan?.features;
  if (Array.isArray(features) && !features.includes("captions")) {
    // The tenant's plan lacks captions: say so instead of offering them (docs/plans.md).
    button.setAttribute("aria-disabled", "true");
    button.title = "Part of Professional";
    button.addEventListener("click", () => toast("Live captions are part of Professional."));
    return;
  }
  const client = new Captions(room, { engine: engine === "azure" ? "azure" : "server" });
  window.parleyCaptions = client;
  let running = false; // captions are on in the meeting
  let shown = false; // this person shows the lines
  let listeningTo = null; // the microphone track being recognised

  const isHost = () => (room.me?.role || config.role) === "host";

  function setShown(value) {
    shown = value;
    overlay.hidden = !value;
    button.setAttribute("aria-pressed", String(value));
  }

  function setRunning(value) {
    const was = running;
    running = value;
    if (value && !was) setShown(true);
    if (!value && was && isHost()) setShown(false);
    listen();
  }

  function microphone() {
    const camera = [...(room.published || [])].find((s) => s.kind === "camera" && s.audioTrack);
    return camera?.mediaStream || null;
  }

  function listen() {
    const mic = microphone();
    const speaker = room.me && room.me.role !== "viewer";
    const track = mic?.getAudioTracks()[0];
    if (running && speaker && track) {
      if (listeningTo === track && client.listening) return;
      listeningTo = track;
      client.start(mic).catch((err) => {
        listeningTo = null;
        console.warn("parley: captions", err);
        toast("Captions could not start for your microphone.");
      });
    } else if (client.listening || listeningTo) {
      listeningTo = null;
      client.stop();
    }
  }

  function addLine({ username, msg, mine }) {
    const who = mine ? "You" : username || "Guest";
    const line = el("p", { class: "caption-line" }, el("span", { class: "caption-name", text: who }),
      el("span", { class: "caption-text", text: msg }));
    overlay.append(line);
    while (overlay.children.length > LINES) overlay.firstElementChild.remove();
    setTimeout(() => line.remove(), LINE_MS);
  }

  client.on("caption", addLine);
  client.on("error", (frame) => {
    if (frame.code === "plan_required") toast("Live captions are part of Professional.");
    if (frame.code === "unavailable" || frame.code === "recogniser_failed") toast("Captions are not available right now.");
  });

  button.addEventListener("click", () => {
    if (isHost()) {
      if (running) room.sendData({ type: "stop-transcript" });
      else room.sendData({ type: "start-transcript", meetingId: config.meetingId, meetingTitle: config.title });
      setRunning(!running); // the server relays it to the others only
      return;
    }
    setShown(!shown);
    if (shown && !running) toast("Captions appear here once the host turns them on.");
  });

  const fromState = (frame) => setRunning(!!frame.transcript?.active);
  room.on("connected", fromState);
  room.on("reconnected", fromState);
  room.on("start-transcript", (frame) => { setRunning(true); toast(`${frame.username || "The host"} turned on captions.`); });
  room.on("stop-transcript", (frame) => { setRunning(false); toast(`${frame.username || "The host"} turned off captions.`); });
  room.on("published", (stream) => { stream.on("trackreplaced", listen); listen(); });
  room.on("unpublished", listen);
  room.on("disconnected", () => client.stop());
}
