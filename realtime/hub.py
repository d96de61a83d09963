"""The relay path: one hub per process fans a room's frames out to its local sockets.

A frame is encoded once (by the caller) and handed to the hub as an *envelope*:
``{"route", "text", "sender", "target"}``. The hub writes the same text to every local
socket the route selects. With a cross-process channel layer (Redis), the hub also
sends the envelope once to the room's group, whose members are the *processes* that
hold sockets of that room (one channel per process, not per socket); each receiving
hub fans it out locally. Its own envelopes come back to it and are skipped by origin.

Routes: ``room`` (everyone), ``others`` (everyone but the sender), ``hosts``, ``one``
(the participant id in ``target``), ``close`` (every socket of the token ``target``:
removal; ``target`` ``"*"``: every socket of the room, closed with ``code`` — the meeting ended).

Faults of the shared store (Redis): a call that fails puts the hub in *degraded* mode — its
sockets get a ``degraded`` frame and client events are refused (``unavailable``) instead of
being relayed to some and lost for others. A tick every ``TICK_SECONDS`` probes Redis; when it
answers again (or answers without this process's heartbeat: restarted empty) the hub rebuilds
what its live sockets imply — their roster entries, its group subscriptions, the leaves that
could not be written — and sends ``recovered``.
"""

import asyncio
import functools
import logging
import uuid
import weakref

from channels.layers import InMemoryChannelLayer, get_channel_layer

from realtime.frames import encode, error, now_ms
from realtime.groups import room_group
from realtime.store import REDIS_TIMEOUT_SECONDS, STORE_ERRORS, get_store, presence_ttl, public_entry

logger = logging.getLogger(__name__)

#: The one channel-layer message type the hubs exchange.
RELAY_TYPE = "room.relay"
OPEN = 3  # autobahn's WebSocketProtocol.STATE_OPEN
#: How often a hub probes the shared store (and so how soon it sees Redis come back).
TICK_SECONDS = 1.0
NOT_RELAYED = "Not delivered to participants on other servers: the shared store is out of reach."


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
        self.degraded = False
        # After an outage every process's heartbeat may have expired; ghosts are swept only once
        # the others had a TTL to beat again (else live sockets of theirs would be "swept").
        self._sweep_after = 0.0
        self._rebuild_due = False
        #: rooms (no longer local) whose roster may still hold entries of ours: a leave failed
        self._unsettled: set[str] = set()

    # --- membership -------------------------------------------------------------------
    async def attach(self, key: str, conn) -> None:
        """Add a local socket; raises ``STORE_ERRORS`` (the socket is then not attached)."""
        async with self._membership:
            first = key not in self.rooms
            store = get_store()
            if store.shared and self._beat is None:
                self._beat = asyncio.create_task(self._heartbeat())
            if self.layer is not None:
                async with asyncio.timeout(REDIS_TIMEOUT_SECONDS * 2):
                    if self.channel is None:
                        self.channel = await self.layer.new_channel()
                        self._listener = asyncio.create_task(self._listen())
                    if first:
                        await self.layer.group_add(room_group(key), self.channel)
            self.rooms.setdefault(key, {})[conn.pid] = conn

    async def beat(self) -> None:
        """Mark this process alive now — before a joiner's entry naming it is written, so that no
        sweep (another process's, or another joiner's) takes the entry for a ghost, however late
        a tick is on a loaded machine. A lost state found here is rebuilt by the next tick."""
        store = get_store()
        if store.shared:
            async with asyncio.timeout(REDIS_TIMEOUT_SECONDS * 2):
                if await store.heartbeat(self.origin) and self.rooms:
                    self._rebuild_due = True

    async def detach(self, key: str, conn) -> None:
        """Remove a local socket; never raises (an unsubscribe that fails is redone on rebuild)."""
        async with self._membership:
            local = self.rooms.get(key)
            if local is None or local.pop(conn.pid, None) is None:
                return
            if local:
                return
            del self.rooms[key]
            if self.layer is not None and self.channel is not None:
                try:
                    async with asyncio.timeout(REDIS_TIMEOUT_SECONDS * 2):
                        await self.layer.group_discard(room_group(key), self.channel)
                except Exception:
                    logger.warning("could not leave the group of room %s", key, exc_info=True)
            if not self.rooms and not self._unsettled:
                self._stop()

    def may_sweep(self) -> bool:
        """Whether dead processes' entries may be swept now (not right after an outage)."""
        return asyncio.get_running_loop().time() >= self._sweep_after

    def unsettled(self, key: str) -> None:
        """A leave of this room could not be written: the next tick that reaches Redis prunes it."""
        self._unsettled.add(key)
        if self._beat is None:
            self._beat = asyncio.create_task(self._heartbeat())

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
                message = {"type": RELAY_TYPE, "origin": self.origin, "key": key, "batch": envelopes}
                try:
                    try:
                        await self.layer.group_send(room_group(key), message)
                    except STORE_ERRORS:
                        # Once more, on a fresh connection: the pooled one may have gone stale
                        # while Redis restarted (a paused Redis fails this one too, in seconds).
                        await self.layer.group_send(room_group(key), message)
                except Exception as exc:
                    logger.warning("could not relay %d frame(s) of room %s to other processes: %r",
                                   len(envelopes), key, exc)
                    await self._not_relayed(key, envelopes)
                    await self.store_failed()

    async def _not_relayed(self, key: str, envelopes: list[dict]) -> None:
        """Tell the local senders that their frames reached only this process's sockets."""
        local = self.rooms.get(key) or {}
        for pid in {e.get("sender") for e in envelopes}:
            conn = local.get(pid)
            if conn is not None and conn.open:
                await _send_quietly(conn, error("unavailable", NOT_RELAYED))

    async def deliver(self, key: str, envelope: dict) -> None:
        local = self.rooms.get(key)
        if not local:
            return
        route = envelope["route"]
        if route == "one":
            conn = local.get(envelope["target"])
            targets = [conn] if conn is not None else []
        elif route == "close":
            everyone = envelope["target"] == "*"  # the meeting ended: every socket, with its code
            targets = [c for c in local.values() if everyone or c.jti == envelope["target"]]
            for conn in targets:
                if everyone:
                    await conn.close_removed(envelope.get("code", 4410))
                else:
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

    async def to_local(self, text: str) -> None:
        """One frame to every open local socket, every room (degraded / recovered notices)."""
        for local in list(self.rooms.values()):
            for conn in list(local.values()):
                if conn.open:
                    await _send_quietly(conn, text)

    # --- faults of the shared store -------------------------------------------------------
    async def store_failed(self) -> None:
        """A store or layer call failed: degraded until a tick finds Redis answering again.
        (A process-local store has nothing to lose touch with.)"""
        if self.degraded or not get_store().shared:
            return
        self.degraded = True
        logger.warning("shared store out of reach: realtime degraded")
        await self.to_local(encode({"type": "degraded", "reason": "store_unavailable", "time": now_ms()}))
        if self._beat is None and (self.rooms or self._unsettled):
            self._beat = asyncio.create_task(self._heartbeat())

    async def rebuild(self) -> None:
        """Write back what the live sockets imply, after Redis failed or lost its state."""
        from realtime.presence import announce_ghosts_gone, announce_joined, view_count_frame

        store = get_store()
        for key in set(self.rooms) | self._unsettled:
            local = dict(self.rooms.get(key) or {})
            if self.layer is not None and local and self.channel is not None:
                # Subscribe anew: this reconnects the layer's subscriber now (and resubscribes
                # it), before ``recovered`` goes out, instead of whenever channels_redis' receive
                # loop retries (it waits a second after each failure).
                async with asyncio.timeout(REDIS_TIMEOUT_SECONDS * 2):
                    await self.layer.group_discard(room_group(key), self.channel)
                    await self.layer.group_add(room_group(key), self.channel)
            entries = [c.entry for c in local.values() if c.joined]
            restored = await store.restore(key, entries)
            gone = await store.prune(key, self.origin, {c.pid for c in local.values() if c.joined})
            self._unsettled.discard(key)
            for entry in restored:
                await announce_joined(self, key, entry)
            if gone:
                await announce_ghosts_gone(self, key, gone)
            if local:
                roster = await store.roster(key)
                text = encode({"type": "recovered", "participants": [public_entry(e) for e in roster],
                               "viewCount": len(roster), "time": now_ms()})
                for conn in local.values():
                    if conn.open:
                        await _send_quietly(conn, text)
                await self.deliver(key, {"route": "room", "text": await view_count_frame(key)})
        if not self.rooms and not self._unsettled:
            self._stop()

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
        """Keep this process's presence alive, sweep the ghosts of dead processes, and notice
        (within ``TICK_SECONDS``) Redis failing or coming back, empty or not."""
        from realtime.presence import announce_ghosts_gone

        store = get_store()
        tick = min(TICK_SECONDS, presence_ttl() / 3)
        sweep_every = presence_ttl() / 3
        swept = asyncio.get_running_loop().time()
        while True:
            await asyncio.sleep(tick)
            try:
                async with asyncio.timeout(REDIS_TIMEOUT_SECONDS * 2):
                    lost = await store.heartbeat(self.origin) or self._rebuild_due
                self._rebuild_due = False
                if lost or self.degraded:
                    self._sweep_after = asyncio.get_running_loop().time() + presence_ttl()
                if lost or self.degraded or self._unsettled:
                    if lost and not self.degraded:
                        logger.warning("shared store lost this process's state: rebuilding it")
                    if self.degraded:  # answering again: frames are taken from here on
                        self.degraded = False
                        logger.warning("shared store back: rebuilding realtime from the live sockets")
                    await self.rebuild()
                now = asyncio.get_running_loop().time()
                if now - swept >= sweep_every and self.may_sweep():
                    swept = now
                    for key in list(self.rooms):
                        ghosts = await store.sweep(key)
                        if ghosts:
                            await announce_ghosts_gone(self, key, ghosts)
            except asyncio.CancelledError:
                raise
            except STORE_ERRORS as exc:
                logger.warning("presence heartbeat failed: %r", exc)
                await self.store_failed()
            except Exception:  # a bug: logged, and the next tick tries again
                logger.exception("presence heartbeat failed")


async def _send_quietly(conn, text: str) -> None:
    try:
        await conn.base_send({"type": "websocket.send", "text": text})
    except Exception:  # a dying socket
        logger.debug("send to %s failed", conn.pid, exc_info=True)


_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def get_hub() -> Hub:
    """This event loop's hub (one per process in production; one per test loop in tests)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub()
    return hub
