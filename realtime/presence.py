"""Presence frames: who is in a room, as every process sees it.

The roster lives in the store (shared through Redis across processes); these helpers
announce its changes with the seed's ``room_connected`` / ``room_disconnected`` and
``view_count`` frames.
"""

from realtime.frames import encode, now_ms
from realtime.store import get_store, public_entry


async def view_count_frame(key: str) -> str:
    """``count``: people connected now; ``views``: joins since the room's state began (the seed's
    "total views", which only grows)."""
    store = get_store()
    roster = await store.roster(key)
    views = (await store.meta(key)).get("views", len(roster))
    return encode({"type": "view_count", "count": len(roster), "views": views, "time": now_ms()})


async def announce_joined(hub, key: str, entry: dict) -> None:
    public = public_entry(entry)
    frame = {"type": "room_connected", **public, "time": now_ms()}
    await hub.publish(key, {"route": "room", "text": encode(frame)})
    await hub.publish(key, {"route": "room", "text": await view_count_frame(key)})


async def announce_left(hub, key: str, entry: dict) -> None:
    frame = {"type": "room_disconnected", "id": entry["id"], "username": entry["username"], "time": now_ms()}
    await hub.publish(key, {"route": "room", "text": encode(frame)})
    await hub.publish(key, {"route": "room", "text": await view_count_frame(key)})


async def announce_ghosts_gone(hub, key: str, ghosts: list[dict]) -> None:
    """Sockets of a process that died: tell the room they left (once; the sweep removed them)."""
    for entry in ghosts:
        frame = {"type": "room_disconnected", "id": entry["id"], "username": entry["username"],
                 "time": now_ms(), "reason": "lost"}
        await hub.publish(key, {"route": "room", "text": encode(frame)})
    await hub.publish(key, {"route": "room", "text": await view_count_frame(key)})
