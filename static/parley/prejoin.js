/**
 * The pre-join step (the invite page for guests, /meetings/<id>/prejoin for hosts): a preview of
 * the camera, the choice of camera and microphone, and whether to join with each on. The choice
 * is kept in sessionStorage ("parley.devices") and used by the room page when it starts the
 * camera. Nothing here connects to the room.
 */
import { Stream } from "./sdk.js";

export const DEVICES_KEY = "parley.devices";

const root = document.querySelector("[data-prejoin]");
const video = root.querySelector("[data-prejoin-video]");
const cameraSelect = root.querySelector("[data-prejoin-camera]");
const micSelect = root.querySelector("[data-prejoin-mic]");
const cameraOn = root.querySelector("[data-prejoin-camera-on]");
const micOn = root.querySelector("[data-prejoin-mic-on]");
const note = root.querySelector("[data-prejoin-note]");
let stream = null;

function saved() {
  try { return JSON.parse(sessionStorage.getItem(DEVICES_KEY)) || {}; } catch { return {}; }
}

function save() {
  sessionStorage.setItem(DEVICES_KEY, JSON.stringify({
    videoDeviceId: cameraSelect.value || undefined, audioDeviceId: micSelect.value || undefined,
    video: cameraOn.checked, audio: micOn.checked,
  }));
}

async function preview() {
  stream?.close();
  stream = null;
  video.srcObject = null;
  if (!cameraOn.checked && !micOn.checked) { root.classList.add("no-video"); return; }
  try {
    stream = await new Stream({
      video: cameraOn.checked, audio: micOn.checked,
      videoDeviceId: cameraSelect.value || undefined, audioDeviceId: micSelect.value || undefined,
    }).init();
    video.srcObject = stream.mediaStream;
    root.classList.toggle("no-video", !stream.videoTrack);
    note.textContent = "";
  } catch (err) {
    root.classList.add("no-video");
    note.textContent = "Your camera or microphone could not be opened — you can still join and watch.";
    console.warn("parley: preview", err);
  }
}

function fill(select, list, current) {
  select.replaceChildren(...list.map((d, i) => {
    const option = document.createElement("option");
    option.value = d.deviceId;
    option.textContent = d.label || `Device ${i + 1}`;
    option.selected = d.deviceId === current;
    return option;
  }));
}

async function start() {
  const choice = saved();
  cameraOn.checked = choice.video !== false;
  micOn.checked = choice.audio !== false;
  await preview(); // asks for permission, so that devices have labels
  const devices = await Stream.devices();
  fill(cameraSelect, devices.video, choice.videoDeviceId || stream?.videoTrack?.getSettings().deviceId);
  fill(micSelect, devices.audio, choice.audioDeviceId || stream?.audioTrack?.getSettings().deviceId);
  save();
}

for (const input of [cameraSelect, micSelect, cameraOn, micOn]) {
  input.addEventListener("change", () => { save(); preview(); });
}
// Free the camera before the room page opens it again.
root.closest("form")?.addEventListener("submit", () => { save(); stream?.close(); });
root.querySelector("[data-prejoin-go]")?.addEventListener("click", () => { save(); stream?.close(); });
start();
