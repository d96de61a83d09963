/**
 * The SFU media path of the Parley SDK: one upstream ("publisher") and one downstream
 * ("subscriber") RTCPeerConnection to the media server, whatever the size of the room.
 *
 * Parley relays the signalling on the room socket (docs/media.md): `sfu-publish` (our
 * offer) → `sfu-answer`; `sfu-subscribe {feeds}` → `sfu-offer` (the server's offer, with
 * what each m-line carries) → `sfu-answer` from us; `sfu-trickle` both ways. The room
 * announces feeds (`sfu-feed`), who is speaking (`speaking`) and path changes (`media-path`,
 * `sfu-state`). The camera is sent as simulcast (three layers) so a small tile can ask the
 * server for the low layer (`setLayer`).
 */
import { RemoteStream } from "./peer.js";

// Janus takes the rids in the SDP as highest first (h, m, l): substream 2 = h … 0 = l.
const SIMULCAST = [
  { rid: "h", maxBitrate: 1_200_000 },
  { rid: "m", scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: "l", scaleResolutionDownBy: 4, maxBitrate: 150_000 },
];
const LAYERS = { low: 0, medium: 1, high: 2 };
const KEYFRAME_RETRIES_MS = [0, 1000, 2500];
const REPLY_TIMEOUT_MS = 15_000;
// Errors of the server that answer an SFU request (they end the request waiting for them).
const SFU_ERRORS = new Set(["media_unavailable", "media_error", "invalid_state", "forbidden", "not_found",
  "invalid_payload", "conflict", "plan_required", "plan_limit"]);

/**
 * The simulcast layers a camera of this size really gets: Chromium sends at most 3 layers
 * from 540p, 2 from 270p, 1 below — a layer it silently drops would leave the server
 * expecting a stream that never comes (Janus then mixes the others' packets). Highest first.
 */
function simulcastLayers(track) {
  const height = track.getSettings?.().height || 720;
  const count = height >= 540 ? 3 : height >= 270 ? 2 : 1;
  return SIMULCAST.slice(0, count).map((e) => ({ ...e }));
}

export class SfuPath {
  constructor(room) {
    this.room = room;
    this.epoch = null;
    this.pub = null; // {pc, senders: Map(track id -> {transceiver, kind}), busy, again}
    this.sub = null; // {pc, chain}
    this.remotes = new Map(); // "<feed>:<camera|screen>" -> RemoteStream
    this.midOwner = new Map(); // subscriber mid -> remote key
    this.midSource = new Map(); // subscriber mid -> {feed, feedMid}: which publisher stream it carries
    this.subscribed = new Map(); // feed -> its streams (mids) when we last subscribed
    this.wanted = new Map(); // feed -> streams signature, to subscribe to
    this.subscribing = false;
    this.waiting = new Map(); // reply type -> {resolve, reject, timer}: what an SFU request waits for
    this.onAir = false;
    this.early = { publisher: [], subscriber: [] }; // server candidates for a connection not made yet
    this.simulcast = room.simulcast !== false;
  }

  get active() { return this.epoch !== null; }

  start(epoch) {
    this.stop();
    this.epoch = epoch;
    this.onAir = this.room.me?.role !== "viewer" || this.onAir || !!this.room.me?.onAir;
    if (this.room.published.size) this.#ensurePublisher();
    for (const p of this.room.participants.values()) if (!p.isMe && Number.isInteger(p.feed)) this.#subscribe(p.feed, p.feedStreams);
  }

  stop() {
    this.epoch = null;
    for (const type of [...this.waiting.keys()]) this.#settle(new Error("media path stopped"), { type });
    for (const pc of [this.pub?.pc, this.sub?.pc]) try { pc?.close(); } catch { /* closed */ }
    this.pub = null;
    this.sub = null;
    this.feed = null;
    this.early = { publisher: [], subscriber: [] };
    for (const key of [...this.remotes.keys()]) this.#dropRemote(key);
    this.midOwner.clear();
    this.midSource.clear();
    this.subscribed.clear();
    this.wanted.clear();
    this.subscribing = false;
  }

  /** A viewer the host accepted has sent `mic-accepted-ack`: publish what is waiting. */
  promote() {
    this.onAir = true;
    if (this.active && this.room.published.size) this.#ensurePublisher();
  }

  // ---------- frames from the room socket ----------

  handle(frame) {
    switch (frame.type) {
      case "sfu-answer": this.#settle(null, frame); break;
      case "sfu-offer":
        if (frame.requested) this.#settle(null, frame);
        this.#queueOffer(frame);
        break;
      case "sfu-unpublished": this.#settle(null, frame); break;
      case "sfu-record": this.#settle(null, frame); break;
      case "sfu-feed": this.#onFeed(frame); break;
      case "sfu-candidate": this.#remoteCandidate(frame); break;
      case "speaking": this.room._setSpeaking(frame.id, !!frame.speaking); break;
      case "error":
        // The server handles one frame at a time: an SFU error answers the oldest request.
        if (SFU_ERRORS.has(frame.code)) this.#settle(Object.assign(new Error(frame.detail), { code: frame.code }));
        break;
      default: break;
    }
  }

  #request(frame, replyType) {
    this.#settle(new Error("superseded"), { type: replyType });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#settle(new Error(`no ${replyType} from the server`), { type: replyType }), REPLY_TIMEOUT_MS);
      this.waiting.set(replyType, { resolve, reject, timer, at: performance.now() });
      this.room.sendData(frame);
    });
  }

  /** Resolve the request waiting for `frame.type`; an error without a frame fails the oldest request. */
  #settle(error, frame) {
    let type = frame?.type;
    if (!type) type = [...this.waiting].sort((a, b) => a[1].at - b[1].at)[0]?.[0];
    const waiting = type && this.waiting.get(type);
    if (!waiting) return;
    this.waiting.delete(type);
    clearTimeout(waiting.timer);
    if (error) waiting.reject(error); else waiting.resolve(frame);
  }

  // ---------- publishing ----------

  #ensurePublisher() {
    if (!this.active || !this.onAir) return;
    if (!this.pub) {
      const pc = new RTCPeerConnection(this.room.rtcConfiguration());
      this.pub = { pc, senders: new Map(), busy: false, again: false, early: this.early.publisher.splice(0) };
      pc.onicecandidate = ({ candidate }) => this.#trickle("publisher", candidate);
      pc.onnegotiationneeded = () => this.#negotiate();
    }
    for (const stream of this.room.published) this.#addTracks(stream);
  }

  addStream(stream) { if (this.active) this.#ensurePublisher(); }

  #addTracks(stream) {
    const { pc, senders } = this.pub;
    for (const track of stream.mediaStream.getTracks()) {
      if (senders.has(track.id)) continue;
      const init = { direction: "sendonly", streams: [stream.mediaStream] };
      if (this.simulcast && track.kind === "video" && stream.kind === "camera") {
        const layers = simulcastLayers(track);
        if (layers.length > 1) init.sendEncodings = layers;
      }
      senders.set(track.id, { transceiver: pc.addTransceiver(track, init), kind: stream.kind });
    }
  }

  removeStream(stream) {
    if (!this.pub) return;
    for (const track of stream.mediaStream.getTracks()) {
      const entry = this.pub.senders.get(track.id);
      if (!entry) continue;
      this.pub.senders.delete(track.id);
      try { this.pub.pc.removeTrack(entry.transceiver.sender); } catch { /* closed */ }
    }
  }

  replaceTrack(oldTrack, newTrack) {
    const entry = this.pub && oldTrack && this.pub.senders.get(oldTrack.id);
    if (!entry) return;
    this.pub.senders.delete(oldTrack.id);
    this.pub.senders.set(newTrack.id, entry);
    entry.transceiver.sender.replaceTrack(newTrack).catch((error) => this.room.emit("warning", { where: "sfu-replace-track", error }));
  }

  async #negotiate() {
    const pub = this.pub;
    if (!pub) return;
    if (pub.busy) { pub.again = true; return; }
    pub.busy = true;
    try {
      do {
        pub.again = false;
        await pub.pc.setLocalDescription(await pub.pc.createOffer());
        const descriptions = [];
        for (const { transceiver, kind } of pub.senders.values()) {
          if (transceiver.mid !== null && transceiver.sender.track?.kind === "video") descriptions.push({ mid: transceiver.mid, description: kind });
        }
        const { sdp, type } = pub.pc.localDescription;
        const reply = await this.#request({ type: "sfu-publish", jsep: { type, sdp }, descriptions }, "sfu-answer");
        if (this.pub !== pub) return;
        this.feed = reply.feed;
        await pub.pc.setRemoteDescription(reply.jsep);
        await this.#flushEarly(pub);
      } while (pub.again && this.pub === pub);
    } catch (error) {
      if (this.pub === pub) this.room.emit("warning", { where: "sfu-publish", error });
    } finally {
      pub.busy = false;
    }
  }

  /** The server's own ICE candidates (it trickles them after its SDP). */
  #remoteCandidate(frame) {
    if (frame.epoch !== undefined && frame.epoch !== this.epoch) return;
    const target = frame.target === "publisher" ? this.pub : this.sub;
    // The server may relay its candidates before the description they belong to reaches us.
    if (!target) { this.early[frame.target === "publisher" ? "publisher" : "subscriber"].push(frame.candidate || null); return; }
    if (!target.pc.remoteDescription) { target.early.push(frame.candidate || null); return; }
    target.pc.addIceCandidate(frame.candidate || null).catch((error) => this.room.emit("warning", { where: "sfu-candidate", error }));
  }

  /** Candidates that arrived before the description they belong to. */
  async #flushEarly(target) {
    const early = target.early.splice(0);
    for (const candidate of early) await target.pc.addIceCandidate(candidate).catch(() => {});
  }

  #trickle(target, candidate) {
    const frame = { type: "sfu-trickle", target };
    if (candidate) frame.candidate = { candidate: candidate.candidate, sdpMid: candidate.sdpMid ?? undefined, sdpMLineIndex: candidate.sdpMLineIndex ?? undefined };
    this.room.sendData(frame);
  }

  // ---------- receiving ----------

  #onFeed(frame) {
    const p = this.room.participants.get(String(frame.id));
    if (p) Object.assign(p, { feed: frame.feed, feedStreams: frame.streams || [] });
    if (!this.active) return;
    if (Number.isInteger(frame.feed)) {
      // A stream the publisher stopped (a screen share ended) goes at once; new ones are subscribed.
      const live = new Set(frame.streams || []);
      for (const [mid, source] of [...this.midSource]) {
        if (source.feed !== frame.feed || live.has(source.feedMid)) continue;
        this.midSource.delete(mid);
        const key = this.midOwner.get(mid);
        const track = this.sub?.pc.getTransceivers().find((t) => t.mid === mid)?.receiver.track;
        this.midOwner.delete(mid);
        if (key) this.#detach(key, track);
      }
      this.#subscribe(frame.feed, frame.streams);
    }
    else for (const [key, remote] of [...this.remotes]) if (remote.participantId === String(frame.id)) this.#dropRemote(key);
  }

  dropParticipant(id) {
    for (const [key, remote] of [...this.remotes]) if (remote.participantId === String(id)) this.#dropRemote(key);
  }

  /** Receive a feed — again when it gained a stream (a screen share): the server adds only what is new. */
  #subscribe(feed, streams = []) {
    const signature = [...streams].sort().join(",");
    if (this.subscribed.get(feed) === signature) return;
    this.wanted.set(feed, signature);
    this.#pump();
  }

  async #pump() {
    if (this.subscribing || !this.wanted.size || !this.active) return;
    const wanted = [...this.wanted];
    const feeds = wanted.map(([feed]) => feed);
    this.wanted.clear();
    this.subscribing = true;
    const epoch = this.epoch;
    try {
      for (const [feed, signature] of wanted) this.subscribed.set(feed, signature);
      await this.#request({ type: "sfu-subscribe", feeds }, "sfu-offer");
      await this.sub?.chain;
    } catch (error) {
      if (this.epoch === epoch) {
        for (const feed of feeds) this.subscribed.delete(feed);
        this.room.emit("warning", { where: "sfu-subscribe", error });
      }
    } finally {
      this.subscribing = false;
    }
    if (this.epoch === epoch) this.#pump();
  }

  #queueOffer(frame) {
    if (!frame.jsep || !this.active || (frame.epoch !== undefined && frame.epoch !== this.epoch)) return;
    if (!this.sub) {
      const pc = new RTCPeerConnection(this.room.rtcConfiguration());
      this.sub = { pc, chain: Promise.resolve(), early: this.early.subscriber.splice(0) };
      pc.onicecandidate = ({ candidate }) => this.#trickle("subscriber", candidate);
    }
    const sub = this.sub;
    sub.chain = sub.chain.then(() => this.#applyOffer(sub, frame)).catch((error) => {
      this.room.emit("warning", { where: "sfu-offer", error });
    });
  }

  async #applyOffer(sub, frame) {
    if (this.sub !== sub) return;
    await sub.pc.setRemoteDescription(frame.jsep);
    await this.#flushEarly(sub);
    const answer = await sub.pc.createAnswer();
    await sub.pc.setLocalDescription(answer);
    this.room.sendData({ type: "sfu-answer", jsep: { type: "answer", sdp: answer.sdp } });
    const transceivers = new Map(sub.pc.getTransceivers().map((t) => [t.mid, t]));
    for (const info of frame.streams || []) {
      const transceiver = transceivers.get(info.mid);
      const track = transceiver?.receiver.track;
      const key = info.active && info.participantId && track && this.#stillPublished(info)
        ? `${info.feed}:${info.description === "screen" ? "screen" : "camera"}` : null;
      if (key) this.midSource.set(info.mid, { feed: info.feed, feedMid: info.feedMid });
      const before = this.midOwner.get(info.mid);
      if (before === key) continue;
      if (before) this.#detach(before, track);
      if (key) this.#attach(key, info, track); else this.midOwner.delete(info.mid);
      if (key) this.midOwner.set(info.mid, key);
    }
  }

  /** Janus may still list a stream its publisher stopped; the room's `sfu-feed` is the truth. */
  #stillPublished(info) {
    const streams = this.room.participants.get(String(info.participantId))?.feedStreams;
    return !Array.isArray(streams) || !streams.length || streams.includes(info.feedMid);
  }

  #attach(key, info, track) {
    let remote = this.remotes.get(key);
    const fresh = !remote;
    if (fresh) {
      remote = new RemoteStream({ participantId: String(info.participantId), mediaStream: new MediaStream(), kind: info.description === "screen" ? "screen" : "camera" });
      remote.feed = info.feed;
      this.remotes.set(key, remote);
    }
    if (!remote.mediaStream.getTracks().includes(track)) remote.mediaStream.addTrack(track);
    this.room.emit(fresh ? "stream-added" : "stream-updated", remote);
  }

  #detach(key, track) {
    const remote = this.remotes.get(key);
    if (!remote) return;
    if (track) remote.mediaStream.removeTrack(track);
    if (remote.mediaStream.getTracks().length === 0) this.#dropRemote(key);
  }

  #dropRemote(key) {
    const remote = this.remotes.get(key);
    if (!remote) return;
    this.remotes.delete(key);
    for (const [mid, owner] of [...this.midOwner]) if (owner === key) this.midOwner.delete(mid);
    this.room.emit("stream-removed", remote);
  }

  remoteStreams(participantId) {
    return [...this.remotes.values()].filter((r) => participantId === undefined || r.participantId === String(participantId));
  }

  /** Simulcast: ask the server for the "low", "medium" or "high" layer of a remote camera. */
  setLayer(remote, layer) {
    const value = LAYERS[layer] ?? layer;
    if (!this.sub || !Number.isInteger(value)) return false;
    const key = [...this.remotes].find(([, r]) => r === remote)?.[0];
    for (const [mid, owner] of this.midOwner) {
      const transceiver = this.sub.pc.getTransceivers().find((t) => t.mid === mid);
      if (owner === key && transceiver?.receiver.track.kind === "video") {
        if (remote.layer === value) return true;
        remote.layer = value;
        this.room.sendData({ type: "sfu-layer", mid, layer: value });
        return true;
      }
    }
    return false;
  }

  /**
   * A recording starts: key frames of our camera, so the recording's video starts at once.
   * The server records the best simulcast layer it gets and moves down a layer only at a key
   * frame of that layer, so ask again while it settles.
   */
  recordingStarted() {
    const epoch = this.epoch;
    for (const delay of KEYFRAME_RETRIES_MS) {
      setTimeout(() => {
        if (this.epoch === epoch && this.pub?.pc.connectionState === "connected") this.room.sendData({ type: "sfu-keyframe" });
      }, delay);
    }
  }

  /** Hosts: record the room on the media server (`true`) or stop (`false`); resolves with the reply. */
  record(on) {
    return this.#request({ type: "sfu-record", record: !!on }, "sfu-record");
  }

  /** The RTCPeerConnections in use (diagnostics and stats). */
  connections() {
    return [this.pub?.pc, this.sub?.pc].filter(Boolean);
  }
}
