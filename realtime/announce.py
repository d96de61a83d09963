"""Announce to a room from code outside the socket (REST views, services, tasks).

``announce_to_room`` is the stable entry point: call it from sync code; it waits for the
current transaction to commit (``transaction.on_commit``), so a rolled-back write is never
broadcast. ``aannounce_to_room`` is the same for async code (no transaction handling).

The frame reaches every socket of the room on every process: through the channel layer
when it crosses processes (Redis), through this process's hub otherwise. Frames of a type
with room state (``recording``) update that state too, so late joiners see it in
``room_state``. The server stamps ``time`` (and ``id``/``username`` when absent: ``"server"``).
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from realtime.frames import encode, now_ms
from realtime.groups import room_group, room_key
from realtime.handlers import CLOSE_ENDED, meeting_ended_frame, recording_state
from realtime.hub import RELAY_TYPE, get_hub
from realtime.store import get_store


def announce_to_room(*, tenant_id: int, room_id: str, frame: dict) -> None:
    """Send ``frame`` (a dict with ``type``) to everyone in the room, after the commit."""
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise ValueError("frame must be a dict with a string 'type'")
    frame = dict(frame)
    transaction.on_commit(
        lambda: async_to_sync(aannounce_to_room)(tenant_id=tenant_id, room_id=room_id, frame=frame)
    )


async def aannounce_to_room(*, tenant_id: int, room_id: str, frame: dict) -> None:
    key = room_key(tenant_id=tenant_id, room_id=room_id)
    frame = {"type": frame["type"], "id": "server", "username": "", **frame, "time": now_ms()}
    if frame["type"] == "recording":
        await get_store().meta_set(key, recording=recording_state(frame))
    await _relay(key, [{"route": "room", "text": encode(frame)}])


async def _relay(key: str, envelopes: list[dict]) -> None:
    hub = get_hub()
    if hub.layer is None:
        for envelope in envelopes:
            await hub.deliver(key, envelope)
    else:
        layer = get_channel_layer()
        await layer.group_send(room_group(key), {"type": RELAY_TYPE, "origin": "announce", "key": key,
                                                 "batch": envelopes})


async def aend_room(*, tenant_id: int, room_id: str, meeting_id: str, by: str = "") -> None:
    """The meeting ended: everyone in the room gets ``meeting-ended``, then every socket of the
    room (on every process) closes with 4410. Joins are refused from then on (the meeting's
    ``ended_at``, checked at the handshake)."""
    key = room_key(tenant_id=tenant_id, room_id=room_id)
    frame = {"id": "server", "username": by, **meeting_ended_frame(meeting_id=meeting_id, by=by),
             "time": now_ms()}
    await _relay(key, [{"route": "room", "text": encode(frame)},
                       {"route": "close", "target": "*", "code": CLOSE_ENDED}])


def end_room(*, tenant_id: int, room_id: str, meeting_id: str, by: str = "") -> None:
    """``aend_room`` from sync code, after the current transaction commits."""
    transaction.on_commit(lambda: async_to_sync(aend_room)(
        tenant_id=tenant_id, room_id=room_id, meeting_id=meeting_id, by=by))
