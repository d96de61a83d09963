"""One person's SFU connection, driven by their room socket.

Parley relays the SFU signalling: the browser sends ``sfu-*`` frames on its room socket,
this module turns them into media-server requests on the room's server-side room (which the
browser can neither see nor name), and answers on the same socket. What a frame may do is
decided here, from the server's own records:

- publish: hosts and participants; a viewer only once a host accepted their request to speak
  and they acknowledged it (``mic-accepted-ack`` sets ``onAir`` in the roster);
- subscribe: only feeds that people *in this room* publish now (the roster's ``feed``);
- everything goes to the room's media-server room, from the room meta; nothing in a frame
  names a server-side room.

A feed is announced to the room (``sfu-feed``, and ``feed`` in the roster) once its media
reaches the server, so a subscription never races the upstream. The audio-level events of
the server become ``speaking`` frames.
"""

import logging

from realtime.frames import encode, now_ms
from realtime.media import cluster as clusters
from realtime.media import rooms
from realtime.media.base import MediaServerError, PeerEvents

logger = logging.getLogger(__name__)


def _refuse(code: str, detail: str):
    from realtime.protocol import EventError

    return EventError(code, detail)


class MediaSession:
    def __init__(self, conn):
        self.conn = conn
        self.peer = None
        self.server_sid: str | None = None
        self.epoch: int | None = None
        self.live = False           # our upstream's media reached the server
        self.feed: int | None = None
        self.streams: list[str] = []  # the mids of our upstream's active streams
        self.closed = False

    # --- the room's server-side room -------------------------------------------------------------
    async def _media(self) -> dict:
        media = await rooms.current(self.conn.key)
        if media is None:
            raise _refuse("invalid_state", "This room is not using the media server.")
        if media.get("state") == "lost":
            raise _refuse("media_unavailable", "The media server is unavailable; waiting for it to return.")
        return media

    async def _peer(self):
        media = await self._media()
        if self.peer is not None and self.epoch == media["epoch"]:
            return self.peer
        await self._drop_peer()
        cluster = clusters.get_cluster()
        server = cluster.get(media["server"]) if cluster else None
        if server is None or not await cluster.up(server):
            await rooms.failover(self.conn.key, media["server"])  # noticed here first: move the room
            raise _refuse("media_unavailable", "The media server is unavailable.")
        events = PeerEvents(talking=self._talking, offer=self._unrequested_offer, state=self._state,
                            candidate=self._candidate)
        try:
            self.peer = await server.peer(media["ref"], display=self.conn.pid, events=events)
        except MediaServerError as exc:
            raise _refuse(exc.code, exc.detail) from None
        self.server_sid, self.epoch = server.sid, media["epoch"]
        return self.peer

    async def _drop_peer(self) -> None:
        peer, self.peer = self.peer, None
        if self.feed is not None:
            self.live = False
            await self._announce_feed(None)
        if peer is not None:
            await peer.close()

    async def _call(self, coro):
        try:
            return await coro
        except MediaServerError as exc:
            logger.warning("media request of %s refused: %s", self.conn.pid, exc, exc_info=True)
            raise _refuse(exc.code, exc.detail) from None

    # --- what the browser asks -------------------------------------------------------------------
    async def publish(self, frame: dict) -> dict:
        if not await self._may_publish():
            raise _refuse("forbidden", "Viewers publish only after a host accepted their request to speak.")
        jsep = _jsep(frame, "offer")
        descriptions = [
            {"mid": str(d.get("mid"))[:16], "description": str(d.get("description"))[:32]}
            for d in frame.get("descriptions") or [] if isinstance(d, dict) and d.get("mid") is not None
        ][:8]
        peer = await self._peer()
        answer, streams = await self._call(peer.publish(jsep, descriptions=descriptions))
        changed = [s["mid"] for s in streams] != self.streams
        self.streams = [s["mid"] for s in streams]
        if self.live and changed:  # a renegotiation (screen added or removed): tell the others again
            await self._announce_feed(peer.feed)
        return {"type": "sfu-answer", "jsep": answer, "feed": peer.feed, "epoch": self.epoch}

    async def unpublish(self, frame: dict) -> dict:
        await self._media()
        if self.peer is not None:
            await self._call(self.peer.unpublish())
        self.live = False
        await self._announce_feed(None)
        return {"type": "sfu-unpublished"}

    async def subscribe(self, frame: dict) -> dict:
        await self._media()
        wanted = frame["feeds"]
        if not all(isinstance(f, int) and not isinstance(f, bool) for f in wanted) or len(wanted) > 500:
            raise _refuse("invalid_payload", "'feeds' must be a list of feed numbers.")
        roster = await self.conn.store.roster(self.conn.key)
        published = {e["feed"]: e.get("feedStreams") or [] for e in roster if isinstance(e.get("feed"), int)}
        unknown = [f for f in wanted if f not in published]
        if unknown:
            raise _refuse("not_found", f"No feed {unknown[0]} in this room.")
        owners = {e["feed"]: e["id"] for e in roster if isinstance(e.get("feed"), int)}
        peer = await self._peer()
        offer = await self._call(peer.subscribe({f: published[f] for f in wanted}))
        return {**await self._offer_frame(offer, owners), "requested": True}

    async def answer(self, frame: dict) -> None:
        peer = await self._peer()
        await self._call(peer.answer(_jsep(frame, "answer")))

    async def trickle(self, frame: dict) -> None:
        target = frame["target"]
        if target not in ("publisher", "subscriber"):
            raise _refuse("invalid_payload", "'target' must be 'publisher' or 'subscriber'.")
        candidate = frame.get("candidate")
        if candidate is not None:
            candidate = {k: candidate[k] for k in ("candidate", "sdpMid", "sdpMLineIndex") if k in candidate}
        peer = await self._peer()
        await self._call(peer.trickle(target, candidate))

    async def set_layer(self, frame: dict) -> None:
        layer = frame["layer"]
        if layer not in (0, 1, 2):
            raise _refuse("invalid_payload", "'layer' must be 0, 1 or 2.")
        peer = await self._peer()
        await self._call(peer.set_layer(frame["mid"], int(layer)))

    async def keyframe(self, frame: dict) -> None:
        await self._media()
        if self.peer is not None and self.live:
            await self._call(self.peer.request_keyframe())

    async def close(self) -> None:
        self.closed = True
        await self._drop_peer()

    # --- what the media server tells us ----------------------------------------------------------
    async def _talking(self, speaking: bool) -> None:
        # In the roster too: Janus reports changes only, and a joiner must see who speaks now.
        await self.conn.store.update(self.conn.key, self.conn.pid, {"speaking": speaking})
        frame = {"type": "speaking", "id": self.conn.pid, "username": self.conn.username,
                 "speaking": speaking, "time": now_ms()}
        await self.conn.hub.publish(self.conn.key, {"route": "room", "text": encode(frame)})

    async def _unrequested_offer(self, offer) -> None:
        if not self.closed:
            await self._send(await self._offer_frame(offer, await self._feeds()))

    async def _candidate(self, target: str, candidate: dict | None) -> None:
        if not self.closed:
            frame = {"type": "sfu-candidate", "target": target, "epoch": self.epoch}
            if candidate is not None:
                frame["candidate"] = {k: candidate[k] for k in ("candidate", "sdpMid", "sdpMLineIndex")
                                      if k in candidate}
            await self._send(frame)

    async def _state(self, target: str, state: str) -> None:
        if self.closed:
            return
        if target == "publisher" and self.peer is not None:
            self.live = state == "up"
            await self._announce_feed(self.peer.feed if self.live else None)
        elif target == "server" and state == "lost":
            lost = self.server_sid
            self.peer, self.live = None, False
            if self.feed is not None:
                await self._announce_feed(None)
            await self._send({"type": "sfu-state", "id": "server", "state": "lost", "epoch": self.epoch,
                              "time": now_ms()})
            if lost:
                await rooms.failover(self.conn.key, lost)

    # --- helpers -----------------------------------------------------------------------------------
    async def _may_publish(self) -> bool:
        if self.conn.role in ("host", "participant"):
            return True
        entry = await self.conn.store.get(self.conn.key, self.conn.pid)
        return bool(entry and entry.get("onAir"))

    async def _feeds(self) -> dict[int, str]:
        """Feed → participant id, for everyone in this room publishing now."""
        roster = await self.conn.store.roster(self.conn.key)
        return {e["feed"]: e["id"] for e in roster if isinstance(e.get("feed"), int)}

    async def _offer_frame(self, offer, owners: dict[int, str]) -> dict:
        if offer is None:
            return {"type": "sfu-offer", "jsep": None, "streams": []}
        streams = [
            {"mid": s["mid"], "participantId": owners.get(s["feed"]), "feed": s["feed"],
             "feedMid": s["feed_mid"], "kind": s["kind"], "description": s["description"],
             "active": s["active"] and s["feed"] in owners}
            for s in offer.streams
        ]
        return {"type": "sfu-offer", "jsep": offer.jsep, "streams": streams, "epoch": self.epoch}

    async def _announce_feed(self, feed: int | None) -> None:
        if feed == self.feed and feed is None:
            return
        self.feed = feed
        conn = self.conn
        streams = self.streams if feed is not None else []
        await conn.store.update(conn.key, conn.pid, {"feed": feed, "feedStreams": streams})
        frame = {"type": "sfu-feed", "id": conn.pid, "username": conn.username, "feed": feed,
                 "streams": streams, "time": now_ms()}
        await conn.hub.publish(conn.key, {"route": "others", "sender": conn.pid, "text": encode(frame)})

    async def _send(self, frame: dict) -> None:
        if self.conn.open:
            await self.conn.reply(frame)


def _jsep(frame: dict, kind: str) -> dict:
    jsep = frame["jsep"]
    if jsep.get("type") != kind or not isinstance(jsep.get("sdp"), str):
        raise _refuse("invalid_payload", f"'jsep' must be an SDP {kind}.")
    return {"type": kind, "sdp": jsep["sdp"]}


def session_of(conn) -> MediaSession:
    session = getattr(conn, "media_session", None)
    if session is None:
        session = conn.media_session = MediaSession(conn)
    return session
