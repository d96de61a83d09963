"""The media plane's seams with the room socket: the hooks of the ``sfu-*`` events in the
registry (``realtime.protocol``) and what the room consumer calls on join and leave.
"""

import logging

from realtime.media import cluster as clusters
from realtime.media import rooms
from realtime.media.ice import ice_servers
from realtime.media.session import session_of

logger = logging.getLogger(__name__)


# --- registry hooks (prepare) ---------------------------------------------------------------------
async def sfu_publish(conn, frame: dict) -> dict:
    return await session_of(conn).publish(frame)


async def sfu_unpublish(conn, frame: dict) -> dict:
    return await session_of(conn).unpublish(frame)


async def sfu_subscribe(conn, frame: dict) -> dict:
    return await session_of(conn).subscribe(frame)


async def sfu_answer(conn, frame: dict) -> None:
    await session_of(conn).answer(frame)


async def sfu_trickle(conn, frame: dict) -> None:
    await session_of(conn).trickle(frame)


async def sfu_layer(conn, frame: dict) -> None:
    await session_of(conn).set_layer(frame)


async def sfu_keyframe(conn, frame: dict) -> None:
    await session_of(conn).keyframe(frame)


async def sfu_record(conn, frame: dict) -> dict:
    from realtime.media.recording import record_toggle

    return await record_toggle(conn, on=frame["record"])


# --- the room consumer ------------------------------------------------------------------------------
async def media_join(conn, *, count: int) -> dict:
    """Fields the joiner's ``room_state`` carries: the media path and its ICE servers."""
    try:
        media = await rooms.on_join(key=conn.key, room=conn.room, count=count)
    except Exception:  # the meeting goes on over the mesh rather than failing the join
        logger.exception("room %s: media placement failed", conn.key)
        media = rooms.public(None, room=conn.room, count=count)
    return {"media": media, "iceServers": ice_servers(label=conn.pid)}


async def media_leave(conn) -> None:
    """After a leave: close the person's SFU connection; release the room's if it is empty."""
    session = getattr(conn, "media_session", None)
    try:
        if session is not None:
            await session.close()
        if clusters.configured() and not await conn.store.roster(conn.key):
            from realtime.media.recording import record_finish_on_empty

            released = await rooms.on_empty(key=conn.key)
            if released and released.get("recording"):
                await record_finish_on_empty(conn, released)
    except Exception:
        logger.exception("room %s: media clean-up after a leave failed", conn.key)
