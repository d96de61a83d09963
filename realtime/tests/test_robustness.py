"""Bad input gets an ``error`` frame; the socket stays open and the room is unaffected."""

import json

import pytest

from realtime.tests.conftest import socket_db

pytestmark = socket_db


async def still_works(cast):
    await cast["participant"].send({"type": "chat-box", "msg": "ok"})
    assert (await cast["host"].recv())["msg"] == "ok"
    assert (await cast["viewer"].recv())["msg"] == "ok"


@pytest.mark.parametrize(
    "raw, code",
    [
        ("{nope", "invalid_json"),
        ("[1, 2]", "invalid_payload"),
        ('{"msg": "no type"}', "invalid_payload"),
        ('{"type": 7}', "invalid_payload"),
        ('{"type": "launch-missiles"}', "unknown_type"),
        ('{"type": "room_state"}', "unknown_type"),
        ('{"type": "view_count", "count": 1000}', "unknown_type"),
        ('{"type": "chat-box"}', "invalid_payload"),
        ('{"type": "chat-box", "msg": ""}', "invalid_payload"),
        ('{"type": "chat-box", "msg": "' + "x" * 5001 + '"}', "invalid_payload"),
        ('{"type": "sendDrawingData", "msg": {"payload": {}}}', "invalid_payload"),
    ],
)
async def test_bad_frames(raw, code, cast):
    p = cast["participant"]
    await p.comm.send_to(text_data=raw)
    error = await p.recv()
    assert (error["type"], error["code"]) == ("error", code)
    assert error["detail"]
    assert await cast["host"].nothing() and await cast["viewer"].nothing()
    await still_works(cast)


async def test_binary_frame(cast):
    await cast["participant"].comm.send_to(bytes_data=b"\x00\x01")
    assert (await cast["participant"].recv())["code"] == "binary_not_supported"
    await still_works(cast)


async def test_oversize_frame(cast, settings):
    settings.WS_MAX_FRAME_BYTES = 64 * 1024
    big = json.dumps({"type": "annotation", "msg": {"blob": "é" * 40_000}})  # 80 KB of UTF-8
    await cast["participant"].comm.send_to(text_data=big)
    assert (await cast["participant"].recv())["code"] == "frame_too_large"
    assert await cast["host"].nothing()
    await still_works(cast)


async def test_flood_is_limited(client_for, settings):
    settings.WS_RATE_PER_SECOND = 20
    h = await client_for("host")
    p = await client_for("participant")
    await h.drain()
    await p.drain()
    for i in range(60):
        await p.send({"type": "sendDrawingData", "msg": {"drawingType": "mousemove", "payload": {"i": i}}})
    relayed, errors = 0, 0
    while not await h.comm.receive_nothing(timeout=0.2):
        relayed += 1
        await h.recv()
    while not await p.comm.receive_nothing(timeout=0.05):
        frame = await p.recv()
        errors += frame["code"] == "rate_limited"
    assert 20 <= relayed < 30  # the burst, plus what refilled meanwhile
    assert errors == 1  # one warning per second, not an echo of the flood
    await h.close()
    await p.close()


async def test_identity_cannot_be_spoofed(cast):
    h, p = cast["host"], cast["participant"]
    await p.send({"type": "chat-box", "msg": "hi", "id": h.id, "username": "Alice", "role": "host"})
    frame = await h.recv()
    assert (frame["id"], frame["username"]) == (p.id, "Bob")
    assert "role" not in frame
