"""Chat and transcript through the group-commit log (realtime.chatlog): a flood faster than the
store, a store that fails, transcripts kept only for a meeting with transcripts on.

Runs on whatever database the suite runs on (SQLite by default, PostgreSQL with DATABASE_URL).
"""

import time

import pytest
from channels.db import database_sync_to_async

from meetings.models import ChatMessage, TranscriptEntry
from realtime import chatlog
from realtime.tests.conftest import socket_db

pytestmark = [socket_db, pytest.mark.asyncio]

FLOOD = 200


async def _db(query):
    return await database_sync_to_async(query)()

STORE_SECONDS = 0.03  # per batch: with batches of 4, the store takes ~130 lines/s at most


async def _collect(client, kind: str, count: int, *, timeout: float, also=()) -> tuple[list, list]:
    """Frames of ``kind`` until ``count`` arrived; frames of types in ``also`` gathered on the side."""
    got, side = [], []
    deadline = time.monotonic() + timeout
    while len(got) < count:
        left = deadline - time.monotonic()
        assert left > 0, f"{len(got)} of {count} {kind} frames; side frames {side[-3:]}"
        frame = await client.recv(timeout=left)
        if frame["type"] == kind:
            got.append(frame)
        elif frame["type"] in also:
            side.append(frame)
    return got, side


async def test_flood_faster_than_the_store_is_slowed_not_dropped(cast, room, settings, monkeypatch):
    settings.CHAT_BATCH_MAX = 4
    settings.CHAT_WINDOW = 8
    real_store = chatlog.store_batch

    def slow_store(batch):
        time.sleep(STORE_SECONDS)  # a database that cannot keep up with the senders
        real_store(batch)

    monkeypatch.setattr(chatlog, "store_batch", slow_store)
    sender, receiver = cast["participant"], cast["host"]
    started = time.monotonic()
    for n in range(FLOOD):  # as fast as the socket takes them: ~10x what the store can do
        await sender.send({"type": "chat-box", "msg": f"line {n}", "clientId": f"c{n}"})
    sent_in = time.monotonic() - started
    acks, errors = await _collect(sender, "chat-ack", FLOOD, timeout=30, also={"error"})
    relayed, _ = await _collect(receiver, "chat-box", FLOOD, timeout=5)
    took = time.monotonic() - started

    # every chat acknowledged, in the order sent, with the stored id
    assert [a["clientId"] for a in acks] == [f"c{n}" for n in range(FLOOD)]
    ids = [a["messageId"] for a in acks]
    assert len(set(ids)) == FLOOD
    # the sender was slowed (told, frames held), never refused
    assert errors and {e["code"] for e in errors} == {"slow_down"}
    assert all(e["held"] is True for e in errors)
    assert sent_in < took / 3, "the flood must outrun the store for this test to mean anything"
    log = chatlog.get_chatlog()
    assert log.stats.held > 0 and log.stats.failed == 0
    assert 1 < log.stats.largest <= 4  # group commit: several lines per transaction
    # stored: every acknowledged chat, once, in order (the history's order: created_at, id)
    rows = await _db(lambda: list(
        ChatMessage.objects.filter(room=room).order_by("created_at", "id").values_list("id", "msg")))
    assert rows == [(i, f"line {n}") for n, i in enumerate(ids)]
    # delivered once each, in storage order, with the stored id
    assert [(f["messageId"], f["msg"]) for f in relayed] == rows
    assert "clientId" not in relayed[0]
    assert await receiver.nothing() and await cast["viewer"].nothing() is False


async def test_seed_clients_get_no_ack_and_relay_follows_storage(cast, room, meeting):
    """A frame without clientId is the seed's: relayed with messageId, no new frame for the sender."""
    await cast["participant"].send({"type": "chat-box", "msg": "seed style", "time": 1692345678})
    frame = await cast["host"].recv_type("chat-box")
    stored = await _db(lambda: ChatMessage.objects.get(room=room))
    assert (frame["messageId"], frame["msg"], stored.meeting_id) == (stored.pk, "seed style", meeting.pk)
    assert await cast["participant"].nothing()


async def test_a_batch_that_cannot_be_stored_is_refused_to_its_senders(cast, room, monkeypatch):
    def broken(batch):
        raise RuntimeError("disk full")

    monkeypatch.setattr(chatlog, "store_batch", broken)
    await cast["participant"].send({"type": "chat-box", "msg": "lost?", "clientId": "x1"})
    refused = await cast["participant"].recv_type("error")
    assert (refused["code"], refused["clientId"]) == ("not_stored", "x1")
    assert await cast["host"].nothing()  # not stored, so not relayed
    monkeypatch.undo()
    await cast["participant"].send({"type": "chat-box", "msg": "again", "clientId": "x1"})
    ack = await cast["participant"].recv_type("chat-ack")
    assert (await cast["host"].recv_type("chat-box"))["messageId"] == ack["messageId"]
    assert await _db(lambda: list(ChatMessage.objects.values_list("msg", flat=True))) == ["again"]


async def test_transcript_lines_kept_in_order_only_with_transcripts_on(cast, meeting):
    h = cast["host"]
    await h.send({"type": "transcript", "msg": "not kept", "clientId": "t0"})
    assert (await h.recv_type("transcript-ack"))["stored"] is False
    assert (await cast["participant"].recv_type("transcript"))["msg"] == "not kept"  # relayed, not stored
    await h.send({"type": "start-transcript", "meetingId": meeting.pk})
    await cast["participant"].recv_type("start-transcript")
    for n in range(1, 6):
        await h.send({"type": "transcript", "msg": f"kept {n}", "clientId": f"t{n}"})
    acks, _ = await _collect(h, "transcript-ack", 5, timeout=5)
    assert [(a["clientId"], a["stored"]) for a in acks] == [(f"t{n}", True) for n in range(1, 6)]
    relayed, _ = await _collect(cast["participant"], "transcript", 5, timeout=5)
    assert [f["msg"] for f in relayed] == [f"kept {n}" for n in range(1, 6)]
    kept = await _db(lambda: list(TranscriptEntry.objects.filter(meeting=meeting)
                                  .order_by("created_at", "id").values_list("message", flat=True)))
    assert kept == [f"kept {n}" for n in range(1, 6)]
