"""The in-memory store forgets rooms that went quiet: its memory is bounded by the rooms in
use, not by every room ever used."""

import tracemalloc

import pytest

from realtime.store import MemoryStore

# No database is used; the mark only makes pytest-django order these async tests with the other
# database tests — before the browser tests, whose Playwright loop keeps running in this thread.
pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def ttl(settings):
    settings.WS_ROOM_STATE_TTL_SECONDS = 3600
    return 3600


def entry(pid: str) -> dict:
    return {"id": pid, "username": pid, "role": "participant"}


async def use_room(store: MemoryStore, key: str, strokes: int = 20) -> None:
    """What a short meeting leaves behind: meta, a stage and strokes, then everyone leaves."""
    await store.join(key, entry("a"), limit=None)
    await store.meta_set(key, meetingId="m", whiteboard=True)
    await store.wb_stage(key, {"attrs": {}, "children": []})
    for i in range(strokes):
        await store.wb_stroke(key, {"drawingType": "mousemove", "payload": {"x": i}})
    await store.leave(key, "a")


async def test_quiet_rooms_are_forgotten_and_memory_comes_back(ttl):
    clock = Clock()
    store = MemoryStore(clock=clock)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(3000):
            await use_room(store, f"t.room{n}")
        grown = tracemalloc.get_traced_memory()[0] - before
        assert store.rooms() == 3000
        clock.now += ttl + MemoryStore.FORGET_EVERY + 1
        await use_room(store, "t.fresh")  # any change runs the (amortised) forgetting
        assert store.rooms() == 1
        left = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert left < grown / 10, (grown, left)
    assert await store.meta("t.room0") == {}
    assert await store.wb_state("t.room0") == {"stage": None, "strokes": []}
    assert (await store.meta("t.fresh"))["meetingId"] == "m"


async def test_rooms_in_use_or_recent_are_kept(ttl):
    clock = Clock()
    store = MemoryStore(clock=clock)
    await store.join("t.busy", entry("stays"), limit=None)
    await store.meta_set("t.busy", whiteboard=True)
    await use_room(store, "t.old")
    clock.now += ttl - 10
    await use_room(store, "t.recent")
    clock.now += 20 + MemoryStore.FORGET_EVERY
    assert store.forget_quiet() == 1  # t.old only
    assert (await store.meta("t.busy"))["whiteboard"] is True  # someone is in it, however quiet
    assert (await store.meta("t.recent"))["meetingId"] == "m"
    assert await store.meta("t.old") == {}
    # the busy room is forgotten a TTL after its last person left
    await store.leave("t.busy", "stays")
    clock.now += ttl + 1
    store.forget_quiet()
    assert await store.meta("t.busy") == {}


async def test_refused_join_leaves_no_empty_roster(ttl):
    store = MemoryStore(clock=Clock())
    assert not await store.join("t.full", entry("x"), limit=0)
    assert store.rooms() == 0
