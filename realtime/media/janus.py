"""Janus (Meetecho's WebRTC server, VideoRoom plugin) as Parley's media server.

The only module that speaks Janus' API. One WebSocket per Janus server per process
(``JanusServer``) carries every request of that process; each connected person gets a Janus
*session* of their own (``JanusPeer``) with up to two *handles*: the publisher (their
upstream) and the subscriber (one multistream downstream with every feed they receive).
Keep-alives for all sessions go out together every ``KEEPALIVE_SECONDS``; if this process
dies, Janus times its sessions out (``session_timeout`` in deploy/janus/janus.jcfg) and
their feeds disappear.

Every request carries the API secret; rooms are created with the VideoRoom admin key and a
random per-room secret, so nothing but Parley can create, edit, record or destroy them, and
browsers (who never see the API) cannot name a room at all.
"""

import asyncio
import contextlib
import hashlib
import json
import logging
import secrets

import websockets

from realtime.media.base import (
    MediaPeer,
    MediaServer,
    MediaServerError,
    MediaServerLost,
    PeerEvents,
    SubscriberOffer,
)

logger = logging.getLogger(__name__)

PLUGIN = "janus.plugin.videoroom"
KEEPALIVE_SECONDS = 10
ROOM_EXISTS = 427
NO_SUCH_ROOM = 426
NO_SUCH_FEED = 428
MAX_PUBLISHERS = 1000


def server_id(url: str) -> str:
    """A short stable name for a server URL (stored in room meta; URLs never reach browsers)."""
    return "j" + hashlib.sha256(url.encode()).hexdigest()[:10]


class JanusServer(MediaServer):
    def __init__(self, url: str, *, secret: str, timeout: float = 10, bitrate: int = 2_000_000,
                 on_lost=None):
        self.url = url
        self.sid = server_id(url)
        self.secret = secret
        self.timeout = timeout
        self.bitrate = bitrate
        self.on_lost = on_lost
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._keepalive: asyncio.Task | None = None
        self._pending: dict[str, asyncio.Future] = {}
        self._acked: set[str] = set()  # requests answered by the "ack" itself (trickle, keepalive)
        self._handles: dict[int, JanusPeer] = {}
        self._sessions: set[int] = set()
        self._connecting: asyncio.Lock = asyncio.Lock()

    # --- connection ----------------------------------------------------------------------------
    @property
    def up(self) -> bool:
        return self._ws is not None

    async def connect(self) -> None:
        async with self._connecting:
            if self._ws is not None:
                return
            try:
                ws = await websockets.connect(
                    self.url, subprotocols=["janus-protocol"], open_timeout=3, ping_interval=5,
                    ping_timeout=5, close_timeout=1, max_size=4 * 1024 * 1024,
                )
            except (OSError, TimeoutError, websockets.WebSocketException) as exc:
                detail = f"Media server {self.sid} is unreachable ({type(exc).__name__})."
                raise MediaServerLost(detail) from None
            self._ws = ws
            self._reader = asyncio.create_task(self._read(ws))
            self._keepalive = asyncio.create_task(self._keepalives())

    async def close(self) -> None:
        ws, self._ws = self._ws, None
        for task in (self._reader, self._keepalive):
            if task is not None:
                task.cancel()
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()

    async def _read(self, ws) -> None:
        try:
            async for raw in ws:
                try:
                    message = json.loads(raw)
                except ValueError:
                    continue
                self._dispatch(message)
        except websockets.WebSocketException:
            pass
        except asyncio.CancelledError:
            raise
        if self._ws is ws:
            self._lost()

    def _lost(self) -> None:
        self._ws = None
        if self._keepalive is not None:
            self._keepalive.cancel()
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(MediaServerLost())
        peers = set(self._handles.values())
        self._handles.clear()
        self._sessions.clear()
        logger.warning("media server %s (%s) lost; %d peer(s) affected", self.sid, self.url, len(peers))
        if self.on_lost is not None:
            self.on_lost(self, peers)

    def _dispatch(self, message: dict) -> None:
        transaction = message.get("transaction") or ""
        if message.get("janus") == "ack" and transaction not in self._acked:
            return  # a plugin request: its answer follows
        future = self._pending.pop(transaction, None)
        if future is not None and not future.done():
            self._acked.discard(transaction)
            future.set_result(message)
            return
        peer = self._handles.get(message.get("sender"))
        if peer is not None:
            peer._event(message)

    async def _keepalives(self) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE_SECONDS)
            for session_id in list(self._sessions):
                with contextlib.suppress(MediaServerError):
                    await self.request({"janus": "keepalive", "session_id": session_id})

    async def request(self, body: dict, *, jsep: dict | None = None) -> dict:
        """Send one Janus API request; the reply (for plugin requests: the plugin's answer)."""
        if self._ws is None:
            await self.connect()
        ws = self._ws
        transaction = secrets.token_hex(8)
        message = {**body, "transaction": transaction, "apisecret": self.secret}
        if jsep is not None:
            message["jsep"] = jsep
        future = asyncio.get_running_loop().create_future()
        self._pending[transaction] = future
        if body["janus"] in ("trickle", "keepalive"):
            self._acked.add(transaction)
        try:
            await ws.send(json.dumps(message))
            reply = await asyncio.wait_for(future, self.timeout)
        except TimeoutError:  # (before OSError: TimeoutError is one)
            raise MediaServerLost(f"Media server {self.sid} did not answer in time.") from None
        except (websockets.WebSocketException, OSError):
            raise MediaServerLost() from None
        finally:
            self._pending.pop(transaction, None)
            self._acked.discard(transaction)
        if reply.get("janus") == "error":
            error = reply.get("error") or {}
            detail = f"Janus: {error.get('reason', 'error')} ({error.get('code')})"
            raise MediaServerError("media_error", detail)
        return reply

    async def plugin(self, session_id: int, handle_id: int, body: dict, *, jsep: dict | None = None
                     ) -> tuple[dict, dict | None]:
        """A VideoRoom request: (plugin data, jsep). Plugin errors raise ``MediaServerError``."""
        reply = await self.request(
            {"janus": "message", "session_id": session_id, "handle_id": handle_id, "body": body}, jsep=jsep
        )
        data = (reply.get("plugindata") or {}).get("data") or {}
        if "error_code" in data:
            raise MediaServerError(_error_code(data["error_code"]), f"Janus: {data.get('error')}")
        return data, reply.get("jsep")

    async def _admin(self, body: dict) -> dict:
        """A room-management request on a short-lived session of its own."""
        session_id = (await self.request({"janus": "create"}))["data"]["id"]
        try:
            handle_id = (await self.request(
                {"janus": "attach", "session_id": session_id, "plugin": PLUGIN}
            ))["data"]["id"]
            data, _ = await self.plugin(session_id, handle_id, {**body, "admin_key": self.secret})
            return data
        finally:
            with contextlib.suppress(MediaServerError):
                await self.request({"janus": "destroy", "session_id": session_id})

    # --- rooms -----------------------------------------------------------------------------------
    def new_room_ref(self) -> dict:
        return {"id": secrets.randbelow(2**52) + 1, "secret": secrets.token_urlsafe(18)}

    async def ensure_room(self, ref: dict, *, recording_dir: str | None = None) -> None:
        body = {
            "request": "create", "room": ref["id"], "secret": ref["secret"], "is_private": True,
            "permanent": False, "publishers": MAX_PUBLISHERS, "bitrate": self.bitrate, "fir_freq": 10,
            "audiocodec": "opus", "videocodec": "vp8", "notify_joining": False,
            "audiolevel_event": True, "audio_active_packets": 50, "audio_level_average": 40,
            "lock_record": True,
        }
        if recording_dir:
            body.update(record=True, rec_dir=recording_dir)
        try:
            await self._admin(body)
        except MediaServerError as exc:
            if exc.code != "exists":
                raise
            if recording_dir:
                await self.set_recording(ref, directory=recording_dir)

    async def destroy_room(self, ref: dict) -> None:
        try:
            await self._admin({"request": "destroy", "room": ref["id"], "secret": ref["secret"]})
        except MediaServerError as exc:
            if exc.code != "not_found":
                raise

    async def set_recording(self, ref: dict, *, directory: str | None) -> None:
        if directory:
            await self._admin({"request": "edit", "room": ref["id"], "secret": ref["secret"],
                               "new_rec_dir": directory})
        await self._admin({"request": "enable_recording", "room": ref["id"], "secret": ref["secret"],
                           "record": bool(directory)})

    async def peer(self, ref: dict, *, display: str, events: PeerEvents) -> "JanusPeer":
        session_id = (await self.request({"janus": "create"}))["data"]["id"]
        self._sessions.add(session_id)
        return JanusPeer(self, ref, session_id, display=display, events=events)


def _error_code(code: int) -> str:
    codes = {ROOM_EXISTS: "exists", NO_SUCH_ROOM: "not_found", NO_SUCH_FEED: "not_found"}
    return codes.get(code, "media_error")


class JanusPeer(MediaPeer):
    def __init__(self, server: JanusServer, ref: dict, session_id: int, *, display: str, events: PeerEvents):
        self.server = server
        self.ref = ref
        self.session_id = session_id
        self.display = display
        self.events = events
        self.feed = None
        self.publisher: int | None = None
        self.subscriber: int | None = None
        self.subscribed: set[tuple[int, str]] = set()  # (feed, mid) in our downstream
        self.closed = False
        self._tasks: set[asyncio.Task] = set()

    async def _attach(self) -> int:
        handle = (await self.server.request(
            {"janus": "attach", "session_id": self.session_id, "plugin": PLUGIN}
        ))["data"]["id"]
        self.server._handles[handle] = self
        return handle

    async def publish(self, jsep: dict, *, descriptions: list[dict]) -> tuple[dict, list[dict]]:
        if self.publisher is None:
            self.publisher = await self._attach()
            joined, _ = await self.server.plugin(self.session_id, self.publisher, {
                "request": "join", "ptype": "publisher", "room": self.ref["id"], "display": self.display,
            })
            self.feed = joined["id"]
        body = {"request": "configure", "audio": True, "video": True}
        if descriptions:
            body["descriptions"] = [{"mid": d["mid"], "description": d["description"]} for d in descriptions]
        data, answer = await self.server.plugin(self.session_id, self.publisher, body, jsep=jsep)
        if answer is None:
            raise MediaServerError("media_error", "The media server sent no answer.")
        streams = [
            {"mid": s.get("mid"), "kind": s.get("type"), "description": s.get("description", "")}
            for s in data.get("streams") or [] if not s.get("disabled")
        ]
        return answer, streams

    async def unpublish(self) -> None:
        if self.publisher is not None:
            with contextlib.suppress(MediaServerError):
                await self.server.plugin(self.session_id, self.publisher, {"request": "unpublish"})

    async def subscribe(self, streams: dict[int, list[str]]) -> SubscriberOffer | None:
        wanted = [(feed, mid) for feed, mids in streams.items() if feed != self.feed for mid in mids
                  if (feed, mid) not in self.subscribed]
        if not wanted:
            return None
        items = [{"feed": feed, "mid": mid} for feed, mid in wanted]
        if self.subscriber is None:
            self.subscriber = await self._attach()
            data, jsep = await self.server.plugin(self.session_id, self.subscriber, {
                "request": "join", "ptype": "subscriber", "room": self.ref["id"], "streams": items,
                "use_msid": True,
            })
        else:
            data, jsep = await self.server.plugin(self.session_id, self.subscriber, {
                "request": "update", "subscribe": items,
            })
        self.subscribed.update(wanted)
        return self._offer(data, jsep)

    async def answer(self, jsep: dict) -> None:
        if self.subscriber is None:
            raise MediaServerError("invalid_state", "Nothing to answer: subscribe first.")
        await self.server.plugin(self.session_id, self.subscriber, {"request": "start"}, jsep=jsep)

    async def trickle(self, target: str, candidate: dict | None) -> None:
        handle = self.publisher if target == "publisher" else self.subscriber
        if handle is None:
            raise MediaServerError("invalid_state", f"No {target} connection yet.")
        body = {"janus": "trickle", "session_id": self.session_id, "handle_id": handle,
                "candidate": candidate if candidate else {"completed": True}}
        await self.server.request(body)

    async def request_keyframe(self) -> None:
        if self.publisher is not None:
            body = {"request": "configure", "keyframe": True}
            await self.server.plugin(self.session_id, self.publisher, body)

    async def set_layer(self, mid: str, layer: int) -> None:
        if self.subscriber is None:
            raise MediaServerError("invalid_state", "Nothing subscribed yet.")
        await self.server.plugin(self.session_id, self.subscriber, {
            "request": "configure", "streams": [{"mid": mid, "substream": layer, "temporal": 2}],
        })

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for handle in (self.publisher, self.subscriber):
            self.server._handles.pop(handle, None)
        self.server._sessions.discard(self.session_id)
        if self.server.up:
            with contextlib.suppress(MediaServerError):
                await self.server.request({"janus": "destroy", "session_id": self.session_id})

    # --- events Janus sends on its own -----------------------------------------------------------
    def _event(self, message: dict) -> None:
        kind = message.get("janus")
        sender = message.get("sender")
        target = "publisher" if sender == self.publisher else "subscriber"
        if kind in ("webrtcup", "hangup"):
            self._spawn(self.events.state(target, "up" if kind == "webrtcup" else "down"))
            return
        if kind == "trickle":  # full trickle: Janus' own candidates, after its SDP
            candidate = message.get("candidate") or {}
            self._spawn(self.events.candidate(target, None if candidate.get("completed") else candidate))
            return
        if kind != "event":
            return
        data = (message.get("plugindata") or {}).get("data") or {}
        event = data.get("videoroom")
        if event in ("talking", "stopped-talking") and self.feed is not None and data.get("id") == self.feed:
            self._spawn(self.events.talking(event == "talking"))
        elif sender == self.subscriber and message.get("jsep"):
            # Janus renegotiates on its own (a subscribed feed went away or changed).
            self._spawn(self.events.offer(self._offer(data, message["jsep"])))

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


    def _offer(self, data: dict, jsep: dict | None) -> SubscriberOffer | None:
        offer = _offer(data, jsep)
        for stream in offer.streams if offer else []:
            if not stream["active"]:  # gone from the publisher: subscribing again must add it
                self.subscribed.discard((stream["feed"], stream["feed_mid"]))
        return offer


def _offer(data: dict, jsep: dict | None) -> SubscriberOffer | None:
    if jsep is None:
        return None
    streams = [
        {"mid": s.get("mid"), "feed": s.get("feed_id"), "feed_mid": s.get("feed_mid"), "kind": s.get("type"),
         "description": s.get("feed_description", ""), "active": bool(s.get("active", True)) and
         s.get("feed_id") is not None}
        for s in data.get("streams") or [] if s.get("type") in ("audio", "video")
    ]
    return SubscriberOffer(jsep=jsep, streams=streams)
