/**
 * The recorder client: records a MediaStream with MediaRecorder and streams it to Parley over
 * the recording socket (`/ws/recording/?token=<host room token>`, docs/recording.md):
 * `create-file` → binary chunks (each acknowledged with the track's byte total) →
 * `stop-writing` → `process-recording`.
 *
 * A network blip loses nothing: every chunk stays in memory until the server acknowledges
 * it; after a drop the recorder reconnects, sends `create-file` again, learns from
 * `file-created.bytes` how much the server holds and resends from exactly there.
 *
 *   const recorder = new Recorder(room);            // a Room joined with a host token
 *   await recorder.start(mediaStream);              // resolves once the server opened the file
 *   const { recordingId, processing } = await recorder.stop();
 *
 * Events: "started" {recordingId, videoId} · "ack" {bytes} · "reconnecting" {attempt} ·
 * "resumed" {bytes, sent} · "stopped" {recordingId, processing, bytes} · "error" {code, detail}
 */
import { Emitter } from "./emitter.js";

const HEADER_MAX = 0xffff;
const PART_BYTES = 512 * 1024; // below the server's RECORDING_MAX_CHUNK_BYTES (1 MiB - 1 KiB)
const RETRY_MS = [250, 500, 1000, 2000, 4000];
// Errors after which the track is resumed over a new connection (nothing acknowledged is lost).
const RESUME = new Set(["storage-full", "storage-error"]);
// Errors after which resending cannot help: the recording is stopped for good.
const FATAL = new Set(["conflict", "forbidden", "not-found", "not-writable", "recording-too-large",
  "recording-stopped", "track-closed", "spool-lost", "bad-request", "empty-recording", "plan_required",
  "plan_limit"]);

export function newRecordingId() {
  const random = Math.floor(Math.random() * 1e6).toString().padStart(6, "0");
  return `${Date.now()}_${random}`;
}

export class Recorder extends Emitter {
  constructor(room, { url, token, roomId } = {}) {
    super();
    this.room = room;
    this.token = token || room.token;
    this.roomId = roomId || room.roomId;
    this.baseUrl = url || room.baseUrl;
    this.state = "idle"; // idle → recording → stopping → idle
    this.recordingId = null;
    this.videoId = null;
    this.produced = 0; // bytes MediaRecorder produced
    this.acked = 0; // bytes the server holds
    this.pending = []; // [{start, data: Uint8Array}] not yet acknowledged, in order
    this.mediaRecorder = null;
    this.socket = null;
    this.ready = false; // create-file answered on the current socket
    this.closed = false; // file-closed received: the track is complete on the server
    this.attempt = 0;
    this.#stopWaiter = null;
    this.#startWaiter = null;
  }

  #stopWaiter;
  #startWaiter;
  #retry = null;
  #finalData = false;
  #sentOnSocket = 0;
  #stopSent = null;
  #processSent = null;

  get bufferedBytes() { return this.produced - this.acked; }

  /** Start recording `mediaStream`; resolves with the recording id once the server opened the file. */
  start(mediaStream, { recordingId = newRecordingId(), videoId = "meeting", mimeType, timeslice = 1000,
    videoBitsPerSecond = 1_500_000 } = {}) {
    if (this.state !== "idle") return Promise.reject(new Error("already recording"));
    Object.assign(this, { recordingId, videoId, produced: 0, acked: 0, pending: [], closed: false, attempt: 0 });
    this.#finalData = false;
    this.#stopSent = this.#processSent = null;
    const type = mimeType || pickMimeType();
    this.mediaRecorder = new MediaRecorder(mediaStream, { ...(type ? { mimeType: type } : {}), videoBitsPerSecond });
    this.mediaRecorder.addEventListener("dataavailable", (event) => this.#onData(event));
    this.mediaRecorder.addEventListener("stop", () => { this.#finalData = true; this.#pump(); });
    this.state = "recording";
    this.startedAt = Date.now();
    const started = new Promise((resolve, reject) => { this.#startWaiter = { resolve, reject }; });
    this.#connect();
    this.mediaRecorder.start(timeslice);
    return started;
  }

  /** Stop: the last chunk is sent, the track closed and its processing queued. Resolves with
   * `{recordingId, processing, bytes}` once the server has everything. */
  stop() {
    if (this.state === "idle") return Promise.resolve(null);
    if (this.#stopWaiter) return this.#stopWaiter.promise;
    let resolve, reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    this.#stopWaiter = { promise, resolve, reject };
    this.state = "stopping";
    this.stoppedAt = Date.now();
    if (this.mediaRecorder && this.mediaRecorder.state !== "inactive") this.mediaRecorder.stop();
    else { this.#finalData = true; this.#pump(); }
    return promise;
  }

  /** Drop the current socket as a network failure would (for diagnostics and tests). */
  dropConnection() { this.socket?.close(4000, "dropped"); }

  #socketUrl() {
    return `${this.baseUrl}/ws/recording/?token=${encodeURIComponent(this.token)}`;
  }

  #connect() {
    clearTimeout(this.#retry);
    const socket = new WebSocket(this.#socketUrl());
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.ready = false;
    socket.onopen = () => {
      if (this.closed) { this.ready = true; this.#pump(); return; }
      socket.send(JSON.stringify({ type: "create-file", roomId: this.roomId, recordingId: this.recordingId,
        videoId: this.videoId }));
    };
    socket.onmessage = (event) => {
      if (socket !== this.socket || typeof event.data !== "string") return;
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      this.#onFrame(frame);
    };
    socket.onclose = () => {
      if (socket !== this.socket) return;
      this.ready = false;
      if (this.state === "idle") return;
      if (this.#startWaiter && this.attempt >= 2) {
        this.#fail({ code: "unreachable", detail: "The recording server refused or could not be reached." });
        return;
      }
      const delay = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)];
      this.attempt += 1;
      this.emit("reconnecting", { attempt: this.attempt });
      this.#retry = setTimeout(() => this.#connect(), delay);
    };
  }

  #onFrame(frame) {
    switch (frame.type) {
      case "file-created": {
        const resumed = this.attempt > 0 || frame.resumed;
        this.#acknowledge(frame.bytes);
        this.ready = true;
        this.#sentOnSocket = this.acked;
        if (resumed) this.emit("resumed", { bytes: frame.bytes, sent: this.produced });
        this.attempt = 0;
        if (this.#startWaiter) {
          this.#startWaiter.resolve(this.recordingId);
          this.#startWaiter = null;
          this.emit("started", { recordingId: this.recordingId, videoId: this.videoId });
        }
        this.#pump();
        break;
      }
      case "ack":
        if (frame.videoId === this.videoId) { this.#acknowledge(frame.bytes); this.emit("ack", { bytes: this.acked }); }
        this.#pump();
        break;
      case "file-closed":
        this.closed = true;
        this.#pump();
        break;
      case "processing":
        this.#finish({ recordingId: this.recordingId, processing: frame.processing, bytes: this.acked });
        break;
      case "error":
        if (frame.code === "track-closed" && this.state === "stopping" && this.#finalData && !this.pending.length) {
          // Our stop-writing landed but its answer was lost in a drop: the track is complete.
          this.closed = this.ready = true;
          this.#pump();
          break;
        }
        this.emit("error", frame);
        if (FATAL.has(frame.code)) this.#fail(frame);
        // The server could not store a chunk (disk full): nothing after it was stored either.
        // Reconnect with backoff; create-file resumes from what the server holds and resends.
        else if (RESUME.has(frame.code) && frame.videoId === this.videoId) this.dropConnection();
        break;
      default:
        break;
    }
  }

  #onData(event) {
    if (!event.data || !event.data.size) { if (this.#finalData) this.#pump(); return; }
    // Chunks are kept in order even though reading a Blob is asynchronous.
    const start = this.produced;
    this.produced += event.data.size;
    const entry = { start, data: null };
    this.pending.push(entry);
    event.data.arrayBuffer().then((buffer) => { entry.data = new Uint8Array(buffer); this.#pump(); });
  }

  #acknowledge(bytes) {
    if (typeof bytes !== "number" || bytes < this.acked) return;
    this.acked = bytes;
    while (this.pending.length) {
      const head = this.pending[0];
      if (!head.data) break;
      const end = head.start + head.data.byteLength;
      if (end <= bytes) { this.pending.shift(); continue; }
      if (head.start < bytes) { // the server holds part of this chunk (never expected; be exact anyway)
        head.data = head.data.subarray(bytes - head.start);
        head.start = bytes;
      }
      break;
    }
  }

  /** Send what the server lacks, then close the track and ask for processing when all is acked. */
  #pump() {
    const socket = this.socket;
    if (!this.ready || !socket || socket.readyState !== WebSocket.OPEN) return;
    if (!this.closed) {
      for (const entry of this.pending) {
        if (!entry.data) break;
        const end = entry.start + entry.data.byteLength;
        if (end <= this.#sentOnSocket) continue;
        const from = Math.max(0, this.#sentOnSocket - entry.start);
        for (let offset = from; offset < entry.data.byteLength; offset += PART_BYTES) {
          socket.send(frameChunk(this.videoId, entry.data.subarray(offset, offset + PART_BYTES)));
        }
        this.#sentOnSocket = end;
      }
    }
    if (this.state !== "stopping" || !this.#finalData || this.pending.length) return;
    if (!this.closed) {
      if (this.#stopSent !== socket) {
        this.#stopSent = socket;
        socket.send(JSON.stringify({ type: "stop-writing", videoId: this.videoId }));
      }
      return;
    }
    if (this.#processSent !== socket) {
      this.#processSent = socket;
      socket.send(JSON.stringify({ type: "process-recording", roomId: this.roomId, recordingId: this.recordingId }));
    }
  }

  #finish(result) {
    this.state = "idle";
    clearTimeout(this.#retry);
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "done");
    this.emit("stopped", result);
    this.#stopWaiter?.resolve(result);
    this.#stopWaiter = null;
  }

  #fail(frame) {
    if (this.mediaRecorder && this.mediaRecorder.state !== "inactive") {
      try { this.mediaRecorder.stop(); } catch { /* already stopped */ }
    }
    this.state = "idle";
    clearTimeout(this.#retry);
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "failed");
    const error = Object.assign(new Error(frame.detail || frame.code), { code: frame.code });
    this.#startWaiter?.reject(error);
    this.#startWaiter = null;
    this.#stopWaiter?.reject(error);
    this.#stopWaiter = null;
  }
}

function frameChunk(videoId, bytes) {
  const id = new TextEncoder().encode(videoId);
  if (id.byteLength > HEADER_MAX) throw new Error("videoId too long");
  const out = new Uint8Array(2 + id.byteLength + bytes.byteLength);
  out[0] = id.byteLength >> 8;
  out[1] = id.byteLength & 0xff;
  out.set(id, 2);
  out.set(bytes, 2 + id.byteLength);
  return out;
}

function pickMimeType() {
  const types = ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm", "video/mp4"];
  return types.find((t) => globalThis.MediaRecorder?.isTypeSupported?.(t)) || "";
}
