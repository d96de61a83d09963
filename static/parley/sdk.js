/**
 * Parley SDK — join a Parley room from any web page.
 *
 *   import { Room, Stream } from "https://parley.example/static/parley/sdk.js";
 *   const room = new Room({ token });            // a room token minted by your server
 *   await room.connect();                        // join (resolves with the room state)
 *   const local = await new Stream({ audio: true, video: true }).init();
 *   room.publish(local);                         // send camera + microphone to everyone
 *   room.on("stream-added", (remote) => video.srcObject = room.subscribe(remote));
 *   room.on("data", (msg) => console.log(msg));  // every event of the room socket
 *   room.sendData({ type: "chat-box", msg: "hello" });
 *   room.leave();
 *
 * Media travels browser to browser (a WebRTC mesh using "perfect negotiation"); the room
 * socket (`/ws/rooms/<roomId>/?token=…`) carries presence, chat, host controls and the
 * signalling. If the socket drops the room reconnects with the same token and rebuilds
 * every peer connection. No build step, no dependencies: this module imports its parts
 * (./sdk/emitter.js, ./sdk/stream.js, ./sdk/peer.js, and the feature clients ./sdk/recorder.js,
 * ./sdk/compositor.js, ./sdk/captions.js) relative to its own URL.
 */

import { Captions } from "./sdk/captions.js";
import { Compositor } from "./sdk/compositor.js";
import { Emitter } from "./sdk/emitter.js";
import { RoomFiles } from "./sdk/files.js";
import { Peer, RemoteStream } from "./sdk/peer.js";
import { Recorder } from "./sdk/recorder.js";
import { SfuPath } from "./sdk/sfu.js";
import { Stream } from "./sdk/stream.js";
import { Whiteboard } from "./sdk/whiteboard.js";

export { Captions, Compositor, Emitter, Recorder, RemoteStream, RoomFiles, Stream, Whiteboard };

// Reconnecting: exponential backoff from 250 ms up to 10 s, each delay drawn at random from its
// upper half ("equal jitter"), so that a room whose server died does not come back in one stampede.
const RECONNECT_BASE_MS = 250;
const RECONNECT_CAP_MS = 10000;
// Attempts before giving up: a first join fails fast, a dropped meeting keeps trying for minutes.
const JOIN_ATTEMPTS = 3;
const RECONNECT_ATTEMPTS = 40;
// Close codes after which reconnecting cannot help. 4003: removed by a host; 4401: the token
// expired or was revoked (the server accepts such a socket only to close it with this code, since
// a browser sees no code of a refused handshake). A refused handshake (bad token, full room,
// foreign origin) reaches a browser as 1006 and is retried; so are 4503 (the server's shared
// state is out of reach: try again later) and 4500 (the join failed on the server).
const CLOSE_REMOVED = 4003;
const CLOSE_TOKEN = 4401;
// 4410: a host ended the meeting for everyone (after a `meeting-ended` frame, or at the handshake
// of a meeting that has ended).
const CLOSE_ENDED = 4410;
const FINAL_CLOSE_CODES = new Set([CLOSE_REMOVED, CLOSE_TOKEN, CLOSE_ENDED, 4403, 4409]);

/** The wait before reconnect attempt `attempt` (0-based), in ms: jittered exponential backoff. */
export function reconnectDelay(attempt, random = Math.random) {
  const ceiling = Math.min(RECONNECT_CAP_MS, RECONNECT_BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + random() * ceiling / 2);
}

/** Whether a token's `exp` claim (seconds) has passed: no attempt with it can succeed. */
export function tokenExpired(token, now = Date.now()) {
  const { exp } = tokenClaims(token);
  return typeof exp === "number" && exp * 1000 <= now;
}

/** The payload of a JWT (room tokens are JWTs); used only to learn the room id. */
export function tokenClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(escape(atob(part.padEnd(part.length + ((4 - part.length % 4) % 4), "="))));
    return JSON.parse(json);
  } catch {
    return {};
  }
}


/**
 * A room, joined with a room token.
 *
 * Events (all handlers get one argument):
 *   "connected" state · "reconnecting" {attempt} · "reconnected" state · "disconnected" {code, reason}
 *   "participant-joined" p · "participant-left" p · "participant-updated" p
 *   "stream-added" RemoteStream · "stream-removed" RemoteStream
 *   "data" frame (every frame from the room socket) and "<type>" frame for each frame type
 *   "muted" {by} (a host muted you) · "removed" {by} · "mic-request" {id, username}
 *   "mic-accepted" · "mic-rejected" · "view-count" {count} · "error" frame · "warning" {where, error}
 *   "published" Stream · "unpublished" Stream (your own streams)
 *   "plan-required" {code, plan, feature, detail} (the site's plan lacks the feature of a sent event)
 *   "meeting-ended" frame (a host ended the meeting for everyone; the socket closes with 4410)
 * Participants are `{id, username, role, audioMuted, videoOff, sharing, isMe}`.
 */
export class Room extends Emitter {
  constructor({ token, roomId, url, iceServers = [], reconnect = true, iceTransportPolicy = "all", simulcast = true } = {}) {
    super();
    if (!token) throw new Error("a room token is required");
    this.token = token;
    this.roomId = roomId || tokenClaims(token).room;
    if (!this.roomId) throw new Error("roomId missing and not found in the token");
    this.baseUrl = url || defaultSocketBase();
    this.iceServers = iceServers;
    this.iceTransportPolicy = iceTransportPolicy;
    this.simulcast = simulcast;
    this.reconnect = reconnect;
    this.me = null;
    this.state = null;
    this.plan = null; // {code, name, features} from room_state
    this.participants = new Map();
    this.peers = new Map();
    this.published = new Set();
    this.media = { path: "mesh", epoch: 0, state: "up" }; // the server's choice (room_state.media)
    this.sfu = new SfuPath(this);
    this.session = randomId();
    this.socket = null;
    this.status = "new"; // new → connecting → connected ⇄ reconnecting → left | removed
    this.attempt = 0;
    this.#pending = [];
  }

  #pending;
  #endedSeen = false;
  #retryTimer = null;
  #connectWaiters = null;

  /** Join the room; resolves with the first `room_state`. */
  connect() {
    if (this.status === "connected") return Promise.resolve(this.state);
    return new Promise((resolve, reject) => {
      this.#connectWaiters = { resolve, reject };
      this.#open();
    });
  }

  get socketUrl() {
    return `${this.baseUrl}/ws/rooms/${encodeURIComponent(this.roomId)}/?token=${encodeURIComponent(this.token)}`;
  }

  #open() {
    this.status = this.status === "new" || this.status === "left" ? "connecting" : this.status;
    const socket = new WebSocket(this.socketUrl);
    this.socket = socket;
    socket.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      if (frame && typeof frame === "object") this.#handle(frame);
    };
    socket.onclose = (event) => {
      if (socket !== this.socket) return;
      this.#onClose(event);
    };
  }

  #onClose({ code, reason }) {
    this.#resetPeers();
    if (this.status === "left" || this.status === "removed" || this.status === "ended") {
      if (this.status === "ended") this.emit("disconnected", { code, reason, joined: this.state !== null });
      return;
    }
    const limit = this.state === null ? JOIN_ATTEMPTS : RECONNECT_ATTEMPTS;
    if (code !== CLOSE_REMOVED && tokenExpired(this.token)) {
      code = CLOSE_TOKEN;
      reason = "token expired";
    }
    if (FINAL_CLOSE_CODES.has(code) || !this.reconnect || this.attempt + 1 >= limit) {
      this.status = code === CLOSE_REMOVED ? "removed" : code === CLOSE_ENDED ? "ended" : "left";
      if (this.#connectWaiters) {
        this.#connectWaiters.reject(new Error(`could not join the room (${code} ${reason || ""})`.trim()));
        this.#connectWaiters = null;
      }
      if (code === CLOSE_REMOVED) this.emit("removed", { code, reason });
      if (code === CLOSE_ENDED && !this.#endedSeen) this.emit("meeting-ended", { code, reason });
      this.emit("disconnected", { code, reason, joined: this.state !== null });
      return;
    }
    this.status = "reconnecting";
    const delay = reconnectDelay(this.attempt);
    this.attempt += 1;
    this.emit("reconnecting", { attempt: this.attempt, code, delay });
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#open(), delay);
  }

  #handle(frame) {
    switch (frame.type) {
      case "room_state": this.#onRoomState(frame); break;
      case "room_connected": this.#onJoined(frame); break;
      case "room_disconnected": this.#onLeft(frame); break;
      case "signal": this.#onSignal(frame); break;
      case "media-path": this.#setMedia(frame); break;
      case "recording": if (frame.togglingFlag) this.sfu.recordingStarted(); break;
      case "sfu-state":
        if (frame.state === "lost") this.#setMedia({ ...this.media, state: "lost" });
        break;
      case "view_count": this.emit("view-count", frame); break;
      case "video-off": this.#update(frame.id, { videoOff: frame.videoFlag === false }); break;
      case "sharing-toggle": this.#update(frame.id, { sharing: !!frame.flag }); break;
      case "mute-participant":
        if (this.#isMe(frame.userId)) this.#mutedByHost(frame);
        this.#update(frame.userId, { audioMuted: true });
        break;
      case "mute-mic-request":
        if (this.#isMe(frame.userId)) {
          if (frame.muted === false) this.emit("unmute-requested", frame); else this.#mutedByHost(frame);
        }
        if (frame.muted !== false) this.#update(frame.userId, { audioMuted: true });
        break;
      case "mute-all-participants":
        if (this.me && this.me.role !== "host" && !this.#isMe(frame.id)) this.#mutedByHost(frame);
        for (const p of this.participants.values()) if (p.role !== "host") this.#update(p.id, { audioMuted: true });
        break;
      case "remove-participant":
        if (this.#isMe(frame.userId)) {
          this.status = "removed";
          this.#resetPeers();
          this.emit("removed", { by: frame.id, frame });
          try { this.socket.close(); } catch { /* already closed */ }
        } else {
          this.#onLeft({ id: frame.userId });
        }
        break;
      case "request-mic": this.emit("mic-request", frame); break;
      case "meeting-ended": // a host ended the meeting: the server closes every socket (4410)
        this.#endedSeen = true;
        this.status = "ended";
        this.#resetPeers();
        break;
      // Routed to the requester only (userId and, as in the seed, id name them; senderId is the host).
      case "request-mic-accepted":
        if (frame.userId === undefined || this.#isMe(frame.userId)) this.emit("mic-accepted", frame);
        break;
      case "request-mic-rejected":
        if (frame.userId === undefined || this.#isMe(frame.userId)) this.emit("mic-rejected", frame);
        break;
      case "error":
        this.sfu.handle(frame);
        this.emit("error", frame);
        // The tenant's plan lacks the feature: {code: "plan_required", plan, feature, detail}.
        if (frame.code === "plan_required") this.emit("plan-required", frame);
        break;
      default: if (frame.type.startsWith("sfu-") || frame.type === "speaking") this.sfu.handle(frame); break;
    }
    this.emit("data", frame);
    if (frame.type !== "error" && frame.type !== "data") this.emit(frame.type, frame);
  }

  #isMe(id) {
    return this.me && id !== undefined && id !== null && String(id) === String(this.me.id);
  }

  #mutedByHost(frame) {
    for (const stream of this.published) if (stream.mediaStream.getAudioTracks().length) stream.muteAudio();
    this.emit("muted", { by: frame.id, frame });
  }

  #onRoomState(frame) {
    const reconnected = this.state !== null;
    this.state = frame;
    this.plan = frame.plan || null;
    this.attempt = 0;
    this.status = "connected";
    const self = frame.you || frame.self || frame.me || {};
    const meId = self.id ?? frame.participantId ?? frame.id;
    this.me = { ...self, id: meId, username: self.username ?? self.name, role: self.role ?? frame.role, isMe: true };
    this.participants = new Map();
    this.participants.set(String(this.me.id), this.me);
    for (const p of frame.participants || []) {
      if (String(p.id) === String(this.me.id)) { Object.assign(this.me, normalise(p), { isMe: true }); continue; }
      this.participants.set(String(p.id), normalise(p));
    }
    if (Array.isArray(frame.iceServers) && frame.iceServers.length) this.iceServers = frame.iceServers;
    // Tell the others how we look right now (mute state survives a reconnect).
    this.#announceMedia();
    this.#setMedia(frame.media || { path: "mesh", epoch: 0, state: "up" }, { fresh: true });
    this.#flush();
    if (this.#connectWaiters) { this.#connectWaiters.resolve(frame); this.#connectWaiters = null; }
    this.emit(reconnected ? "reconnected" : "connected", frame);
  }

  #onJoined(frame) {
    if (this.#isMe(frame.id)) return;
    const p = normalise(frame);
    const key = String(p.id);
    const existing = this.participants.get(key);
    this.participants.set(key, existing ? Object.assign(existing, p) : p);
    const peer = this.peers.get(key);
    if (peer && peer.confirmed) {
      // The same participant came back on a new connection: start over with it.
      peer.close();
      this.peers.delete(key);
    }
    if (this.media.path !== "sfu") this.#peerFor(p.id, { confirmed: true });
    if (!existing) this.emit("participant-joined", this.participants.get(key));
    this.#announceMedia(p.id);
  }

  #onLeft(frame) {
    const key = String(frame.id);
    if (this.#isMe(frame.id)) return;
    this.peers.get(key)?.close();
    this.peers.delete(key);
    this.sfu.dropParticipant(key);
    const p = this.participants.get(key);
    if (p) {
      this.participants.delete(key);
      this.emit("participant-left", p);
    }
  }

  #onSignal(frame) {
    const from = frame.from ?? frame.id;
    if (from === undefined || this.#isMe(from) || !frame.data) return;
    const data = frame.data;
    if (data.media) this.#update(from, data.media);
    if (this.media.path === "sfu") return; // media goes through the SFU; only the mute state matters
    let peer = this.peers.get(String(from));
    if (data.session && peer && peer.remoteSession && peer.remoteSession !== data.session) {
      // The remote rebuilt its side (it reconnected): so do we.
      peer.close();
      this.peers.delete(String(from));
      peer = null;
    }
    if (!data.description && !data.candidate) return;
    if (!peer) peer = this.#peerFor(from, { confirmed: false });
    if (data.session) peer.remoteSession = data.session;
    peer.receive(data);
  }

  #peerFor(id, { confirmed, initiator = false }) {
    const key = String(id);
    let peer = this.peers.get(key);
    if (!peer) {
      if (!this.participants.has(key)) this.participants.set(key, normalise({ id }));
      peer = new Peer(this, id, { initiator });
      this.peers.set(key, peer);
    }
    if (confirmed) peer.confirmed = true;
    return peer;
  }

  #update(id, changes) {
    if (id === undefined || id === null) return;
    const p = this.participants.get(String(id));
    if (!p) return;
    Object.assign(p, changes);
    this.emit("participant-updated", p);
  }

  #resetPeers() {
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    this.sfu.stop();
  }

  /**
   * Follow the server's media path: the mesh (a peer connection per participant) or the SFU
   * (one up, one down). A new SFU epoch (the room moved, or its server came back) restarts
   * the SFU connections; nobody reloads.
   */
  #setMedia(media, { fresh = false } = {}) {
    const before = this.media;
    this.media = { ...media };
    if (media.path === "sfu") {
      if (media.state === "lost") this.sfu.stop();
      else if (fresh || this.sfu.epoch !== media.epoch) {
        for (const peer of this.peers.values()) peer.close();
        this.peers.clear();
        this.sfu.start(media.epoch);
      }
    } else if (fresh) {
      for (const p of this.participants.values()) if (!p.isMe) this.#peerFor(p.id, { confirmed: true, initiator: true });
    }
    if (fresh || before.path !== media.path || before.epoch !== media.epoch || before.state !== media.state) {
      this.emit("media", this.media);
    }
  }

  /** RTCPeerConnection options for every connection of this room. */
  rtcConfiguration() {
    return { iceServers: this.iceServers, iceTransportPolicy: this.iceTransportPolicy };
  }

  /**
   * Hosts, rooms on the media server: record every feed on the server (the recording goes on
   * if your browser closes). Resolves with `{recordingId}`; rejects with the server's error.
   */
  recordOnServer(on = true) { return this.sfu.record(on); }

  /** Simulcast on the SFU path: get the "low" or "high" layer of a remote camera. */
  setVideoLayer(remote, layer) { return this.sfu.setLayer(remote, layer); }

  _setSpeaking(id, speaking) {
    const p = this.participants.get(String(id));
    if (p) p.speaking = speaking;
    this.emit("participant-speaking", { participantId: String(id), speaking });
  }

  /** Media state (mic muted, camera off, screen sharing) to one participant or everyone. */
  #announceMedia(to) {
    const media = this.mediaState();
    if (this.me) Object.assign(this.me, media);
    const targets = to !== undefined ? [to] : [...this.participants.keys()].filter((k) => !this.#isMe(k));
    for (const id of targets) this.sendSignal(id, { media, session: this.session });
  }

  mediaState() {
    const camera = [...this.published].find((s) => s.kind === "camera");
    return {
      audioMuted: camera ? camera.audioMuted || !camera.audioTrack : true,
      videoOff: camera ? camera.videoMuted || !camera.videoTrack : true,
      sharing: [...this.published].some((s) => s.kind === "screen"),
    };
  }

  publishedKinds() {
    const kinds = {};
    for (const s of this.published) kinds[s.id] = s.kind;
    return kinds;
  }

  #send(frame) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN && this.status === "connected") {
      this.socket.send(JSON.stringify(frame));
      return true;
    }
    if (this.status === "left" || this.status === "removed" || this.status === "ended") return false;
    this.#pending.push(frame);
    return false;
  }

  #flush() {
    const pending = this.#pending;
    this.#pending = [];
    for (const frame of pending) if (frame.type !== "signal") this.#send(frame);
  }

  sendSignal(to, data) {
    if (this.socket?.readyState === WebSocket.OPEN && this.status === "connected") {
      this.socket.send(JSON.stringify({ type: "signal", to: String(to), data }));
    }
  }

  /**
   * Send one event on the room socket, e.g. `{type: "chat-box", msg: "hi"}`. The server
   * stamps your id, name and the time, and relays it as the protocol says. Frames sent
   * while reconnecting are queued.
   */
  sendData(msg) {
    if (!msg || typeof msg !== "object" || typeof msg.type !== "string") {
      throw new TypeError('sendData takes an object with a string "type"');
    }
    const sent = this.#send(msg);
    if (msg.type === "mic-accepted-ack") this.sfu.promote(); // on air: the SFU now takes our upstream
    return sent;
  }

  /** Send a stream's tracks to every participant (now and joining later). */
  publish(stream) {
    if (!stream?.mediaStream) throw new Error("init() the stream before publishing it");
    if (this.published.has(stream)) return stream;
    this.published.add(stream);
    const offs = [
      stream.on("trackreplaced", ({ oldTrack, newTrack }) => {
        for (const peer of this.peers.values()) peer.replaceTrack(oldTrack, newTrack, stream.mediaStream);
        this.sfu.replaceTrack(oldTrack, newTrack);
        this.sendData({ type: "device-switch" });
      }),
      stream.on("mute", ({ kind, muted }) => {
        if (kind === "video" && stream.kind === "camera") this.sendData({ type: "video-off", videoFlag: !muted });
        this.#announceMedia();
      }),
      stream.on("ended", () => this.unpublish(stream)),
    ];
    stream._roomOffs = offs;
    for (const peer of this.peers.values()) peer.addStream(stream);
    this.sfu.addStream(stream);
    if (stream.kind === "screen") this.sendData({ type: "sharing-toggle", flag: true });
    this.#announceMedia();
    this.emit("published", stream);
    return stream;
  }

  /** Stop sending a stream (its tracks keep running; `stream.close()` stops them). */
  unpublish(stream) {
    if (!this.published.has(stream)) return;
    this.published.delete(stream);
    for (const off of stream._roomOffs || []) off();
    for (const peer of this.peers.values()) peer.removeStream(stream);
    this.sfu.removeStream(stream);
    if (stream.kind === "screen") this.sendData({ type: "sharing-toggle", flag: false });
    this.#announceMedia();
    this.emit("unpublished", stream);
  }

  /** The MediaStream of a remote stream, to put in a `<video>`'s `srcObject`. */
  subscribe(remoteStream) {
    remoteStream.subscribed = true;
    for (const track of remoteStream.mediaStream.getTracks()) track.enabled = true;
    return remoteStream.mediaStream;
  }

  /** Stop playing a remote stream (its tracks are disabled locally). */
  unsubscribe(remoteStream) {
    remoteStream.subscribed = false;
    for (const track of remoteStream.mediaStream.getTracks()) track.enabled = false;
  }

  /** Remote streams currently received, optionally of one participant. */
  remoteStreams(participantId) {
    const out = [];
    for (const [id, peer] of this.peers) {
      if (participantId === undefined || id === String(participantId)) out.push(...peer.streams.values());
    }
    return out.concat(this.sfu.remoteStreams(participantId));
  }

  // Host controls (the server refuses them from anyone but a host).
  /** Whether the site's plan includes a feature (docs/plans.md), e.g. `room.allows("whiteboard")`.
   *  Known once connected; the server refuses events of other features with "plan-required". */
  allows(feature) {
    return Boolean(this.plan && this.plan.features.includes(feature));
  }

  muteParticipant(userId) { return this.sendData({ type: "mute-participant", userId }); }
  removeParticipant(userId) { return this.sendData({ type: "remove-participant", userId }); }
  muteAll() { return this.sendData({ type: "mute-all-participants" }); }
  acceptMic(userId) { return this.sendData({ type: "request-mic-accepted", userId }); }
  rejectMic(userId) { return this.sendData({ type: "request-mic-rejected", userId }); }
  /** Hosts: end the meeting for everyone (they all get "meeting-ended"; nobody joins again). */
  endMeeting() { return this.sendData({ type: "end-meeting" }); }
  // Raise (anyone; viewers of webinars and live rooms ask for the floor this way) or lower a hand.
  requestMic() { return this.sendData({ type: "request-mic" }); }
  lowerHand() { return this.sendData({ type: "lower-hand" }); }

  /** Leave the room: close every peer connection and the socket. Published streams keep running. */
  leave() {
    this.status = "left";
    clearTimeout(this.#retryTimer);
    this.#resetPeers();
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) this.socket.close(1000, "leave");
    this.emit("disconnected", { code: 1000, reason: "leave" });
  }
}

function normalise(p) {
  return {
    ...p,
    id: p.id,
    username: p.username ?? p.name ?? "Guest",
    role: p.role ?? "participant",
    audioMuted: p.audioMuted ?? p.muted ?? false,
    videoOff: p.videoOff ?? (p.videoFlag === false),
    sharing: p.sharing ?? false,
    isMe: false,
  };
}

function defaultSocketBase() {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss:" : "ws:"}//${host}`;
}

function randomId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
}
