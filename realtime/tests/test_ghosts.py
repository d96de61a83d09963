"""No ghosts: a frame that used to kill its socket (1011, no leave) is answered with an ``error``
frame, any failure inside a handler becomes an ``error`` frame or a close that ran the leave
path, and a whiteboard of any size can be asked for."""

import dataclasses
import json

import pytest
from channels.db import database_sync_to_async as db
from redis.exceptions import ConnectionError as RedisConnectionError

from meetings.models import AnalyticsSession, SessionParticipant
from realtime import dispatch, handlers
from realtime.frames import MAX_DEPTH
from realtime.groups import room_key
from realtime.protocol import REGISTRY
from realtime.store import get_store
from realtime.tests.conftest import PRESENCE, Client, socket_db

pytestmark = socket_db

DEEP = "[" * 30_000 + "]" * 30_000  # 60 KB: under the 64 KiB frame limit

# Each of these killed the socket with 1011 (PostgreSQL refuses NUL; UTF-8 cannot carry a lone
# surrogate; json and the encoder recurse) and left its participant in the room for good.
CRAFTED = {
    "lone-surrogate-chat": '{"type": "chat-box", "msg": "\\ud800"}',
    "raw-surrogate-chat": json.dumps({"type": "chat-box", "msg": "a\ud800b"}, ensure_ascii=False),
    "nul-chat": '{"type": "chat-box", "msg": "a\\u0000b"}',
    "nul-transcript": '{"type": "transcript", "msg": "\\u0000"}',
    "nul-meeting-id": '{"type": "meetingId", "meetingId": "abc\\u0000"}',
    "surrogate-type": '{"type": "\\udfff"}',
    "surrogate-key": '{"type": "annotation", "msg": {"\\ud83d": 1}}',
    "deep-30000": '{"type": "annotation", "msg": ' + DEEP + "}",
    "deep-under-recursion-limit": '{"type": "annotation", "msg": ' + "[" * 900 + "]" * 900 + "}",
    "one-level-too-deep": '{"type": "annotation", "msg": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}",
    "infinity": '{"type": "annotation", "msg": {"x": Infinity}}',
    "overflowing-float": '{"type": "annotation", "msg": {"x": 1e999}}',
    "huge-int": '{"type": "annotation", "msg": {"x": ' + "9" * 5000 + "}}",
}


async def roster_ids(room) -> set[str]:
    return {e["id"] for e in await get_store().roster(room_key(tenant_id=room.tenant_id, room_id=room.pk))}


@pytest.mark.parametrize("name", sorted(CRAFTED))
async def test_crafted_frame_gets_an_error_and_the_socket_lives(name, cast, room, meeting):
    h, p, v = cast["host"], cast["participant"], cast["viewer"]
    sender = h if name == "nul-meeting-id" else p
    await sender.comm.send_to(text_data=CRAFTED[name])
    answer = await sender.recv()
    assert answer["type"] == "error" and answer["code"] in ("invalid_payload", "invalid_json"), answer
    assert await h.nothing() if sender is p else await p.nothing()
    # still in the room, still heard
    assert await roster_ids(room) == {h.id, p.id, v.id}
    await sender.send({"type": "chat-box", "msg": "still here"})
    other = p if sender is h else h
    assert (await other.recv())["msg"] == "still here"


async def test_valid_escapes_are_not_refused(cast):
    h, p = cast["host"], cast["participant"]
    # an escaped surrogate *pair* is one emoji; a backslash-u typed as text is text
    await p.comm.send_to(text_data='{"type": "chat-box", "msg": "\\ud83d\\ude00 and \\\\u0000 and 2e5"}')
    assert (await h.recv())["msg"] == "\U0001f600 and \\u0000 and 2e5"
    stage = {"attrs": {}, "children": [{"children": [{"children": []}]}]}
    await p.send({"type": "white-board-stage", "msg": {"stage": stage}})
    assert (await h.recv())["msg"]["stage"] == stage


async def test_three_crafted_frames_cannot_fill_a_room_of_three(client_for, room, token_for):
    room.max_participants = 3
    await db(room.save)()
    attackers = [await client_for("participant", f"Mallory {i}") for i in range(3)]
    for attacker, raw in zip(attackers, [CRAFTED["lone-surrogate-chat"], CRAFTED["deep-30000"],
                                         CRAFTED["nul-chat"]], strict=True):
        await attacker.comm.send_to(text_data=raw)
        await attacker.recv_type("error")
    for attacker in attackers:
        await attacker.close()
    assert await roster_ids(room) == set()
    assert await db(SessionParticipant.objects.filter(left_at=None).count)() == 0
    assert await db(AnalyticsSession.objects.filter(ended_at=None).count)() == 0
    people = [await client_for("participant", name) for name in ("Ann", "Ben", "Cid")]  # not 4409
    assert await roster_ids(room) == {c.id for c in people}
    for c in people:
        await c.close()


async def test_a_failing_handler_answers_an_error_and_keeps_the_socket(cast, monkeypatch, room):
    async def broken(conn, frame):
        raise RuntimeError("a bug")

    monkeypatch.setitem(REGISTRY, "video-off", dataclasses.replace(REGISTRY["video-off"], after=broken))
    p = cast["participant"]
    await p.send({"type": "video-off", "videoFlag": False})
    assert (await p.recv_type("error"))["code"] == "internal_error"
    await cast["host"].recv_type("video-off")  # relayed before the failing effect ran
    await p.send({"type": "chat-box", "msg": "after the bug"})
    assert (await cast["host"].recv_type("chat-box"))["msg"] == "after the bug"
    assert await roster_ids(room) == {c.id for c in cast.values()}


async def recovered(client):
    """Wait for ``recovered`` (a loaded machine may need more than one try: ``degraded`` again)."""
    while True:
        frame = await client.recv(timeout=10)
        if frame["type"] == "recovered":
            return frame
        assert frame["type"] in {"degraded", *PRESENCE}, frame


async def types_received(client) -> list[str]:
    kinds = []
    while not await client.comm.receive_nothing(timeout=0.2):
        kinds.append((await client.recv())["type"])
    return kinds


async def test_a_store_error_answers_unavailable(cast, monkeypatch, room):
    store = get_store()
    h, p = cast["host"], cast["participant"]

    async def down(*args, **kwargs):
        raise RedisConnectionError("Redis is down")

    # Before the relay (the target's lookup): refused, and nobody got anything.
    monkeypatch.setattr(store, "get", down)
    await h.send({"type": "mute-participant", "userId": p.id})
    error = await h.recv_type("error")
    assert (error["code"], error["detail"]) == ("unavailable", dispatch.UNAVAILABLE)
    assert "mute-participant" not in await types_received(p)
    monkeypatch.undo()
    if store.shared:  # the hub went degraded; it recovers on its next tick
        await h.recv_type("degraded")
        await recovered(h)
        await recovered(p)
        await h.drain()
        await p.drain()
    # After the relay (the roster update): delivered, and the sender is told it was not saved.
    monkeypatch.setattr(store, "update", down)
    await p.send({"type": "sharing-toggle", "flag": True})
    error = await p.recv_type("error")
    assert (error["code"], error["detail"]) == ("unavailable", dispatch.NOT_SAVED)
    assert (await h.recv_type("sharing-toggle"))["flag"] is True
    monkeypatch.undo()
    if store.shared:
        await p.recv_type("degraded")
        await recovered(p)
        await recovered(h)
        await h.drain()
        await p.drain()
    await p.send({"type": "chat-box", "msg": "later"})
    assert (await h.recv_type("chat-box"))["msg"] == "later"


async def test_a_join_that_fails_after_taking_the_seat_gives_it_back(client_for, room, token_for,
                                                                     monkeypatch):
    from realtime import consumers

    room.max_participants = 1
    await db(room.save)()

    def broken(**kwargs):
        raise ValueError("A string literal cannot contain NUL (0x00) characters.")

    monkeypatch.setattr(consumers, "participant_joined", broken)
    failing = Client(f"/ws/rooms/{room.pk}/?token={token_for()}")
    connected, _ = await failing.connect()
    assert connected
    assert await failing.comm.receive_output(timeout=2) == {"type": "websocket.close", "code": 4500}
    await failing.close()
    monkeypatch.undo()
    assert await roster_ids(room) == set()
    ok = await client_for("participant", "Real person")  # the one seat is free
    await ok.close()


async def test_a_name_with_nul_from_a_token_is_cleaned(client_for, token_for, room):
    c = await client_for(token=token_for("participant", "Eve\x00\ud800"))
    assert c.state["you"]["username"] == "Eve\ufffd\ufffd"
    await c.close()


async def test_a_whiteboard_over_a_mebibyte_comes_in_parts(client_for, room, monkeypatch):
    key = room_key(tenant_id=room.tenant_id, room_id=room.pk)
    store = get_store()
    await store.wb_clear(key)
    strokes = [{"drawingType": "mousedown" if i % 10 == 0 else "mousemove",
                "payload": {"points": [i] * 40, "color": "#123456"}, "socketId": "x", "room_id": room.pk}
               for i in range(6_500)]
    for s in strokes:
        await store.wb_stroke(key, s)
    c = await client_for("viewer")
    await c.drain()
    await c.send({"type": "whiteBoardStateRequest", "msg": {}})
    raw = await c.comm.receive_from(timeout=5)
    first = json.loads(raw)
    assert first["type"] == "white-board-stage" and first["msg"]["parts"] > 4
    assert len(raw.encode()) <= handlers.WB_PART_BYTES
    got = list(first["msg"]["strokes"])
    for number in range(2, first["msg"]["parts"] + 1):
        raw = await c.comm.receive_from(timeout=5)
        assert len(raw.encode()) <= handlers.WB_PART_BYTES
        part = json.loads(raw)
        assert (part["type"], part["msg"]["part"]) == ("white-board-strokes", number)
        got.extend(part["msg"]["strokes"])
    assert got == strokes
    await store.wb_clear(key)
    await c.close()
