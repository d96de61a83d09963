"""The relay path: one hub per process fans a room's frames out to its local sockets.

A frame is encoded once (by the caller) and handed to the hub as an *envelope*:
``{"route", "text", "sender", "target"}``. The hub writes the same text to every local
socket the route selects. With a cross-process channel layer (Redis), the hub also
sends the envelope once to the room's group, whose members are the *processes* that
hold sockets of that room (one channel per process, not per socket); each receiving
hub fans it out locally. Its own envelopes come back to it and are skipped by origin.

Routes: ``room`` (everyone), ``others`` (everyone but the sender), ``hosts``, ``one``
(the participant id in ``target``), ``close`` (every socket of the token ``target``:
removal).
"""

import asyncio
import functools
import logging
import uuid
import weakref

from channels.layers import InMemoryChannelLayer, get_channel_layer

from realtime.groups import room_group
from realtime.store import get_store, presence_ttl

logger = logging.getLogger(__name__)

#: The one channel-layer message type the hubs exchange.
RELAY_TYPE = "room.relay"
OPEN = 3  # autobahn's WebSocketProtocol.STATE_OPEN


def daphne_wire(send):
    """The daphne (autobahn) protocol behind an ASGI ``send``, or ``None`` under any other server.

    Daphne hands each application ``partial(server.handle_reply, protocol)``. Writing a frame
    that autobahn framed once (``prepareMessage``) to each protocol skips, per recipient, the
    ASGI message, daphne's reply dispatch, UTF-8 encoding and WebSocket framing — the bulk of
    the per-recipient cost of a relay. Anything else (tests, other servers) uses ``send``.
    """
    if isinstance(send, functools.partial) and getattr(send.func, "__name__", "") == "handle_reply":
        wire = send.args[0] if send.args else None
        if hasattr(wire, "sendPreparedMessage") and hasattr(wire, "factory"):
            return wire
    return None


class Hub:
    def __init__(self):
        self.origin = uuid.uuid4().hex
        self.rooms: dict[str, dict[str, object]] = {}
        layer = get_channel_layer()
        self.layer = None if layer is None or isinstance(layer, InMemoryChannelLayer) else layer
        self.channel: str | None = None
        self._listener: asyncio.Task | None = None
        self._beat: asyncio.Task | None = None
        self._membership = asyncio.Lock()
        self._outbox: asyncio.Queue = asyncio.Queue()
        self._publisher: asyncio.Task | None = None

    # --- membership -------------------------------------------------------------------
    async def attach(self, key: str, conn) -> None:
        async with self._membership:
            first = key not in self.rooms
            self.rooms.setdefault(key, {})[conn.pid] = conn
            store = get_store()
            if store.shared and self._beat is None:
                await store.heartbeat(self.origin)
                self._beat = asyncio.create_task(self._heartbeat())
            if self.layer is not None:
                if self.channel is None:
                    self.channel = await self.layer.new_channel()
                    self._listener = asyncio.create_task(self._listen())
                if first:
                    await self.layer.group_add(room_group(key), self.channel)

    async def detach(self, key: str, conn) -> None:
        async with self._membership:
            local = self.rooms.get(key)
            if local is None or local.pop(conn.pid, None) is None:
                return
            if local:
                return
            del self.rooms[key]
            if self.layer is not None and self.channel is not None:
                await self.layer.group_discard(room_group(key), self.channel)
            if not self.rooms:
                self._stop()

    def _stop(self) -> None:
        # The publisher is left to drain the outbox (its last frames may be goodbyes).
        for task in (self._listener, self._beat):
            if task is not None:
                task.cancel()
        self._listener = self._beat = None
        self.channel = None

    # --- relay --------------------------------------------------------------------------
    async def publish(self, key: str, envelope: dict) -> None:
        """Deliver locally now, then once to every other process that has this room.

        The cross-process send is queued, not awaited: a sender's next frame does not wait
        for Redis. One publisher task drains the queue in order and sends what accumulated
        for a room as one batch, so frames keep their order and a burst costs one publish.
        """
        await self.deliver(key, envelope)
        if self.layer is not None:
            self._outbox.put_nowait((key, envelope))
            if self._publisher is None or self._publisher.done():
                self._publisher = asyncio.create_task(self._publish_loop())

    async def _publish_loop(self) -> None:
        while True:
            batch = [await self._outbox.get()]
            while not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            by_room: dict[str, list[dict]] = {}
            for key, envelope in batch:
                by_room.setdefault(key, []).append(envelope)
            for key, envelopes in by_room.items():
                try:
                    await self.layer.group_send(room_group(key), {
                        "type": RELAY_TYPE, "origin": self.origin, "key": key, "batch": envelopes,
                    })
                except Exception:
                    logger.exception("could not relay %d frame(s) of room %s to other processes",
                                     len(envelopes), key)

    async def deliver(self, key: str, envelope: dict) -> None:
        local = self.rooms.get(key)
        if not local:
            return
        route = envelope["route"]
        if route == "one":
            conn = local.get(envelope["target"])
            targets = [conn] if conn is not None else []
        elif route == "close":
            targets = [c for c in local.values() if c.jti == envelope["target"]]
            for conn in targets:
                await conn.close_removed()
            return
        elif route == "hosts":
            targets = [c for c in local.values() if c.role == "host"]
        elif route == "others":
            sender = envelope.get("sender")
            targets = [c for pid, c in local.items() if pid != sender]
        else:
            targets = list(local.values())
        text = envelope["text"]
        message = {"type": "websocket.send", "text": text}
        prepared = None
        for conn in targets:
            if not conn.open:
                if conn.backlog is not None:
                    conn.backlog.append(text)
                continue
            wire = conn.wire
            try:
                if wire is None:
                    await conn.base_send(message)
                elif wire.state == OPEN:
                    if prepared is None:  # framed once, written to every socket as is
                        prepared = wire.factory.prepareMessage(text.encode())
                    wire.sendPreparedMessage(prepared)
            except Exception:  # a dying socket must not stop the room's fan-out
                logger.debug("send to %s failed", conn.pid, exc_info=True)

    async def _listen(self) -> None:
        channel = self.channel
        while True:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("channel layer receive failed; retrying")
                await asyncio.sleep(0.5)
                continue
            if message.get("type") != RELAY_TYPE or message.get("origin") == self.origin:
                continue
            try:
                for envelope in message.get("batch") or [message]:
                    await self.deliver(message["key"], envelope)
            except Exception:
                logger.exception("relay of a frame from another process failed")

    async def _heartbeat(self) -> None:
        """Keep this process's presence alive and sweep the ghosts of dead processes."""
        from realtime.presence import announce_ghosts_gone

        store = get_store()
        interval = presence_ttl() / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await store.heartbeat(self.origin)
                for key in list(self.rooms):
                    ghosts = await store.sweep(key)
                    if ghosts:
                        await announce_ghosts_gone(self, key, ghosts)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("presence heartbeat failed")


_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def get_hub() -> Hub:
    """This event loop's hub (one per process in production; one per test loop in tests)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub()
    return hub
