/**
 * The meeting room page, built on the Parley SDK (./sdk.js): video tiles, controls,
 * participants (with host controls), chat, raised hands / requests to speak, reconnect. Features
 * live in ./room/*.js (docs/frontend.md).
 *
 * Everything a person typed (names, chat) reaches the DOM through textContent only.
 */
import { Room, Stream } from "./sdk.js";
import { $, confirmAction, el, initials, micOffIcon, toast } from "./room/dom.js";
import { mount as mountCaptions } from "./room/captions.js";
import { mount as mountChat } from "./room/chat.js";
import { mount as mountFiles } from "./room/files.js";
import { mount as mountHost } from "./room/host.js";
import { mount as mountMedia } from "./room/media.js";
import { mount as mountRecording } from "./room/recording.js";
import { mount as mountSelling } from "./room/selling.js";
import { mount as mountWhiteboard } from "./room/whiteboard.js";

const config = JSON.parse(document.getElementById("room-config").textContent);

const ui = {
  shell: $("[data-room]"),
  tiles: $("[data-tiles]"),
  status: $("[data-status]"),
  count: $("[data-count]"),
  people: $("[data-people]"),
  peopleCount: $("[data-people-count]"),
  hostTools: $("[data-host-tools]"),
  muteAll: $("[data-mute-all]"),
  requests: $("[data-requests]"),
  requestList: $("[data-request-list]"),
  mic: $("[data-toggle-mic]"),
  cam: $("[data-toggle-camera]"),
  share: $("[data-toggle-share]"),
  devices: $("[data-open-devices]"),
  devicesDialog: $("[data-devices]"),
  cameraSelect: $("#camera-device"),
  micSelect: $("#microphone-device"),
  askToSpeak: $("[data-request-mic]"),
  leave: $("[data-leave]"),
  overlay: $("[data-overlay]"),
  side: $("[data-side]"),
  panelToggles: document.querySelectorAll("[data-panel-toggle]"),
};

const room = new Room({ token: config.token, roomId: config.roomId, iceServers: config.iceServers || [] });
window.parleyRoom = room; // for the embedding page's scripts and for debugging
const chat = mountChat({ room, config });
mountMedia({ room, config });
mountRecording({ room, config });
mountCaptions({ room, config });
mountWhiteboard({ room, config });
mountFiles({ room, config });
mountHost({ room, config });
mountSelling({ room, config });

let camera = null; // the published camera + microphone Stream
let screen = null; // the published screen Stream
let canTalk = config.role !== "viewer";
const tiles = new Map(); // tile key -> {figure, video, name, badge}

// ---------- tiles ----------

function tileFor(key, { label, participantId, local = false, kind = "camera" }) {
  let tile = tiles.get(key);
  if (tile) return tile;
  const video = el("video", { autoplay: true, playsinline: true, muted: local || kind === "screen" });
  video.muted = local || kind === "screen";
  const avatar = el("div", { class: "avatar", "aria-hidden": "true" });
  const name = el("span", { class: "tile-name" });
  const badge = el("span", { class: "tile-mic", role: "img", "aria-label": "Microphone off", hidden: true });
  badge.append(micOffIcon());
  const figure = el("figure", {
    class: `tile${local ? " local" : ""}${kind === "screen" ? " screen" : ""} no-video`,
    "data-participant": participantId, "data-kind": kind,
  }, video, avatar, el("figcaption", {}, badge, name));
  tile = { figure, video, avatar, name, badge };
  tiles.set(key, tile);
  setTileLabel(tile, label);
  video.addEventListener("loadeddata", () => refreshVideoState(tile));
  if (local) ui.tiles.prepend(figure); else ui.tiles.append(figure);
  layout();
  return tile;
}

function setTileLabel(tile, label) {
  tile.figure.setAttribute("aria-label", label);
  tile.name.textContent = label;
  tile.avatar.textContent = initials(label.replace(/^You \((.*)\)$/, "$1"));
}

function refreshVideoState(tile, videoOff) {
  if (videoOff !== undefined) tile.videoOff = videoOff;
  const hasVideo = !!tile.video.srcObject && tile.video.srcObject.getVideoTracks().length > 0;
  tile.figure.classList.toggle("no-video", !hasVideo || !!tile.videoOff);
}

function removeTile(key) {
  const tile = tiles.get(key);
  if (!tile) return;
  tile.video.srcObject = null;
  tile.figure.remove();
  tiles.delete(key);
  layout();
}

function layout() {
  const n = ui.tiles.children.length;
  ui.tiles.dataset.count = String(Math.min(n, 9));
  ui.count.textContent = String(room.participants.size || 1);
}

function participantTile(p) {
  const label = p.isMe ? `You (${p.username || config.name})` : p.username || "Guest";
  const tile = tileFor(p.isMe ? "me" : `${p.id}:camera`, { label, participantId: p.id, local: p.isMe });
  setTileLabel(tile, label);
  tile.badge.hidden = !p.audioMuted;
  tile.figure.classList.toggle("speaking-off", !!p.audioMuted);
  refreshVideoState(tile, !!p.videoOff);
  return tile;
}

// ---------- participants list ----------

function renderPeople() {
  const me = room.me;
  const amHost = me?.role === "host";
  ui.hostTools.hidden = !amHost;
  const people = [...room.participants.values()].sort((a, b) =>
    (b.isMe - a.isMe) || ((b.role === "host") - (a.role === "host")) || String(a.username).localeCompare(String(b.username)));
  ui.people.replaceChildren(...people.map((p) => {
    const name = el("span", { class: "person-name", text: p.username || "Guest" });
    const meta = el("span", { class: "person-meta" });
    if (p.isMe) meta.append(el("span", { class: "tag", text: "You" }));
    if (p.role === "host") meta.append(el("span", { class: "tag host", text: "Host" }));
    if (p.role === "viewer") meta.append(el("span", { class: "tag", text: "Viewer" }));
    const state = el("span", { class: "person-state" });
    if (p.audioMuted) state.append(el("span", { class: "state-icon", role: "img", "aria-label": "Microphone off" }, micOffIcon()));
    if (p.sharing) state.append(el("span", { class: "tag live", text: "Presenting" }));
    const actions = el("span", { class: "person-actions" });
    if (amHost && !p.isMe) {
      actions.append(
        el("button", { type: "button", class: "small ghost", "aria-describedby": `person-${p.id}`, text: "Mute",
          disabled: !!p.audioMuted, onclick: () => { room.muteParticipant(p.id); toast(`Muted ${p.username}.`); } }),
        el("button", { type: "button", class: "small danger", "aria-describedby": `person-${p.id}`, text: "Remove",
          onclick: async () => {
            const ok = await confirmAction({
              title: `Remove ${p.username || "this person"}?`,
              text: "They leave the meeting now and cannot join it again with the invite link.",
              ok: "Remove",
            });
            if (!ok) return;
            room.removeParticipant(p.id);
            toast(`Removed ${p.username}.`);
          } }),
      );
    }
    name.id = `person-${p.id}`;
    return el("li", { class: "person", "data-participant": p.id },
      el("span", { class: "avatar small", "aria-hidden": "true", text: initials(p.username) }),
      el("span", { class: "person-main" }, name, meta), state, actions);
  }));
  ui.peopleCount.textContent = `(${room.participants.size})`;
  layout();
}

function refreshParticipant(p) {
  participantTile(p);
  for (const tile of tiles.values()) {
    if (tile.figure.dataset.participant === String(p.id) && tile.figure.dataset.kind === "screen") {
      setTileLabel(tile, `${p.isMe ? "Your" : `${p.username}'s`} screen`);
    }
  }
  renderPeople();
}

// ---------- requests to speak ----------

function addMicRequest({ id, username }) {
  if (ui.requestList.querySelector(`[data-participant="${CSS.escape(String(id))}"]`)) return;
  const done = (accepted) => {
    if (accepted) room.acceptMic(id); else room.rejectMic(id);
    item.remove();
    ui.requests.hidden = ui.requestList.children.length === 0;
  };
  const item = el("li", { class: "request", "data-participant": id },
    el("span", { class: "person-name", text: `${username || "Someone"} raised their hand` }),
    el("span", { class: "person-actions" },
      el("button", { type: "button", class: "small", text: "Accept", onclick: () => done(true) }),
      el("button", { type: "button", class: "small ghost", text: "Reject", onclick: () => done(false) })));
  ui.requestList.append(item);
  ui.requests.hidden = false;
  toast(`${username || "Someone"} raised their hand.`);
}

function dropMicRequest(id) {
  ui.requestList.querySelector(`[data-participant="${CSS.escape(String(id))}"]`)?.remove();
  ui.requests.hidden = ui.requestList.children.length === 0;
}

let handRaised = false;
function setHand(raised) {
  handRaised = raised;
  ui.askToSpeak.disabled = false;
  ui.askToSpeak.setAttribute("aria-label", raised ? "Lower hand" : "Raise hand");
  setPressed(ui.askToSpeak, raised, raised ? "Lower hand" : "Raise hand");
}

// ---------- media ----------

/** The pre-join page's choice (static/parley/prejoin.js): devices, and camera/microphone on or off. */
function preJoinChoice() {
  try { return JSON.parse(sessionStorage.getItem("parley.devices")) || {}; } catch { return {}; }
}

async function startCamera() {
  const choice = preJoinChoice();
  const devices = { audioDeviceId: choice.audioDeviceId, videoDeviceId: choice.videoDeviceId };
  const attempts = [{ audio: true, video: true, ...devices }, { audio: true, video: true },
    { audio: true, video: false }, { audio: false, video: true }];
  for (const options of attempts) {
    try {
      const stream = await new Stream(options).init();
      if (choice.video === false && stream.videoTrack) stream.muteVideo();
      if (choice.audio === false && stream.audioTrack) stream.muteAudio();
      return stream;
    } catch (err) {
      console.warn("parley: media", options, err);
    }
  }
  toast("No camera or microphone is available — you can still watch, listen and chat.");
  return null;
}

let goingLive = null;
function goLive() {
  goingLive ||= startPublishing();
  return goingLive;
}

async function startPublishing() {
  camera = await startCamera();
  const tile = tileFor("me", { label: `You (${config.name})`, participantId: room.me?.id || "me", local: true });
  if (camera) {
    tile.video.srcObject = camera.mediaStream;
    room.publish(camera);
  }
  setControlsEnabled();
  if (room.me) refreshParticipant(room.me);
}

function setPressed(button, pressed, label) {
  button.setAttribute("aria-pressed", String(pressed));
  if (label) button.querySelector(".label").textContent = label;
}

function setControlsEnabled() {
  const live = !!camera;
  ui.mic.hidden = !canTalk;
  ui.cam.hidden = !canTalk;
  ui.share.hidden = !canTalk;
  ui.devices.hidden = !canTalk;
  ui.askToSpeak.hidden = (room.me?.role || config.role) === "host";
  ui.mic.disabled = !live || !camera.audioTrack;
  ui.cam.disabled = !live || !camera.videoTrack;
  setPressed(ui.mic, !!camera?.audioTrack && !camera.audioMuted, camera?.audioMuted || !camera?.audioTrack ? "Unmute" : "Mute");
  setPressed(ui.cam, !!camera?.videoTrack && !camera.videoMuted, camera?.videoMuted || !camera?.videoTrack ? "Start video" : "Stop video");
  setPressed(ui.share, !!screen, screen ? "Stop sharing" : "Share");
  ui.mic.classList.toggle("off", !camera?.audioTrack || camera.audioMuted);
  ui.cam.classList.toggle("off", !camera?.videoTrack || camera.videoMuted);
}

ui.mic.addEventListener("click", () => {
  if (!camera) return;
  if (camera.audioMuted) camera.unmuteAudio(); else camera.muteAudio();
  setControlsEnabled();
  if (room.me) refreshParticipant(room.me);
});

ui.cam.addEventListener("click", () => {
  if (!camera) return;
  if (camera.videoMuted) camera.unmuteVideo(); else camera.muteVideo();
  setControlsEnabled();
  if (room.me) refreshParticipant(room.me);
});

ui.share.addEventListener("click", async () => {
  if (screen) { stopSharing(); return; }
  try {
    screen = await new Stream({ screen: true }).init();
  } catch (err) {
    if (err?.name !== "NotAllowedError") toast("Screen sharing is not available in this browser.");
    return;
  }
  const tile = tileFor("me:screen", { label: "Your screen", participantId: room.me?.id, local: true, kind: "screen" });
  tile.video.srcObject = screen.mediaStream;
  refreshVideoState(tile, false);
  screen.on("ended", stopSharing);
  room.publish(screen);
  setControlsEnabled();
  if (room.me) refreshParticipant(room.me);
});

function stopSharing() {
  if (!screen) return;
  const s = screen;
  screen = null;
  room.unpublish(s);
  s.close();
  removeTile("me:screen");
  setControlsEnabled();
  if (room.me) refreshParticipant(room.me);
}

async function fillDeviceSelects() {
  const devices = await Stream.devices();
  const fill = (select, list, current) => {
    select.replaceChildren(...list.map((d, i) => el("option", {
      value: d.deviceId, selected: d.deviceId === current, text: d.label || `Device ${i + 1}`,
    })));
  };
  fill(ui.cameraSelect, devices.video, camera?.videoTrack?.getSettings().deviceId);
  fill(ui.micSelect, devices.audio, camera?.audioTrack?.getSettings().deviceId);
}

ui.devices.addEventListener("click", async () => {
  await fillDeviceSelects();
  ui.devicesDialog.showModal();
});

for (const [select, kind] of [[ui.cameraSelect, "video"], [ui.micSelect, "audio"]]) {
  select.addEventListener("change", async () => {
    if (!camera) return;
    try {
      await camera.switchDevice(kind, select.value);
      tiles.get("me").video.srcObject = camera.mediaStream;
      toast(kind === "video" ? "Camera switched." : "Microphone switched.");
    } catch {
      toast("That device could not be opened.");
    }
  });
}

ui.askToSpeak.addEventListener("click", () => {
  if (handRaised) {
    room.lowerHand();
    setHand(false);
    return;
  }
  room.requestMic();
  setHand(true);
  toast(canTalk ? "You raised your hand." : "Your request to speak was sent to the host.");
});

ui.muteAll.addEventListener("click", () => {
  room.muteAll();
  toast("Everyone else is muted.");
});

ui.leave.addEventListener("click", () => {
  room.leave();
  stopMedia();
  showOverlay({ title: `You left ${config.title}`, text: "See you next time.", rejoin: true });
});

function stopMedia() {
  camera?.close();
  screen?.close();
  for (const tile of tiles.values()) tile.video.srcObject = null;
}

// ---------- side panels (chat, participants) ----------

for (const button of ui.panelToggles) {
  button.addEventListener("click", () => {
    const panel = button.dataset.panelToggle;
    const open = button.getAttribute("aria-pressed") !== "true";
    setPanel(panel, open);
    if (open && panel === "chat") chat.focus();
  });
}

function setPanel(panel, open) {
  const button = $(`[data-panel-toggle='${panel}']`);
  button.setAttribute("aria-pressed", String(open));
  button.classList.remove("unread");
  $(`#panel-${panel}`).hidden = !open;
  document.body.dataset[`${panel}Open`] = String(open);
  ui.side.hidden = [...ui.panelToggles].every((b) => b.getAttribute("aria-pressed") !== "true");
}

const narrow = window.matchMedia("(max-width: 820px)");
setPanel("people", !narrow.matches);
setPanel("chat", !narrow.matches);

// ---------- notices ----------

function setStatus(text, kind = "") {
  ui.status.textContent = text;
  ui.status.className = `status ${kind}`;
}

function showOverlay({ title, text, rejoin = false }) {
  const actions = el("p", { class: "actions" });
  if (rejoin) actions.append(el("button", { type: "button", text: "Rejoin", onclick: () => location.reload() }));
  actions.append(el("a", { class: "button ghost", href: config.leaveUrl, text: "Done" }));
  ui.overlay.replaceChildren(el("div", { class: "overlay-card", role: "alertdialog", "aria-labelledby": "overlay-h" },
    el("h2", { id: "overlay-h", text: title }), el("p", { text }), actions));
  ui.overlay.hidden = false;
  ui.shell.classList.add("ended");
  ui.overlay.querySelector("button, a")?.focus();
}

// ---------- room events ----------

room.on("connected", () => {
  setStatus("Connected", "ok");
  ui.shell.dataset.state = "connected";
  const me = room.me;
  canTalk = me.role !== "viewer" || !!camera;
  const localTile = tiles.get("me");
  if (localTile) localTile.figure.dataset.participant = me.id;
  renderAll();
  setControlsEnabled();
  if (canTalk) goLive();
});

room.on("reconnecting", () => {
  setStatus("Connection lost — reconnecting…", "warn");
  ui.shell.dataset.state = "reconnecting";
});

room.on("reconnected", () => {
  setStatus("Connected", "ok");
  ui.shell.dataset.state = "connected";
  toast("Reconnected.");
  const localTile = tiles.get("me");
  if (localTile) localTile.figure.dataset.participant = room.me.id;
  renderAll();
});

function renderAll() {
  if (room.me?.role === "host") {
    for (const p of room.participants.values()) if (p.handRaised && !p.isMe) addMicRequest(p);
  }
  const present = new Set([...room.participants.values()].map((p) => String(p.id)));
  for (const [key, tile] of [...tiles]) {
    if (key.startsWith("me")) continue;
    if (!present.has(tile.figure.dataset.participant)) removeTile(key);
  }
  for (const p of room.participants.values()) participantTile(p);
  renderPeople();
}

room.on("participant-joined", (p) => { participantTile(p); renderPeople(); toast(`${p.username} joined.`); });
room.on("participant-left", (p) => {
  for (const [key, tile] of [...tiles]) if (tile.figure.dataset.participant === String(p.id)) removeTile(key);
  dropMicRequest(p.id);
  renderPeople();
  toast(`${p.username} left.`);
});
room.on("participant-updated", (p) => refreshParticipant(p));

room.on("stream-added", (remote) => {
  const p = room.participants.get(String(remote.participantId));
  const name = p?.username || "Guest";
  if (remote.kind === "screen") {
    const tile = tileFor(`${remote.participantId}:screen:${remote.id}`, {
      label: `${name}'s screen`, participantId: remote.participantId, kind: "screen",
    });
    tile.video.srcObject = room.subscribe(remote);
    refreshVideoState(tile, false);
  } else {
    const tile = participantTile(p || { id: remote.participantId, username: name });
    tile.video.srcObject = room.subscribe(remote);
    refreshVideoState(tile);
  }
});

room.on("stream-updated", (remote) => {
  for (const tile of tiles.values()) if (tile.video.srcObject === remote.mediaStream) refreshVideoState(tile);
});

room.on("stream-removed", (remote) => {
  if (remote.kind === "screen") { removeTile(`${remote.participantId}:screen:${remote.id}`); return; }
  const tile = tiles.get(`${remote.participantId}:camera`);
  if (tile && tile.video.srcObject === remote.mediaStream) { tile.video.srcObject = null; refreshVideoState(tile); }
});

room.on("view-count", ({ count }) => { ui.count.textContent = String(count); });
room.on("mic-request", (frame) => { if (room.me?.role === "host") addMicRequest(frame); });
room.on("lower-hand", (frame) => dropMicRequest(frame.id));

room.on("mic-accepted", async () => {
  setHand(false);
  if (canTalk) { toast("The host gave you the floor."); return; }
  canTalk = true;
  toast("The host accepted your request — you're on air.");
  await goLive();
  room.sendData({ type: "mic-accepted-ack", id: room.me.id, newId: camera?.id || room.me.id });
});

room.on("mic-rejected", () => {
  setHand(false);
  toast("The host lowered your hand.");
});

room.on("meeting-ended", (frame) => {
  if (ui.shell.classList.contains("ended")) return;
  stopMedia();
  setStatus("Meeting ended", "bad");
  const mine = frame?.id && String(frame.id) === String(room.me?.id);
  showOverlay({ title: "This meeting has ended",
    text: mine ? "You ended the meeting for everyone." : "The host ended this meeting for everyone." });
});

room.on("muted", () => {
  setControlsEnabled();
  if (room.me) refreshParticipant(room.me);
  toast("The host muted your microphone.");
});

room.on("unmute-requested", () => toast("The host asks you to unmute your microphone."));

room.on("removed", () => {
  stopMedia();
  setStatus("Removed", "bad");
  showOverlay({ title: "You were removed from the meeting", text: "The host removed you from this meeting." });
});

room.on("disconnected", ({ code, joined }) => {
  if (room.status !== "left" || code === 1000 || ui.shell.classList.contains("ended")) return;
  if (code === 4410) return; // meeting-ended
  stopMedia();
  setStatus("Disconnected", "bad");
  if (joined) {
    showOverlay({ title: "Connection lost", text: "Parley could not reach the meeting again.", rejoin: true });
  } else {
    showOverlay({ title: "You could not join this meeting", text: "The link may have expired, or the room is full.", rejoin: true });
  }
});

room.on("error", (frame) => {
  if (frame.code === "rate_limited" || frame.code === "forbidden" || frame.code === "not_allowed") {
    toast(frame.detail || "That is not allowed.");
  }
  console.warn("parley: room error", frame);
});

// ---------- start ----------

tileFor("me", { label: `You (${config.name})`, participantId: "me", local: true });
setControlsEnabled();
setStatus("Connecting…");
if (canTalk) goLive();
room.connect().catch(() => {});
