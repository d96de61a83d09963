"""The room socket (``/ws/rooms/<roomId>/``); plumbing shared with the meet socket.

Handlers stay thin: authenticate the handshake, look the event up in the registry,
and hand the frame to the hub. A room consumer has no channel of its own: frames
reach it through its process's hub (``realtime.hub``), which encodes nothing and
writes the one pre-encoded text to each local socket.

No failure may kill a socket behind the server's back (daphne would close it with 1011 and
never deliver the disconnect, so the participant would stay in the roster, the analytics
session would stay open and the seat would stay taken). ``_FrameConsumer.dispatch`` is the
net under every handler: a frame's failure becomes an ``error`` frame, a join's failure a
close *after* the leave path ran, and the leave path itself does each of its steps
whatever happened to the others.
"""

import logging
import secrets
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from meetings.models import Meeting, Room
from meetings.services.analytics import participant_joined, participant_left
from meetings.services.chat import chat_recent
from meetings.services.lifecycle import room_joined, room_left
from meetings.services.rooms import room_token_is_revoked
from meetings.tokens import ExpiredRoomToken, InvalidRoomToken, RoomGrant, room_token_read
from portal.plans.catalogue import plan_summary
from portal.plans.services import room_capacity
from portal.tenancy import allowed_origin
from realtime.dispatch import handle_text
from realtime.frames import encode, error, now_ms, printable
from realtime.groups import room_key
from realtime.hub import daphne_wire, get_hub
from realtime.media.events import media_join, media_leave
from realtime.presence import announce_ghosts_gone, announce_joined, announce_left
from realtime.store import STORE_ERRORS, get_store, public_entry

logger = logging.getLogger(__name__)

# Handshake refusals (the close code before accept; a browser sees an HTTP 403).
CLOSE_ORIGIN = 4403
CLOSE_TOKEN = 4401
CLOSE_FULL = 4409
CLOSE_REMOVED = 4003
CLOSE_ENDED = 4410  # a host ended the meeting for everyone (also at the handshake, afterwards)
# After accept (so that browsers see them): the room's shared state is out of reach (try again
# later), or the join failed on the server after the seat was taken (and given back). Application
# codes, like 1013/1011 in meaning: autobahn (daphne) lets a server send only 1000 and 3000-4999.
CLOSE_TRY_LATER = 4503
CLOSE_INTERNAL = 4500


class RateLimiter:
    """A token bucket: ``rate`` frames per second, bursts up to ``rate``."""

    def __init__(self, rate: int):
        self.rate = float(rate)
        self.tokens = float(rate)
        self.stamp = time.monotonic()
        self.warned_at = 0.0

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def should_warn(self) -> bool:
        """One ``rate_limited`` error per second at most, so a flood is not echoed back."""
        now = time.monotonic()
        if now - self.warned_at >= 1:
            self.warned_at = now
            return True
        return False


def query_token(scope) -> str:
    return parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [""])[0]


def scope_host(scope) -> str:
    return dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1").split(":")[0]


def scope_ip(scope) -> str | None:
    """The connection's client address (``portal.net``: a trusted proxy's header, else the peer)."""
    from portal.net import scope_client_ip

    return scope_client_ip(scope)


class _FrameConsumer(AsyncWebsocketConsumer):
    """Shared plumbing: no per-socket channel, no per-frame DB-connection sweep."""

    # No channel layer per socket: the hub is the process's only layer member.
    channel_layer_alias = None
    _handlers = {"websocket.connect": "websocket_connect", "websocket.receive": "websocket_receive",
                 "websocket.disconnect": "websocket_disconnect"}

    accepted = False

    async def dispatch(self, message):
        # Channels' default closes stale DB connections in a thread before *every* frame;
        # the relay path never touches the database, and database_sync_to_async does that itself.
        kind = message["type"]
        try:
            await getattr(self, self._handlers[kind])(message)
        except StopConsumer:
            raise
        except Exception:
            logger.exception("%s: %s failed", type(self).__name__, kind)
            if kind == "websocket.receive":
                await self.send_error("internal_error", "The server could not handle this frame.")
            elif kind == "websocket.connect":
                await self.join_failed(CLOSE_INTERNAL)
            else:
                raise StopConsumer() from None

    async def join_failed(self, code: int) -> None:
        """Undo what the join did, then close (after accept, so that browsers see the code)."""
        try:
            await self.leave()
        finally:
            await self.close_with(code)

    async def close_with(self, code: int) -> None:
        for message in ([] if self.accepted else [{"type": "websocket.accept"}]) + [
                {"type": "websocket.close", "code": code}]:
            try:
                await self.base_send(message)
            except Exception:  # accepted already by a subclass, or the socket is gone
                logger.debug("could not send %s", message["type"], exc_info=True)
        self.accepted = True

    async def leave(self) -> None:
        return None

    async def refuse(self, code: int) -> None:
        await self.base_send({"type": "websocket.close", "code": code})

    async def send_error(self, code: str, detail: str, **extra) -> None:
        try:
            await self.base_send({"type": "websocket.send", "text": error(code, detail, **extra)})
        except Exception:  # the socket is going away; its disconnect runs the leave path
            logger.debug("could not send an error frame", exc_info=True)


class RoomConsumer(_FrameConsumer):
    open = False
    backlog: list[str] | None = None
    wire = None  # daphne's protocol for this socket, when served by daphne (see hub.daphne_wire)

    async def websocket_connect(self, message):
        self.joined = False
        tenant = self.scope["tenant"]
        self.tenant = tenant  # with its plan as of this handshake (realtime.dispatch)
        self.tenant_id = tenant.id
        self.room_id = self.scope["url_route"]["kwargs"]["room_id"]
        if not allowed_origin(self.scope):
            return await self.refuse(CLOSE_ORIGIN)
        try:
            grant = room_token_read(query_token(self.scope), tenant_id=tenant.id, room_id=self.room_id)
        except ExpiredRoomToken:
            return await self.close_with(CLOSE_TOKEN)  # visible to a browser: stop retrying
        except InvalidRoomToken:
            return await self.refuse(CLOSE_TOKEN)
        context = await database_sync_to_async(_join_state)(
            tenant=tenant, room_id=self.room_id, grant=grant
        )
        if context is None:
            return await self.refuse(CLOSE_TOKEN)
        if context == "revoked":
            return await self.close_with(CLOSE_TOKEN)
        if context == "ended":
            return await self.close_with(CLOSE_ENDED)
        self.room, default_meeting_id = context
        self.grant = grant
        self.pid = secrets.token_hex(8)
        self.username = printable(grant.name)
        self.role = grant.role
        self.jti = grant.jti
        self.key = room_key(tenant_id=tenant.id, room_id=self.room_id)
        self.hub = get_hub()
        self.store = get_store()
        self.limiter = RateLimiter(settings.WS_RATE_PER_SECOND)
        self.max_bytes = settings.WS_MAX_FRAME_BYTES
        self.entry = {
            "id": self.pid, "username": self.username, "role": self.role, "state": "online",
            "muted": False, "videoOff": False, "sharing": False, "handRaised": False,
            "proc": self.hub.origin, "jti": grant.jti, "user": grant.user_id, "guest": grant.guest,
            "exp": grant.expires_at,
            "joined": time.time(),
        }
        if self.hub.degraded:
            return await self.close_with(CLOSE_TRY_LATER)
        limit = None if grant.is_host else room_capacity(tenant=tenant, room_max=self.room.max_participants)
        try:
            await self.hub.beat()
            # seats held by a dead process are free again
            ghosts = await self.store.sweep(self.key) if self.hub.may_sweep() else []
            admitted = await self.store.join(self.key, self.entry, limit=limit)
        except STORE_ERRORS as exc:
            logger.warning("room %s: join refused, shared store out of reach: %r", self.key, exc)
            self.joined = True  # the entry may have been written: leave takes it out again
            await self.hub.store_failed()
            return await self.join_failed(CLOSE_TRY_LATER)
        if not admitted:
            return await self.refuse(CLOSE_FULL)
        self.joined = True
        try:
            await self.enter(ghosts, default_meeting_id)
        except STORE_ERRORS as exc:
            logger.warning("room %s: join failed, shared store out of reach: %r", self.key, exc)
            await self.hub.store_failed()
            await self.join_failed(CLOSE_TRY_LATER)

    async def enter(self, ghosts: list[dict], default_meeting_id: str | None) -> None:
        """The seat is taken: record the join, accept, and send the joiner the room."""
        await database_sync_to_async(participant_joined)(
            room=self.room, participant_id=analytics_id(self.grant), name=self.username, role=self.role,
            user_id=self.grant.user_id, ip=scope_ip(self.scope), domain=scope_host(self.scope),
        )
        await database_sync_to_async(room_joined)(room=self.room)
        await self.base_send({"type": "websocket.accept"})
        self.accepted = True
        self.wire = daphne_wire(self.base_send)
        # Frames relayed while room_state is built wait in the backlog, then follow it in order.
        self.backlog = []
        await self.hub.attach(self.key, self)
        meta = await self.store.meta(self.key)
        if not meta.get("meetingId") and default_meeting_id:
            await self.store.meta_set(self.key, meetingId=default_meeting_id)
            meta["meetingId"] = default_meeting_id
        roster = await self.store.roster(self.key)
        # History is read after attach: a message is then in the history, live, or both — never lost.
        chat = await database_sync_to_async(_chat_history)(self.room)
        media = await media_join(self, count=len(roster))
        state = _room_state(self.entry, roster, meta, chat, plan=plan_summary(self.tenant))
        await self.reply({**state, **media})
        for text in self.backlog:
            await self.base_send({"type": "websocket.send", "text": text})
        self.backlog = None
        self.open = True
        if ghosts:
            await announce_ghosts_gone(self.hub, self.key, ghosts)
        await announce_joined(self.hub, self.key, self.entry)

    async def websocket_receive(self, message):
        if not self.open:
            return
        text = message.get("text")
        if text is None:
            return await self.send_error("binary_not_supported", "This socket takes JSON text frames only.")
        if not self.limiter.allow():
            if self.limiter.should_warn():
                await self.send_error("rate_limited", f"More than {self.limiter.rate:g} frames per second.")
            return
        await handle_text(self, text)

    async def websocket_disconnect(self, message):
        await self.leave()
        raise StopConsumer()

    async def reply(self, frame: dict | str) -> None:
        text = frame if isinstance(frame, str) else encode(frame)
        await self.base_send({"type": "websocket.send", "text": text})

    async def meeting_id(self) -> str | None:
        """The meeting this room is holding: the host's ``meetingId``, else the room's latest."""
        meeting_id = (await self.store.meta(self.key)).get("meetingId")
        if meeting_id is None:
            meeting_id = await database_sync_to_async(_latest_meeting_id)(self.room)
            if meeting_id is not None:
                await self.store.meta_set(self.key, meetingId=meeting_id)
        return meeting_id

    async def close_removed(self, code: int = CLOSE_REMOVED) -> None:
        """Removed by a host (or the meeting ended: ``CLOSE_ENDED``): leave the room, then close."""
        if not self.joined:
            return
        await self.leave()
        await self.base_send({"type": "websocket.close", "code": code})

    async def leave(self) -> None:
        """Give the seat back: every step is tried whatever became of the others."""
        if not getattr(self, "joined", False):
            return
        self.joined = self.open = False
        self.backlog = None
        await self.hub.detach(self.key, self)
        try:
            entry = await self.store.get(self.key, self.pid)
            if await self.store.leave(self.key, self.pid):
                await announce_left(self.hub, self.key, entry or {"id": self.pid, "username": self.username})
        except STORE_ERRORS as exc:
            logger.warning("room %s: leave not written yet (%r); the hub retries it", self.key, exc)
            self.hub.unsettled(self.key)
            await self.hub.store_failed()
        except Exception:
            logger.exception("could not remove %s from room %s", self.pid, self.key)
        try:
            await media_leave(self)
        except Exception:
            logger.exception("could not leave the media plane of room %s", self.key)
        try:
            await database_sync_to_async(participant_left)(
                room=self.room, participant_id=analytics_id(self.grant)
            )
            await database_sync_to_async(room_left)(room=self.room)
        except Exception:
            logger.exception("could not record a leave of room %s", self.room_id)


def analytics_id(grant: RoomGrant) -> str:
    """One analytics participant per room token, whichever socket (room or meet) reports it."""
    return f"t-{grant.jti}"


def _join_state(*, tenant, room_id: str, grant: RoomGrant):
    """(room, its latest meeting id); ``"revoked"`` for a revoked token (or a banned person);
    ``"ended"`` when the room's latest meeting was ended by a host; None for no such room."""
    room = Room.objects.for_tenant(tenant).filter(pk=room_id).first()
    if room is None:
        return None
    if room_token_is_revoked(grant=grant):
        return "revoked"
    latest = (Meeting.objects.filter(tenant_id=room.tenant_id, room=room).order_by("-created_at")
              .values_list("pk", "closed_at").first())
    if latest is not None and latest[1] is not None:
        return "ended"
    return room, latest[0] if latest else None


def _join_context(*, tenant, room_id: str, grant: RoomGrant):
    """(room, its latest meeting id), or None for no such room or a revoked token."""
    context = _join_state(tenant=tenant, room_id=room_id, grant=grant)
    return None if context in ("revoked", "ended") else context


def _chat_history(room: Room) -> list[dict]:
    return [
        {"type": "chat-box", "id": m.participant_id, "username": m.username, "msg": m.msg,
         "messageId": m.pk, "time": int(m.created_at.timestamp() * 1000)}
        for m in chat_recent(tenant_id=room.tenant_id, room_id=room.pk)
    ]


def _latest_meeting_id(room: Room) -> str | None:
    return (
        Meeting.objects.filter(tenant_id=room.tenant_id, room=room).order_by("-created_at")
        .values_list("pk", flat=True).first()
    )


def _room_state(entry: dict, roster: list[dict], meta: dict, chat: list[dict], *, plan: dict) -> dict:
    return {
        "type": "room_state",
        "you": {"id": entry["id"], "username": entry["username"], "role": entry["role"]},
        "participants": [public_entry(e) for e in roster],
        "viewCount": len(roster),
        "whiteboard": {"enabled": bool(meta.get("whiteboard"))},
        "sellLive": bool(meta.get("sellLive")),
        "product": meta.get("product"),
        "meetingId": meta.get("meetingId"),
        "recording": meta.get("recording") or {"active": False, "recordingId": None},
        "transcript": meta.get("transcript") or {"active": False},
        "chat": chat,
        "plan": plan,
        "time": now_ms(),
    }
