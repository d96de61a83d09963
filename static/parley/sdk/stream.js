/** Local media for the Parley SDK: camera + microphone, or a screen. */

import { Emitter } from "./emitter.js";

/**
 * A local stream: camera and/or microphone (`{audio, video}`) or a screen (`{screen: true}`).
 * Events: "mute" {kind, muted}, "trackreplaced" {kind, oldTrack, newTrack}, "ended".
 */
export class Stream extends Emitter {
  constructor({ audio = true, video = true, screen = false, audioDeviceId, videoDeviceId, mediaStream } = {}) {
    super();
    this.options = { audio, video, screen, audioDeviceId, videoDeviceId };
    this.mediaStream = mediaStream || null;
    this.kind = screen ? "screen" : "camera";
    this.audioMuted = false;
    this.videoMuted = false;
  }

  get id() { return this.mediaStream?.id; }
  get audioTrack() { return this.mediaStream?.getAudioTracks()[0] || null; }
  get videoTrack() { return this.mediaStream?.getVideoTracks()[0] || null; }

  /** Ask the browser for the media; resolves with this stream. */
  async init() {
    if (this.mediaStream) return this;
    const { audio, video, screen, audioDeviceId, videoDeviceId } = this.options;
    if (screen) {
      this.mediaStream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } else {
      this.mediaStream = await navigator.mediaDevices.getUserMedia({
        audio: audio ? (audioDeviceId ? { deviceId: { exact: audioDeviceId } } : true) : false,
        video: video ? videoConstraints(videoDeviceId) : false,
      });
    }
    for (const track of this.mediaStream.getTracks()) {
      // The user stopped sharing from the browser's own UI.
      track.addEventListener("ended", () => {
        if (this.mediaStream && this.mediaStream.getTracks().every((t) => t.readyState === "ended")) this.close();
      });
    }
    return this;
  }

  muteAudio() { this.#setEnabled("audio", false); }
  unmuteAudio() { this.#setEnabled("audio", true); }
  muteVideo() { this.#setEnabled("video", false); }
  unmuteVideo() { this.#setEnabled("video", true); }

  #setEnabled(kind, enabled) {
    const tracks = kind === "audio" ? this.mediaStream?.getAudioTracks() : this.mediaStream?.getVideoTracks();
    for (const track of tracks || []) track.enabled = enabled;
    if (kind === "audio") this.audioMuted = !enabled; else this.videoMuted = !enabled;
    this.emit("mute", { kind, muted: !enabled });
  }

  /** Switch the camera (`"video"`) or microphone (`"audio"`) to another device. */
  async switchDevice(kind, deviceId) {
    if (!this.mediaStream) throw new Error("init() the stream first");
    const constraints = kind === "audio"
      ? { audio: { deviceId: { exact: deviceId } } }
      : { video: videoConstraints(deviceId) };
    const fresh = await navigator.mediaDevices.getUserMedia(constraints);
    const newTrack = kind === "audio" ? fresh.getAudioTracks()[0] : fresh.getVideoTracks()[0];
    const oldTrack = kind === "audio" ? this.audioTrack : this.videoTrack;
    newTrack.enabled = !(kind === "audio" ? this.audioMuted : this.videoMuted);
    if (oldTrack) { this.mediaStream.removeTrack(oldTrack); oldTrack.stop(); }
    this.mediaStream.addTrack(newTrack);
    this.options[kind === "audio" ? "audioDeviceId" : "videoDeviceId"] = deviceId;
    this.emit("trackreplaced", { kind, oldTrack, newTrack });
    return newTrack;
  }

  /** Stop every track. */
  close() {
    if (!this.mediaStream) return;
    for (const track of this.mediaStream.getTracks()) track.stop();
    this.emit("ended");
  }

  /** The cameras and microphones of this browser: `{audio: [...], video: [...]}`. */
  static async devices() {
    const all = await navigator.mediaDevices.enumerateDevices();
    return {
      audio: all.filter((d) => d.kind === "audioinput"),
      video: all.filter((d) => d.kind === "videoinput"),
    };
  }
}

function videoConstraints(deviceId) {
  const base = { width: { ideal: 1280 }, height: { ideal: 720 } };
  return deviceId ? { ...base, deviceId: { exact: deviceId } } : base;
}
