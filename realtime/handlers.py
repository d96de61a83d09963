"""The effects of room events, referenced by the registry in ``realtime.protocol``.

Every hook takes the sending connection and the stamped outgoing frame. ``prepare``
hooks run before the relay: they may refuse (``EventError``), adjust the frame, or
return the frame to answer with (``reply`` route). ``after`` hooks run once the frame
is on its way: shared state and persistence.
"""

from channels.db import database_sync_to_async

from meetings.models import Meeting
from meetings.services.chat import transcripts_enable
from meetings.services.lifecycle import meeting_close
from meetings.services.rooms import room_token_revoke
from meetings.tokens import RoomGrant
from realtime.frames import EventError, encode, now_ms

CLOSE_ENDED = 4410  # realtime.consumers.CLOSE_ENDED


def meeting_ended_frame(*, meeting_id: str, by: str) -> dict:
    return {"type": "meeting-ended", "meetingId": meeting_id, "by": by,
            "detail": "The host ended this meeting for everyone."}


def _error(code: str, detail: str):
    return EventError(code, detail)


# --- participant state (the roster every joiner sees) -------------------------------------------
async def hand_raise(conn, frame: dict) -> None:
    await conn.store.update(conn.key, conn.pid, {"handRaised": True})


async def hand_self_lower(conn, frame: dict) -> None:
    await conn.store.update(conn.key, conn.pid, {"handRaised": False})


async def hand_lower(conn, frame: dict) -> None:
    await conn.store.update(conn.key, frame["userId"], {"handRaised": False})


async def mic_granted(conn, frame: dict) -> None:
    await conn.store.update(conn.key, frame["userId"], {"handRaised": False, "micGranted": True})


async def stream_changed(conn, frame: dict) -> None:
    """A viewer a host accepted goes on air (may publish to the media server) with their ack."""
    entry = await conn.store.get(conn.key, conn.pid)
    on_air = bool(entry and (entry.get("micGranted") or entry.get("onAir")))
    await conn.store.update(conn.key, conn.pid, {"streamId": frame["newId"], "onAir": on_air})


async def mark_muted(conn, frame: dict) -> None:
    frame["muted"] = True


async def mute_set(conn, frame: dict) -> None:
    await conn.store.update(conn.key, frame["userId"], {"muted": frame["muted"]})


async def mute_all(conn, frame: dict) -> None:
    await conn.store.update_all(conn.key, {"muted": True}, except_role="host")


async def video_set(conn, frame: dict) -> None:
    await conn.store.update(conn.key, conn.pid, {"videoOff": not frame["videoFlag"]})


async def sharing_set(conn, frame: dict) -> None:
    await conn.store.update(conn.key, conn.pid, {"sharing": frame["flag"]})


# --- removal ------------------------------------------------------------------------------------
async def removal_prepare(conn, frame: dict) -> None:
    target = await conn.store.get(conn.key, frame["userId"])
    if target["id"] == conn.pid:
        raise _error("invalid_payload", "A host cannot remove themselves; leave the room instead.")
    grant = RoomGrant(
        tenant_id=conn.tenant_id, room_id=conn.room_id, role=target["role"], name=target["username"],
        user_id=target.get("user"), jti=target["jti"], expires_at=target.get("exp", 0),
        guest=target.get("guest"),
    )
    await database_sync_to_async(room_token_revoke)(grant=grant, reason="removed")
    frame["_jti"] = target["jti"]


async def removal_close(conn, frame: dict) -> None:
    await conn.hub.publish(conn.key, {"route": "close", "target": frame["_jti"]})


# --- host state -----------------------------------------------------------------------------------
async def recording_set(conn, frame: dict) -> None:
    await conn.store.meta_set(conn.key, recording=recording_state(frame))


def recording_state(frame: dict) -> dict:
    """Room meta for a ``recording`` frame (also used by ``announce_to_room``)."""
    return {
        "active": bool(frame.get("togglingFlag")), "recordingId": frame.get("recordingId"),
        "by": frame.get("username"), "since": frame.get("time"),
    }


async def sell_live_set(conn, frame: dict) -> None:
    on = frame.get("flag", True)
    await conn.store.meta_set(conn.key, sellLive=on, **({} if on else {"product": None}))


async def product_set(conn, frame: dict) -> None:
    """A host's selection is the product on show (late joiners get it in ``room_state``)."""
    if conn.role == "host":
        product = {k: frame[k] for k in ("productId", "name", "price") if k in frame}
        await conn.store.meta_set(conn.key, product=product)


async def meeting_end(conn, frame: dict) -> None:
    meeting_id = await conn.meeting_id()
    if meeting_id is None:
        raise _error("not_found", "This room holds no meeting to end.")
    await database_sync_to_async(_meeting_end)(conn.tenant_id, meeting_id)
    ended = meeting_ended_frame(meeting_id=meeting_id, by=conn.username)
    await conn.hub.publish(conn.key, {"route": "room", "sender": conn.pid,
                                      "text": encode({**frame, **ended, "type": "meeting-ended"})})
    await conn.hub.publish(conn.key, {"route": "close", "target": "*", "code": CLOSE_ENDED})


def _meeting_end(tenant_id: int, meeting_id: str) -> None:
    meeting = Meeting.objects.filter(tenant_id=tenant_id, pk=meeting_id).first()
    if meeting is not None:
        meeting_close(meeting=meeting)


async def meeting_check(conn, frame: dict) -> None:
    if not await _meeting_of_room(conn, frame["meetingId"]):
        raise _error("not_found", "No such meeting for this room.")


async def meeting_set(conn, frame: dict) -> None:
    await conn.store.meta_set(conn.key, meetingId=frame["meetingId"])


async def transcript_start(conn, frame: dict) -> None:
    if "meetingId" in frame:
        await meeting_check(conn, frame)
    else:
        frame["meetingId"] = await conn.meeting_id()


async def transcript_started(conn, frame: dict) -> None:
    """Captions run for the room, and the meeting keeps its transcript from now on."""
    fields = {"transcript": {"active": True, "since": frame["time"], "by": frame["username"]}}
    if frame.get("meetingId"):
        fields["meetingId"] = frame["meetingId"]
        await database_sync_to_async(transcripts_enable)(
            tenant_id=conn.tenant_id, meeting_id=frame["meetingId"]
        )
    await conn.store.meta_set(conn.key, **fields)


async def transcript_stopped(conn, frame: dict) -> None:
    """Captions stop for the room; lines already kept stay (storage is the meeting's setting)."""
    state = {"active": False, "since": frame["time"], "by": frame["username"]}
    await conn.store.meta_set(conn.key, transcript=state)


@database_sync_to_async
def _meeting_exists(tenant_id: int, room_id: str, meeting_id: str) -> bool:
    meeting = Meeting.objects.filter(tenant_id=tenant_id, pk=meeting_id).values("room_id").first()
    return meeting is not None and meeting["room_id"] in (None, room_id)


async def _meeting_of_room(conn, meeting_id: str) -> bool:
    return await _meeting_exists(conn.tenant_id, conn.room_id, meeting_id)


# --- whiteboard -----------------------------------------------------------------------------------
async def whiteboard_toggle(conn, frame: dict) -> None:
    # The host who turned it on is the board's owner, whom the seed asks for its state.
    owner = conn.pid if frame["msg"]["flag"] else None
    await conn.store.meta_set(conn.key, whiteboard=frame["msg"]["flag"], whiteboardOwner=owner)


#: Largest whiteboard answer frame; a bigger board goes out in parts (daphne's and browsers'
#: message limits are 1 MiB and up; a part this size also leaves the socket free for other frames).
WB_PART_BYTES = 256 * 1024


async def whiteboard_state(conn, frame: dict) -> list[str]:
    """``white-board-stage`` with the stage and the strokes since; when that would exceed
    ``WB_PART_BYTES``, the strokes that do not fit follow in ``white-board-strokes`` parts."""
    state = await conn.store.wb_state(conn.key)
    meta = await conn.store.meta(conn.key)
    stamp = {"socketId": conn.pid, "room_id": conn.room_id}
    head = {"stage": state["stage"], "enabled": bool(meta.get("whiteboard")), **stamp}
    parts = _stroke_parts([encode(s) for s in state["strokes"]],
                          budget=WB_PART_BYTES - _PART_OVERHEAD - len(encode(head).encode()))
    envelope = {"id": "server", "username": "", "time": now_ms()}
    owner = meta.get("whiteboardOwner")
    if owner and owner != conn.pid and meta.get("whiteboard"):
        # As in the seed, the owner is asked too (its answer, white-board-stage, goes to the room).
        ask = {"type": "whiteBoardStateRequest", "id": conn.pid, "username": conn.username,
               "time": envelope["time"], "msg": stamp}
        await conn.hub.publish(conn.key, {"route": "one", "target": owner, "sender": conn.pid,
                                          "text": encode(ask)})
    if len(parts) > 1:
        head["parts"] = len(parts)
    texts = [_with_strokes({"type": "white-board-stage", **envelope, "msg": head}, parts[0])]
    for number, part in enumerate(parts[1:], start=2):
        msg = {"part": number, "parts": len(parts), **stamp}
        texts.append(_with_strokes({"type": "white-board-strokes", **envelope, "msg": msg}, part))
    return texts


_PART_OVERHEAD = 512  # the frame around msg, and msg's own fields in a continuation part


def _stroke_parts(strokes: list[str], *, budget: int) -> list[list[str]]:
    parts, current, size = [], [], 0
    for text in strokes:
        length = len(text.encode()) + 1
        if current and size + length > budget:
            parts.append(current)
            current, size, budget = [], 0, WB_PART_BYTES - _PART_OVERHEAD
        current.append(text)
        size += length
    parts.append(current)
    return parts


def _with_strokes(frame: dict, strokes: list[str]) -> str:
    """``frame`` encoded with ``msg.strokes`` spliced in from strokes encoded once. The key goes
    first in ``msg``, before any client-made object, so its marker is the first in the text."""
    frame["msg"] = {"strokes": [], **frame["msg"]}
    text = encode(frame)
    marker = '"strokes":[]'
    at = text.index(marker) + len(marker) - 1
    return text[:at] + ",".join(strokes) + text[at:]


async def whiteboard_stage(conn, frame: dict) -> None:
    await conn.store.wb_stage(conn.key, frame["msg"]["stage"])


async def whiteboard_stroke(conn, frame: dict) -> None:
    await conn.store.wb_stroke(conn.key, frame["msg"])


async def whiteboard_undo(conn, frame: dict) -> None:
    await conn.store.wb_undo(conn.key)


async def whiteboard_clear(conn, frame: dict) -> None:
    await conn.store.wb_clear(conn.key)


# --- signalling -----------------------------------------------------------------------------------
async def signal_from(conn, frame: dict) -> None:
    frame["from"] = conn.pid
