"""Which media path a room takes, which media server holds it, and moving it.

Path (``MESH_MAX_PARTICIPANTS`` = N, default 4):

- webinar and live rooms, and rooms created with ``p2p: false``, use the SFU;
- a ``p2p`` meeting uses the browser mesh up to N people, and moves to the SFU when the
  (N+1)th joins — everyone is told with a ``media-path`` frame and switches without reloading;
- once on the SFU a room stays there until it empties (no flapping around N);
- without a media server (no ``JANUS_URL``, or none reachable) every room uses the mesh, and
  ``room_state.media.advice`` says where an SFU would help.

The room meta's ``media`` field holds the choice: ``{"path", "server", "ref", "epoch",
"state", "reason", "recording"}``. Every change is a compare-and-set on that field, so
processes racing to place or move a room agree on one outcome; ``epoch`` grows with every
move, and clients restart their SFU connections when it changes. ``server``, ``ref`` (the
media server's room id and secret) and ``recording`` never leave the server.
"""

import contextlib
import logging

from django.conf import settings

from realtime.frames import encode, now_ms
from realtime.hub import get_hub
from realtime.media import cluster as clusters
from realtime.media.base import MediaServerError
from realtime.store import get_store

logger = logging.getLogger(__name__)

MESH, SFU = "mesh", "sfu"
ADVICE = {
    "audience": "Webinar and live rooms are meant for a media server: without one, every viewer "
                "receives each speaker's video directly from the speaker's browser.",
    "p2p-off": "This room is set to use a media server (p2p: false).",
    "size": "With more than {n} people each browser sends its camera to every other one.",
}


def mesh_max() -> int:
    return settings.MESH_MAX_PARTICIPANTS


def wanted_path(room, count: int) -> tuple[str, str | None]:
    if room.has_audience:
        return SFU, "audience"
    if not room.p2p:
        return SFU, "p2p-off"
    if count > mesh_max():
        return SFU, "size"
    return MESH, None


def public(media: dict | None, *, room, count: int) -> dict:
    """What clients learn about the room's media path (``room_state.media``, ``media-path``)."""
    if media and media.get("path") == SFU:
        return {"path": SFU, "epoch": media["epoch"], "state": media.get("state", "up"),
                "reason": media.get("reason"), "meshMax": mesh_max()}
    view = {"path": MESH, "epoch": 0, "state": "up", "meshMax": mesh_max()}
    path, reason = wanted_path(room, count)
    if path == SFU:
        fix = ("A media server is configured but unreachable right now." if clusters.configured()
               else "Configure a media server (JANUS_URL, see docs/media.md) to route it through an SFU.")
        view["advice"] = f"{ADVICE[reason].format(n=mesh_max())} {fix}"
        view["reason"] = reason
    return view


async def on_join(*, key: str, room, count: int) -> dict:
    """Called after a join: place the room on the SFU if it now needs it; the public view."""
    store = get_store()
    media = (await store.meta(key)).get("media")
    if media and media.get("path") == SFU and media.get("state") == "lost":
        # Whoever was waiting for a server to come back may be gone: try now.
        await failover(key, media["server"])
        media = (await store.meta(key)).get("media")
    if not (media and media.get("path") == SFU):
        path, reason = wanted_path(room, count)
        cluster = clusters.get_cluster()
        if path == SFU and cluster is not None:
            placed, won = await _place(cluster, key, expected=media, reason=reason, epoch=1)
            if placed is not None:
                media = placed
                if won and count > 1:
                    await announce(key, {"type": "media-path", **public(media, room=room, count=count)})
                    logger.info("room %s moves to the SFU (%s, %d people)", key, reason, count)
        elif path == SFU:
            logger.info("room %s would use an SFU (%s) but none is configured", key, reason)
    return public(media, room=room, count=count)


async def on_empty(*, key: str) -> dict | None:
    """The last person left: release the media server's room; returns what was released."""
    store = get_store()
    media = (await store.meta(key)).get("media")
    if not media or not await store.meta_cas(key, "media", media, None):
        return None
    cluster = clusters.get_cluster()
    server = cluster.get(media.get("server")) if cluster else None
    if server is not None and server.up:
        with contextlib.suppress(MediaServerError):
            await server.destroy_room(media["ref"])
    return media


async def current(key: str) -> dict | None:
    media = (await get_store().meta(key)).get("media")
    return media if media and media.get("path") == SFU else None


async def _place(cluster, key: str, *, expected, reason, epoch: int, recording: dict | None = None):
    """Put room ``key`` on a server that is up; (media, whether this call set it)."""
    store = get_store()
    server = await cluster.pick(key)
    if server is None:
        return None, False
    ref = server.new_room_ref()
    try:
        await server.ensure_room(ref, recording_dir=recording["dir"] if recording else None)
    except MediaServerError:
        logger.exception("room %s: could not create its room on media server %s", key, server.sid)
        return None, False
    media = {"path": SFU, "server": server.sid, "ref": ref, "epoch": epoch, "state": "up", "reason": reason}
    if recording:
        media["recording"] = recording
    if await store.meta_cas(key, "media", expected, media):
        return media, True
    with contextlib.suppress(MediaServerError):
        await server.destroy_room(ref)
    return (await store.meta(key)).get("media"), False


async def failover(key: str, lost_sid: str) -> None:
    """The media server ``lost_sid`` is gone: move the room to one that is up, or mark it lost
    and wait for a server to come back (``Cluster.on_restored``)."""
    if key in _moving:
        return
    _moving.add(key)
    try:
        await _failover(key, lost_sid)
    finally:
        _moving.discard(key)


async def _failover(key: str, lost_sid: str) -> None:
    cluster = clusters.get_cluster()
    store = get_store()
    media = await current(key)
    if cluster is None or media is None or media.get("server") != lost_sid:
        return
    cluster.on_restored(_restored)
    moved, won = await _place(cluster, key, expected=media, reason=media.get("reason"),
                              epoch=media["epoch"] + 1, recording=media.get("recording"))
    if moved is None:
        waiting.add(key)
        lost = {**media, "state": "lost"}
        if media.get("state") != "lost" and await store.meta_cas(key, "media", media, lost):
            await announce(key, {"type": "sfu-state", "state": "lost", "epoch": media["epoch"]})
        return
    waiting.discard(key)
    if won:
        logger.warning("room %s moved from media server %s to %s", key, lost_sid, moved["server"])
        await announce(key, {"type": "media-path", "path": SFU, "epoch": moved["epoch"], "state": "up",
                             "reason": moved.get("reason"), "meshMax": mesh_max(), "moved": True})


#: Rooms of this process that lost their media server and wait for one to come back.
waiting: set[str] = set()
_moving: set[str] = set()


async def _restored(server) -> None:
    for key in list(waiting):
        media = await current(key)
        if media is None:
            waiting.discard(key)
            continue
        await failover(key, media["server"])


async def announce(key: str, frame: dict) -> None:
    frame = {"id": "server", "username": "", **frame, "time": now_ms()}
    await get_hub().publish(key, {"route": "room", "text": encode(frame)})
