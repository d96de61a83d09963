/** Peer connections of the Parley SDK's WebRTC mesh, one per remote participant. */

/**
 * A stream published by another participant. `room.subscribe(remote)` gives its MediaStream.
 * `participantId`, `kind` ("camera" or "screen"), `mediaStream`.
 */
export class RemoteStream {
  constructor({ participantId, mediaStream, kind }) {
    this.participantId = participantId;
    this.mediaStream = mediaStream;
    this.kind = kind || "camera";
    this.subscribed = false;
  }

  get id() { return this.mediaStream.id; }
}

/**
 * One RTCPeerConnection to one remote participant, negotiated the "perfect" way.
 *
 * To keep the first exchange free of glare, the newcomer (who learnt of the other from
 * `room_state`) offers first — with receive-only transceivers if it has nothing to send
 * yet — and the side already in the room adds its tracks while answering that offer.
 * Later changes (screen share, a viewer given the floor) renegotiate from either side.
 */
export class Peer {
  constructor(room, remoteId, { initiator = false } = {}) {
    this.room = room;
    this.remoteId = remoteId;
    // Exactly one side of every pair is polite; ids are unique in the room.
    this.polite = String(room.me.id) > String(remoteId);
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.remoteSession = null;
    this.confirmed = false;
    this.streams = new Map(); // MediaStream id -> RemoteStream
    this.streamKinds = {}; // what the remote said its streams are
    this.senders = new Map(); // local track id -> RTCRtpSender
    this.queue = Promise.resolve();
    this.closed = false;
    this.trace = []; // the last signalling steps, for debugging
    this.earlyCandidates = []; // arrived before any remote description: applied after it

    const pc = new RTCPeerConnection(room.rtcConfiguration());
    this.pc = pc;
    pc.onnegotiationneeded = async () => {
      try {
        this.makingOffer = true;
        await pc.setLocalDescription();
        this.send({ description: pc.localDescription.toJSON() });
      } catch (err) {
        this.note(`negotiation failed: ${err}`);
        room.emit("warning", { where: "negotiation", error: err });
      } finally {
        this.makingOffer = false;
      }
    };
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.send({ candidate: candidate.toJSON() });
    };
    pc.oniceconnectionstatechange = () => {
      if (pc.iceConnectionState === "failed") pc.restartIce();
    };
    pc.onconnectionstatechange = () => room.emit("peer-state", { participantId: remoteId, state: pc.connectionState });
    pc.ontrack = ({ track, streams }) => {
      const mediaStream = streams[0] || new MediaStream([track]);
      let remote = this.streams.get(mediaStream.id);
      if (!remote) {
        remote = new RemoteStream({
          participantId: remoteId, mediaStream, kind: this.streamKinds[mediaStream.id] || "camera",
        });
        this.streams.set(mediaStream.id, remote);
        mediaStream.addEventListener("removetrack", () => {
          if (mediaStream.getTracks().length === 0) this.dropStream(mediaStream.id);
        });
        room.emit("stream-added", remote);
      } else {
        room.emit("stream-updated", remote);
      }
    };
    this.initiator = initiator;
    this.sending = false;
    if (initiator) this.#startSending();
    else this.deferTimer = setTimeout(() => this.#startSending(), 3000);
  }

  #startSending() {
    if (this.sending || this.closed) return;
    this.sending = true;
    clearTimeout(this.deferTimer);
    for (const stream of this.room.published) this.addStream(stream);
    if (this.initiator && this.pc.getTransceivers().length === 0) {
      this.pc.addTransceiver("audio", { direction: "recvonly" });
      this.pc.addTransceiver("video", { direction: "recvonly" });
    }
  }

  note(step) {
    this.trace.push(`${Math.round(performance.now())} ${step}`);
    if (this.trace.length > 60) this.trace.shift();
  }

  send(data) {
    this.note(`send ${data.description ? data.description.type : data.candidate ? "candidate" : "?"}`);
    this.room.sendSignal(this.remoteId, {
      ...data, session: this.room.session, streams: this.room.publishedKinds(),
    });
  }

  addStream(stream) {
    if (!this.sending) return; // added with the answer to the newcomer's first offer
    for (const track of stream.mediaStream.getTracks()) {
      if (!this.senders.has(track.id)) this.senders.set(track.id, this.pc.addTrack(track, stream.mediaStream));
    }
  }

  removeStream(stream) {
    for (const [trackId, sender] of this.senders) {
      if (stream.mediaStream.getTracks().some((t) => t.id === trackId)) {
        try { this.pc.removeTrack(sender); } catch { /* already closed */ }
        this.senders.delete(trackId);
      }
    }
  }

  async replaceTrack(oldTrack, newTrack, mediaStream) {
    if (!this.sending) return;
    const sender = oldTrack && this.senders.get(oldTrack.id);
    if (sender) {
      this.senders.delete(oldTrack.id);
      this.senders.set(newTrack.id, sender);
      await sender.replaceTrack(newTrack);
    } else {
      this.senders.set(newTrack.id, this.pc.addTrack(newTrack, mediaStream));
    }
  }

  /** Signals from one peer are applied strictly in order. */
  receive(data) {
    this.queue = this.queue.then(() => this.#apply(data)).catch((err) => {
      this.note(`signal failed: ${err}`);
      this.room.emit("warning", { where: "signal", error: err });
    });
  }

  async #apply({ description, candidate, streams }) {
    if (this.closed) return;
    this.note(`recv ${description ? description.type : "candidate"} (${this.pc.signalingState}${this.makingOffer ? ", making offer" : ""})`);
    if (streams) {
      Object.assign(this.streamKinds, streams);
      for (const [id, remote] of this.streams) if (streams[id]) remote.kind = streams[id];
    }
    const pc = this.pc;
    if (description) {
      const offerCollision = description.type === "offer" && (this.makingOffer || pc.signalingState !== "stable");
      this.ignoreOffer = !this.polite && offerCollision;
      if (this.ignoreOffer) { this.note("ignored offer"); return; }
      await pc.setRemoteDescription(description);
      await this.#addEarlyCandidates();
      if (description.type === "offer") {
        this.#startSending();
        await pc.setLocalDescription();
        this.send({ description: pc.localDescription.toJSON() });
      }
    } else if (candidate) {
      // In a glare the impolite side sits in have-local-offer with no remote description;
      // the polite side's candidates (its ICE credentials survive the rollback) must wait.
      if (!pc.remoteDescription) {
        this.earlyCandidates.push(candidate);
        return;
      }
      try {
        await pc.addIceCandidate(candidate);
      } catch (err) {
        if (!this.ignoreOffer) throw err;
      }
    }
  }

  async #addEarlyCandidates() {
    const early = this.earlyCandidates;
    this.earlyCandidates = [];
    for (const candidate of early) {
      try {
        await this.pc.addIceCandidate(candidate);
      } catch (err) {
        this.note(`early candidate refused: ${err}`);
      }
    }
  }

  dropStream(id) {
    const remote = this.streams.get(id);
    if (!remote) return;
    this.streams.delete(id);
    this.room.emit("stream-removed", remote);
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.deferTimer);
    for (const id of [...this.streams.keys()]) this.dropStream(id);
    this.pc.close();
  }
}
