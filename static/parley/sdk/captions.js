/**
 * The captions client: live caption lines of everyone in a room, and recognition of *your*
 * voice (docs/captions.md).
 *
 *   const captions = new Captions(room, { engine: "server" });   // or "azure"
 *   captions.on("caption", ({ id, username, msg, time, mine }) => …);
 *   await captions.start(mediaStream);   // recognise this microphone (your own voice only)
 *   captions.stop();
 *
 * Lines of the others arrive as the room's `transcript` events. Your own voice is recognised
 * by one of two engines:
 * - "server": an AudioWorklet turns the microphone into 16 kHz mono PCM, streamed over
 *   `/ws/captions/<roomId>/?token=…&participant=<your id>`; the server recognises it
 *   (PocketSphinx, or an OpenAI-compatible endpoint) and sends the line into the room as your
 *   `transcript`; you get it back as a `caption` frame.
 * - "azure": the Azure Speech SDK recognises it in the browser with a token from
 *   `GET /api/get-speech-token` (your room token as Bearer), and the line is sent as your
 *   `transcript` on the room socket.
 *
 * Events: "caption" {id, username, msg, time, mine} · "partial" {msg} (Azure) ·
 * "state" {listening} · "error" {code, detail}
 */
import { Emitter } from "./emitter.js";

const RETRY_MS = [500, 1000, 2000, 4000, 8000];
const SPEECH_SDK = new URL("../../vendor/speech-sdk/microsoft.cognitiveservices.speech.sdk.bundle-min.js",
  import.meta.url).href;
const TOKEN_REFRESH_MS = 9 * 60 * 1000;

export class Captions extends Emitter {
  constructor(room, { engine = "server", language = "en-US", speechTokenUrl, speechSdkUrl = SPEECH_SDK } = {}) {
    super();
    this.room = room;
    this.engine = engine;
    this.language = language;
    this.httpBase = room.baseUrl.replace(/^ws/, "http");
    this.speechTokenUrl = speechTokenUrl || `${this.httpBase}/api/get-speech-token`;
    this.speechSdkUrl = speechSdkUrl;
    this.listening = false;
    this.#offs = [
      room.on("transcript", (frame) => this.emit("caption", { ...pick(frame), mine: false })),
      room.on("reconnected", () => { if (this.listening && this.engine === "server") this.#openSocket(); }),
    ];
  }

  #offs;
  #stream = null;
  #audio = null;
  #socket = null;
  #attempt = 0;
  #opened = false;
  #retry = null;
  #wasMuted = false;
  #azure = null;

  /** Recognise the audio track of `mediaStream` (your microphone) until `stop()`. */
  async start(mediaStream) {
    if (this.listening) this.stop();
    if (!mediaStream?.getAudioTracks().length) throw new Error("no microphone to caption");
    this.#stream = mediaStream;
    this.listening = true;
    try {
      if (this.engine === "azure") await this.#startAzure(mediaStream);
      else await this.#startServer(mediaStream);
    } catch (err) {
      this.stop();
      throw err;
    }
    this.emit("state", { listening: true });
  }

  stop() {
    const was = this.listening;
    this.listening = false;
    clearTimeout(this.#retry);
    const socket = this.#socket;
    this.#socket = null;
    socket?.close(1000, "stop");
    this.#audio?.context.close().catch(() => {});
    this.#audio = null;
    if (this.#azure) {
      const { recognizer, refresh } = this.#azure;
      clearInterval(refresh);
      recognizer.stopContinuousRecognitionAsync(() => recognizer.close(), () => recognizer.close());
      this.#azure = null;
    }
    this.#stream = null;
    if (was) this.emit("state", { listening: false });
  }

  /** Stop and forget the room's events. */
  close() {
    this.stop();
    for (const off of this.#offs) off();
  }

  // --- server engine -------------------------------------------------------------------------
  async #startServer(mediaStream) {
    const context = new AudioContext();
    await context.audioWorklet.addModule(new URL("./pcm-worklet.js", import.meta.url));
    const track = mediaStream.getAudioTracks()[0];
    const source = context.createMediaStreamSource(new MediaStream([track]));
    const node = new AudioWorkletNode(context, "parley-pcm-16k");
    const silent = context.createGain();
    silent.gain.value = 0;
    source.connect(node).connect(silent).connect(context.destination);
    node.port.onmessage = (event) => this.#sendAudio(track, event.data);
    if (context.state === "suspended") await context.resume().catch(() => {});
    this.#audio = { context, node, track };
    this.#attempt = 0;
    this.#opened = false;
    this.#openSocket();
  }

  #openSocket() {
    clearTimeout(this.#retry);
    this.#socket?.close(1000, "reopen");
    const me = this.room.me?.id;
    const url = `${this.room.baseUrl}/ws/captions/${encodeURIComponent(this.room.roomId)}/` +
      `?token=${encodeURIComponent(this.room.token)}&participant=${encodeURIComponent(me ?? "")}`;
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    this.#socket = socket;
    socket.onmessage = (event) => {
      if (socket !== this.#socket || typeof event.data !== "string") return;
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      if (frame.type === "captions-ready") { this.#opened = true; this.#attempt = 0; }
      else if (frame.type === "caption") this.emit("caption", { ...pick(frame), mine: true });
      else if (frame.type === "error") this.emit("error", frame);
    };
    socket.onclose = (event) => {
      if (socket !== this.#socket || !this.listening) return;
      this.#socket = null;
      if (event.code === 4003 || (!this.#opened && this.#attempt >= 2)) {
        this.emit("error", { code: "unavailable", detail: "Captions could not connect to the server." });
        this.stop();
        return;
      }
      const delay = RETRY_MS[Math.min(this.#attempt, RETRY_MS.length - 1)];
      this.#attempt += 1;
      this.#retry = setTimeout(() => this.#openSocket(), delay);
    };
  }

  #sendAudio(track, buffer) {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    const muted = !track.enabled || track.readyState !== "live";
    if (muted) {
      // A muted microphone is not streamed; what was being said is captioned now.
      if (!this.#wasMuted) socket.send(JSON.stringify({ type: "flush" }));
      this.#wasMuted = true;
      return;
    }
    this.#wasMuted = false;
    socket.send(buffer);
  }

  // --- Azure engine --------------------------------------------------------------------------
  async #startAzure(mediaStream) {
    const sdk = await loadSpeechSdk(this.speechSdkUrl);
    const { token, region } = await this.#speechToken();
    const config = sdk.SpeechConfig.fromAuthorizationToken(token, region);
    config.speechRecognitionLanguage = this.language;
    const audio = sdk.AudioConfig.fromStreamInput(new MediaStream(mediaStream.getAudioTracks()));
    const recognizer = new sdk.SpeechRecognizer(config, audio);
    recognizer.recognizing = (_, event) => this.emit("partial", { msg: event.result.text });
    recognizer.recognized = (_, event) => {
      const text = event.result.reason === sdk.ResultReason.RecognizedSpeech ? event.result.text.trim() : "";
      if (!text || !this.listening) return;
      this.room.sendData({ type: "transcript", msg: text });
      const me = this.room.me || {};
      this.emit("caption", { id: me.id, username: me.username, msg: text, time: Date.now(), mine: true });
    };
    recognizer.canceled = (_, event) => this.emit("error", { code: "azure", detail: event.errorDetails || "canceled" });
    const refresh = setInterval(async () => {
      try { recognizer.authorizationToken = (await this.#speechToken()).token; } catch { /* next time */ }
    }, TOKEN_REFRESH_MS);
    this.#azure = { recognizer, refresh };
    await new Promise((resolve, reject) => recognizer.startContinuousRecognitionAsync(resolve, reject));
  }

  async #speechToken() {
    const response = await fetch(this.speechTokenUrl, {
      headers: { Authorization: `Bearer ${this.room.token}` }, credentials: "omit",
    });
    if (!response.ok) throw new Error(`speech token: HTTP ${response.status}`);
    return response.json();
  }
}

function pick(frame) {
  return { id: frame.id, username: frame.username, msg: String(frame.msg ?? ""), time: frame.time };
}

let sdkLoading = null;
function loadSpeechSdk(src) {
  if (globalThis.SpeechSDK) return Promise.resolve(globalThis.SpeechSDK);
  sdkLoading ||= new Promise((resolve, reject) => {
    const script = Object.assign(document.createElement("script"), { src, async: true });
    script.onload = () => (globalThis.SpeechSDK ? resolve(globalThis.SpeechSDK) : reject(new Error("no SpeechSDK")));
    script.onerror = () => { sdkLoading = null; reject(new Error("the speech SDK did not load")); };
    document.head.append(script);
  });
  return sdkLoading;
}
