// On your site: import { Room, Stream } from "https://<your parley host>/static/parley/sdk.js";
import { Room, Stream } from "./sdk.js";

const $ = (id) => document.getElementById(id);
let room = null;
let local = null;

function log(text) {
  const line = document.createElement("div");
  line.textContent = text;          // never innerHTML: messages come from other people
  $("log").append(line);
  $("log").scrollTop = $("log").scrollHeight;
}

function tile(key, label, mediaStream, muted) {
  let figure = document.querySelector(`figure[data-key="${CSS.escape(key)}"]`);
  if (!figure) {
    figure = document.createElement("figure");
    figure.dataset.key = key;
    const video = document.createElement("video");
    video.autoplay = true; video.playsInline = true; video.muted = muted;
    const caption = document.createElement("figcaption");
    figure.append(video, caption);
    $("videos").append(figure);
  }
  figure.setAttribute("aria-label", label);
  figure.querySelector("figcaption").textContent = label;
  figure.querySelector("video").srcObject = mediaStream;
}

async function join(token) {
  // 3. Join the room.
  room = new Room({ token });
  window.parleyRoom = room;
  room.on("participant-joined", (p) => log(`* ${p.username} joined`));
  room.on("participant-left", (p) => {
    log(`* ${p.username} left`);
    document.querySelectorAll(`figure[data-key^="${CSS.escape(p.id)}:"]`).forEach((f) => f.remove());
  });
  // 6. Subscribe to remote streams.
  room.on("stream-added", (remote) => {
    const who = room.participants.get(String(remote.participantId))?.username || "Guest";
    tile(`${remote.participantId}:${remote.id}`, remote.kind === "screen" ? `${who}'s screen` : who,
         room.subscribe(remote), false);
  });
  room.on("stream-removed", (remote) => {
    document.querySelector(`figure[data-key="${CSS.escape(`${remote.participantId}:${remote.id}`)}"]`)?.remove();
  });
  // 7. App-level messages: every event of the room arrives as "data".
  room.on("data", (msg) => { if (msg.type === "chat-box") log(`${msg.username}: ${msg.msg}`); });
  room.on("reconnecting", () => { $("status").textContent = "Reconnecting…"; });
  room.on("reconnected", () => { $("status").textContent = `Connected as ${room.me.username}.`; });
  room.on("removed", () => { $("status").textContent = "Removed by the host."; });
  await room.connect();
  $("status").textContent = `Connected as ${room.me.username}.`;
  // 4. Create and init a local stream; 5. publish it.
  try {
    local = await new Stream({ audio: true, video: true }).init();
    tile("local", `${room.me.username} (you)`, local.mediaStream, true);
    room.publish(local);
  } catch (err) {
    log(`* no camera/microphone: ${err.name}`);
  }
  for (const id of ["leave", "send", "data-msg"]) $(id).disabled = false;
  $("join").disabled = true;
}

$("join-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("status").textContent = "Connecting…";
  try { await join($("token").value.trim()); }
  catch (err) { $("status").textContent = `Could not join: ${err.message}`; }
});

$("data-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const msg = $("data-msg").value.trim();
  if (!msg || !room) return;
  room.sendData({ type: "chat-box", msg });
  log(`${room.me.username} (you): ${msg}`);
  $("data-msg").value = "";
});

// 8. Leave the room.
$("leave").addEventListener("click", () => {
  room?.leave();
  local?.close();
  $("videos").replaceChildren();
  $("status").textContent = "Left the room.";
  for (const id of ["leave", "send", "data-msg"]) $(id).disabled = true;
  $("join").disabled = false;
});

// A token may also come in the URL fragment (never sent to any server): #token=…
const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromHash) {
  $("token").value = fromHash;
  history.replaceState(null, "", location.pathname);
  $("join-form").requestSubmit();
}
