/**
 * One composed view of a meeting, for recording: every source's video drawn as a tile of a
 * grid on a canvas (with the speaker's name), every source's audio mixed with WebAudio.
 * `compositor.stream` is a MediaStream (canvas video + mixed audio) for a MediaRecorder.
 *
 *   const compositor = new Compositor({ width: 1280, height: 720, fps: 24 });
 *   compositor.setSources([{ id: "me", label: "Ada", mediaStream }, …]);  // whenever people come and go
 *   recorder.start(compositor.stream);
 *   compositor.close();
 *
 * Drawing is driven by a timer in a worker, which browsers do not slow down when the tab is
 * in the background (a requestAnimationFrame loop would stop).
 */

const TICKER = "let t;onmessage=e=>{clearInterval(t);if(e.data>0)t=setInterval(()=>postMessage(0),e.data)}";
const BACKGROUND = "#10131f";
const TILE = "#1d2233";
const GAP = 8;

export class Compositor {
  constructor({ width = 1280, height = 720, fps = 24 } = {}) {
    this.width = width;
    this.height = height;
    this.canvas = Object.assign(document.createElement("canvas"), { width, height });
    this.context2d = this.canvas.getContext("2d");
    this.audio = new AudioContext();
    this.mix = this.audio.createMediaStreamDestination();
    this.sources = new Map(); // id -> {label, video, audioNode, track ids}
    const video = this.canvas.captureStream(fps);
    this.stream = new MediaStream([...video.getVideoTracks(), ...this.mix.stream.getAudioTracks()]);
    this.#draw();
    this.ticker = startTicker(() => this.#draw(), 1000 / fps);
  }

  /** The people to show and hear: `[{id, label, mediaStream}]` (a missing one is removed). */
  setSources(list) {
    if (this.audio.state === "suspended") this.audio.resume().catch(() => {});
    const seen = new Set();
    for (const { id, label, mediaStream } of list) {
      const key = String(id);
      seen.add(key);
      let source = this.sources.get(key);
      if (!source) {
        source = { label, video: null, videoTrack: null, audioNode: null, audioTrack: null };
        this.sources.set(key, source);
      }
      source.label = label;
      this.#attach(source, mediaStream);
    }
    for (const [key, source] of this.sources) {
      if (!seen.has(key)) { this.#detach(source); this.sources.delete(key); }
    }
  }

  #attach(source, mediaStream) {
    const videoTrack = mediaStream?.getVideoTracks()[0] || null;
    if (videoTrack !== source.videoTrack) {
      source.videoTrack = videoTrack;
      if (source.video) source.video.srcObject = null;
      source.video = null;
      if (videoTrack) {
        const video = Object.assign(document.createElement("video"), { muted: true, playsInline: true, autoplay: true });
        video.srcObject = new MediaStream([videoTrack]);
        video.play().catch(() => {});
        source.video = video;
      }
    }
    const audioTrack = mediaStream?.getAudioTracks()[0] || null;
    if (audioTrack !== source.audioTrack) {
      source.audioNode?.disconnect();
      source.audioNode = null;
      source.audioTrack = audioTrack;
      if (audioTrack) {
        source.audioNode = this.audio.createMediaStreamSource(new MediaStream([audioTrack]));
        source.audioNode.connect(this.mix);
      }
    }
  }

  #detach(source) {
    source.audioNode?.disconnect();
    if (source.video) source.video.srcObject = null;
  }

  #draw() {
    const g = this.context2d;
    const { width, height } = this;
    g.fillStyle = BACKGROUND;
    g.fillRect(0, 0, width, height);
    const tiles = [...this.sources.values()];
    if (!tiles.length) return;
    const cols = Math.ceil(Math.sqrt(tiles.length));
    const rows = Math.ceil(tiles.length / cols);
    const w = (width - GAP * (cols + 1)) / cols;
    const h = (height - GAP * (rows + 1)) / rows;
    tiles.forEach((source, i) => {
      const x = GAP + (i % cols) * (w + GAP);
      const y = GAP + Math.floor(i / cols) * (h + GAP);
      g.fillStyle = TILE;
      g.fillRect(x, y, w, h);
      const video = source.video;
      const live = video && video.videoWidth > 0 && source.videoTrack?.enabled && source.videoTrack.readyState === "live";
      if (live) {
        const scale = Math.min(w / video.videoWidth, h / video.videoHeight);
        const vw = video.videoWidth * scale;
        const vh = video.videoHeight * scale;
        g.drawImage(video, x + (w - vw) / 2, y + (h - vh) / 2, vw, vh);
      } else {
        g.fillStyle = "#5b4ff5";
        const r = Math.min(w, h) / 6;
        g.beginPath();
        g.arc(x + w / 2, y + h / 2, r, 0, 2 * Math.PI);
        g.fill();
        g.fillStyle = "#fff";
        g.font = `600 ${Math.round(r * 0.8)}px sans-serif`;
        g.textAlign = "center";
        g.textBaseline = "middle";
        g.fillText(initials(source.label), x + w / 2, y + h / 2);
      }
      if (source.label) {
        g.font = "600 20px sans-serif";
        g.textAlign = "left";
        g.textBaseline = "alphabetic";
        const text = String(source.label).slice(0, 60);
        const tw = g.measureText(text).width;
        g.fillStyle = "rgba(0,0,0,.55)";
        g.fillRect(x + 10, y + h - 40, tw + 20, 30);
        g.fillStyle = "#fff";
        g.fillText(text, x + 20, y + h - 18);
      }
    });
  }

  close() {
    this.ticker.stop();
    for (const source of this.sources.values()) this.#detach(source);
    this.sources.clear();
    for (const track of this.stream.getTracks()) track.stop();
    this.audio.close().catch(() => {});
  }
}

function startTicker(fn, intervalMs) {
  try {
    const url = URL.createObjectURL(new Blob([TICKER], { type: "text/javascript" }));
    const worker = new Worker(url);
    URL.revokeObjectURL(url);
    worker.onmessage = fn;
    worker.postMessage(intervalMs);
    return { stop: () => worker.terminate() };
  } catch {
    const timer = setInterval(fn, intervalMs);
    return { stop: () => clearInterval(timer) };
  }
}

function initials(name) {
  const parts = String(name || "?").trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] || "?") + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
}
