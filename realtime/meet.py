"""The meet socket (``/ws/meet/?token=<login JWT or room token>``): the seed's
"Altegon Meet APIs socket". ``room.join`` records the caller in the analytics session
of a room; the socket's close records the leave.

What goes into the room's analytics comes from the server, not from the frame: the room must
be one the token may join (a room token: its own room; a login JWT: a public room of the
tenant, or a private one the user manages — the rule of ``POST /room/<id>/token``), the
``sessionType`` must be one of the seed's, and the address is the connection's (the payload's
``ip`` is accepted for compatibility and ignored).
"""

import logging
import secrets

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from django.conf import settings
from django.http import Http404

from meetings.models import Room
from meetings.selectors import room_get_for_member
from meetings.services.analytics import participant_joined, participant_left
from meetings.tokens import InvalidRoomToken, room_token_read
from portal.accounts.tokens import login_token_read
from portal.tenancy import allowed_origin
from realtime.consumers import (
    CLOSE_ORIGIN,
    CLOSE_TOKEN,
    _FrameConsumer,
    analytics_id,
    query_token,
    scope_host,
    scope_ip,
)
from realtime.frames import EventError, decode, encode, printable

logger = logging.getLogger(__name__)

#: The seed's session types: its room types, the reporting examples, and its ``room.join`` example.
SESSION_TYPES = frozenset({*Room.Type.values, "viewer"})
_TYPES_TEXT = ", ".join(sorted(SESSION_TYPES))
#: Rooms one meet socket may be in at once.
MAX_ROOMS = 16


class MeetIdentity:
    def __init__(self, *, analytics_id: str, name: str, role: str, user_id, room_id: str | None, user=None):
        self.analytics_id = analytics_id
        self.name = name
        self.role = role
        self.user_id = user_id
        self.user = user            # the login JWT's user (None for a room token)
        self.room_id = room_id      # a room token is good for its own room only


def _identity(token: str, tenant) -> MeetIdentity | None:
    try:
        grant = room_token_read(token, tenant_id=tenant.id)
    except InvalidRoomToken:
        pass
    else:
        return MeetIdentity(analytics_id=analytics_id(grant), name=printable(grant.name), role=grant.role,
                            user_id=grant.user_id, room_id=grant.room_id)
    login = login_token_read(token, tenant=tenant)
    if login is None:
        return None
    user, _token = login
    name = user.get_full_name() or user.email
    return MeetIdentity(analytics_id=f"u-{user.pk}-{secrets.token_hex(4)}", name=name, role="participant",
                        user_id=user.pk, room_id=None, user=user)


class MeetConsumer(_FrameConsumer):
    async def websocket_connect(self, message):
        self.rooms: dict[str, Room] = {}
        if not allowed_origin(self.scope):
            return await self.refuse(CLOSE_ORIGIN)
        self.identity = await database_sync_to_async(_identity)(query_token(self.scope), self.scope["tenant"])
        if self.identity is None:
            return await self.refuse(CLOSE_TOKEN)
        await self.base_send({"type": "websocket.accept"})
        self.accepted = True

    async def websocket_receive(self, message):
        text = message.get("text")
        if text is None:
            return await self.send_error("binary_not_supported", "This socket takes JSON text frames only.")
        try:
            room = await self.join(text)
        except EventError as exc:
            return await self.send_error(exc.code, exc.detail)
        await self.base_send({"type": "websocket.send", "text": encode(
            {"type": "room.joined", "roomId": room.pk, "sessionType": self.session_type or room.type})})

    async def join(self, text: str) -> Room:
        frame = decode(text, max_bytes=settings.WS_MAX_FRAME_BYTES, typed=False)
        if frame.get("type", "room.join") != "room.join":
            raise EventError("unknown_type", "This socket accepts 'room.join' only.")
        room_id, session_type = frame.get("roomId"), frame.get("sessionType")
        if not isinstance(session_type, str | None):
            raise EventError("invalid_payload", "'sessionType' must be a string.")
        if not isinstance(room_id, str) or not room_id or len(room_id) > 64:
            raise EventError("invalid_payload", "'roomId' is required.")
        if session_type is not None and session_type not in SESSION_TYPES:
            raise EventError("invalid_payload", f"'sessionType' must be one of {_TYPES_TEXT}.")
        if self.identity.room_id not in (None, room_id):
            raise EventError("forbidden", "This token is for another room.")
        if room_id not in self.rooms and len(self.rooms) >= MAX_ROOMS:
            raise EventError("too_many_rooms", f"One socket may be in at most {MAX_ROOMS} rooms.")
        self.session_type = session_type
        room = await database_sync_to_async(self._join)(room_id, session_type)
        if room is None:
            raise EventError("not_found", "No such room.")
        self.rooms[room.pk] = room
        return room

    def _join(self, room_id: str, session_type: str | None) -> Room | None:
        tenant = self.scope["tenant"]
        if self.identity.user is not None:
            try:
                room = room_get_for_member(user=self.identity.user, room_id=room_id)
            except Http404:
                return None
        else:
            room = Room.objects.for_tenant(tenant).filter(pk=room_id).first()
        if room is not None:
            participant_joined(
                room=room, participant_id=self.identity.analytics_id, name=self.identity.name,
                role=self.identity.role, user_id=self.identity.user_id, ip=scope_ip(self.scope),
                session_type=session_type, domain=scope_host(self.scope),
            )
        return room

    async def leave(self) -> None:
        for room in getattr(self, "rooms", {}).values():
            try:
                await database_sync_to_async(participant_left)(
                    room=room, participant_id=self.identity.analytics_id
                )
            except Exception:
                logger.exception("could not record a leave of room %s", room.pk)
        self.rooms = {}

    async def websocket_disconnect(self, message):
        await self.leave()
        raise StopConsumer()
