"""The meet socket (``/ws/meet/?token=<login JWT or room token>``): the seed's
"Altegon Meet APIs socket". ``room.join`` records the caller in the analytics session
of a room; the socket's close records the leave."""

import ipaddress
import json
import secrets

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer

from meetings.models import Room
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
from realtime.frames import encode

SESSION_MAX = 32


class MeetIdentity:
    def __init__(self, *, analytics_id: str, name: str, role: str, user_id, room_id: str | None):
        self.analytics_id = analytics_id
        self.name = name
        self.role = role
        self.user_id = user_id
        self.room_id = room_id  # a room token is good for its own room only


def _identity(token: str, tenant) -> MeetIdentity | None:
    try:
        grant = room_token_read(token, tenant_id=tenant.id)
    except InvalidRoomToken:
        pass
    else:
        return MeetIdentity(analytics_id=analytics_id(grant), name=grant.name, role=grant.role,
                            user_id=grant.user_id, room_id=grant.room_id)
    login = login_token_read(token, tenant=tenant)
    if login is None:
        return None
    user, _token = login
    name = user.get_full_name() or user.email
    return MeetIdentity(analytics_id=f"u-{user.pk}-{secrets.token_hex(4)}", name=name, role="participant",
                        user_id=user.pk, room_id=None)


class MeetConsumer(_FrameConsumer):
    async def websocket_connect(self, message):
        self.rooms: dict[str, Room] = {}
        if not allowed_origin(self.scope):
            return await self.refuse(CLOSE_ORIGIN)
        self.identity = await database_sync_to_async(_identity)(query_token(self.scope), self.scope["tenant"])
        if self.identity is None:
            return await self.refuse(CLOSE_TOKEN)
        await self.base_send({"type": "websocket.accept"})

    async def websocket_receive(self, message):
        text = message.get("text")
        if text is None:
            return await self.send_error("binary_not_supported", "This socket takes JSON text frames only.")
        try:
            frame = json.loads(text)
        except ValueError:
            return await self.send_error("invalid_json", "The frame is not valid JSON.")
        if not isinstance(frame, dict):
            return await self.send_error("invalid_payload", "A frame is a JSON object.")
        if frame.get("type", "room.join") != "room.join":
            return await self.send_error("unknown_type", "This socket accepts 'room.join' only.")
        room_id, session_type, ip = frame.get("roomId"), frame.get("sessionType"), frame.get("ip")
        if not isinstance(room_id, str) or not room_id:
            return await self.send_error("invalid_payload", "'roomId' is required.")
        short = isinstance(session_type, str) and len(session_type) <= SESSION_MAX
        if session_type is not None and not short:
            return await self.send_error("invalid_payload", "'sessionType' must be a short string.")
        if ip is not None and not _valid_ip(ip):
            return await self.send_error("invalid_payload", "'ip' must be an IP address.")
        if self.identity.room_id not in (None, room_id):
            return await self.send_error("forbidden", "This token is for another room.")
        room = await database_sync_to_async(self._join)(room_id, session_type, ip or scope_ip(self.scope))
        if room is None:
            return await self.send_error("not_found", "No such room.")
        self.rooms[room.pk] = room
        await self.base_send({"type": "websocket.send", "text": encode(
            {"type": "room.joined", "roomId": room.pk, "sessionType": session_type or room.type})})

    def _join(self, room_id: str, session_type: str | None, ip: str | None) -> Room | None:
        room = Room.objects.for_tenant(self.scope["tenant"]).filter(pk=room_id).first()
        if room is not None:
            participant_joined(
                room=room, participant_id=self.identity.analytics_id, name=self.identity.name,
                role=self.identity.role, user_id=self.identity.user_id, ip=ip, session_type=session_type,
                domain=scope_host(self.scope),
            )
        return room

    async def websocket_disconnect(self, message):
        for room in getattr(self, "rooms", {}).values():
            await database_sync_to_async(participant_left)(
                room=room, participant_id=self.identity.analytics_id
            )
        raise StopConsumer()


def _valid_ip(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
