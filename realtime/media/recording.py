"""Server-side recording: the media server records every feed of the room (whoever joins or
leaves, whether or not the host's browser stays open); Parley turns the files into the same
``Recording`` rows, processing and playback as the browser's recording socket.

``sfu-record {record: true}`` (hosts only) asks the media server to record the room into
``JANUS_RECORDINGS_DIR/<tenant>/<recording id>`` and opens a ``Recording`` (``video_type``
"sfu") through the recording service — one running recording per room, as for every
recording.
``record: false`` (or the room emptying) stops it and queues the processing, where the worker
first composes the feeds into one track (``meetings.recording_sfu``) and then runs the
recording pipeline unchanged. A move to another media server keeps recording into the same
folder.
"""

import asyncio
import contextlib
import shutil

from channels.db import database_sync_to_async

from meetings import recording_sfu
from meetings.services.recordings import RecordingConflict
from portal.plans.catalogue import PlanLimitReached
from realtime.media import cluster as clusters
from realtime.media import rooms
from realtime.media.base import MediaServerError


def _refuse(code: str, detail: str):
    from realtime.protocol import EventError

    return EventError(code, detail)


async def record_toggle(conn, *, on: bool) -> dict:
    media = await rooms.current(conn.key)
    if media is None:
        raise _refuse("invalid_state", "Recording on the media server needs a room that uses it; "
                                       "use the browser recording on the mesh.")
    if media.get("state") == "lost":
        raise _refuse("media_unavailable", "The media server is unavailable.")
    cluster = clusters.get_cluster()
    server = cluster.get(media["server"]) if cluster else None
    if server is None:
        raise _refuse("media_unavailable", "The media server is unavailable.")
    return await (_start(conn, media, server) if on else _stop(conn, media, server))


async def _start(conn, media: dict, server) -> dict:
    """The media server starts first (so the browsers' key frames, requested when they hear
    ``recording``, land in the files), then the ``Recording`` row opens and is announced."""
    if media.get("recording"):
        raise _refuse("conflict", "The media server is already recording this room.")
    recording_id = recording_sfu.new_recording_id()
    directory = recording_sfu.recording_dir(tenant_id=conn.tenant_id, recording_id=recording_id)
    updated = {**media, "recording": {"dir": directory, "recordingId": recording_id}}
    if not await conn.store.meta_cas(conn.key, "media", media, updated):
        raise _refuse("conflict", "The room's media changed meanwhile; try again.")
    try:
        await server.set_recording(media["ref"], directory=directory)
        await database_sync_to_async(recording_sfu.sfu_recording_start)(
            room=conn.room, recording_id=recording_id, user_id=conn.grant.user_id, host_name=conn.username,
        )
    except (MediaServerError, RecordingConflict, PlanLimitReached) as exc:
        with contextlib.suppress(MediaServerError):
            await server.set_recording(media["ref"], directory=None)
        await conn.store.meta_cas(conn.key, "media", updated, media)
        await asyncio.to_thread(shutil.rmtree, directory, True)
        if isinstance(exc, RecordingConflict):
            raise _refuse("conflict", "Another recording is running in this room.") from None
        if isinstance(exc, PlanLimitReached):
            raise _refuse(exc.code, exc.detail) from None
        raise _refuse("media_unavailable", exc.detail) from None
    return {"type": "sfu-record", "record": True, "recordingId": recording_id}


async def _stop(conn, media: dict, server) -> dict:
    marker = media.get("recording")
    if not marker:
        raise _refuse("invalid_state", "The media server is not recording this room.")
    try:
        await server.set_recording(media["ref"], directory=None)
    except MediaServerError:
        pass  # a dead server closed its files already; what was written gets processed
    rest = {k: v for k, v in media.items() if k != "recording"}
    await conn.store.meta_cas(conn.key, "media", media, rest)
    await database_sync_to_async(recording_sfu.sfu_recording_finish)(
        tenant_id=conn.tenant_id, recording_id=marker["recordingId"]
    )
    return {"type": "sfu-record", "record": False, "recordingId": marker["recordingId"]}


async def record_finish_on_empty(conn, released: dict) -> None:
    """The room emptied while recording: its media-server room is gone, so is the recording."""
    await database_sync_to_async(recording_sfu.sfu_recording_finish)(
        tenant_id=conn.tenant_id, recording_id=released["recording"]["recordingId"]
    )
