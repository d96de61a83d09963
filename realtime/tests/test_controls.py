"""Host controls, signalling, chat and transcript persistence, and announcements."""

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async as db

from meetings.models import ChatMessage, Meeting, RoomTokenRevocation, TranscriptEntry
from meetings.services.rooms import meeting_create
from realtime.announce import announce_to_room
from realtime.tests.conftest import Client, refusal, socket_db

pytestmark = socket_db


async def test_remove_participant_closes_and_refuses_reconnect(cast, room, token_for):
    h, p, v = cast["host"], cast["participant"], cast["viewer"]
    token = token_for("viewer", "Eve")
    eve = Client(f"/ws/rooms/{room.pk}/?token={token}")
    await eve.join()
    for c in (h, p):
        await c.drain()
    await h.send({"type": "remove-participant", "userId": eve.id})
    assert (await eve.recv_type("remove-participant"))["userId"] == eve.id
    closed = await eve.comm.receive_output(timeout=1)
    assert closed == {"type": "websocket.close", "code": 4003}
    assert (await p.recv_type("remove-participant"))["userId"] == eve.id
    removed = await p.recv_type("room_disconnected")
    assert removed["id"] == eve.id
    assert (await p.recv_type("view_count"))["count"] == 3
    assert await db(RoomTokenRevocation.objects.filter(room=room).count)() == 1
    # Accepted and closed at once with 4401: a browser sees the code and stops retrying.
    assert await refusal(Client(f"/ws/rooms/{room.pk}/?token={token}")) == 4401
    await eve.close()
    assert await v.nothing() is False  # the viewer saw the removal too


async def test_mute_participant_reaches_target_and_roster(cast, client_for):
    h, p = cast["host"], cast["participant"]
    await h.send({"type": "mute-participant", "userId": p.id})
    frame = await p.recv()
    assert (frame["type"], frame["userId"], frame["muted"]) == ("mute-participant", p.id, True)
    late = await client_for("participant", "Late")
    assert {x["id"]: x["muted"] for x in late.state["participants"]}[p.id] is True
    await h.send({"type": "mute-mic-request", "userId": p.id, "muted": False})
    assert (await p.recv())["muted"] is False
    await late.close()


async def test_mute_all_marks_everyone_but_hosts(cast, client_for):
    await cast["host"].send({"type": "mute-all-participants"})
    await cast["viewer"].recv_type("mute-all-participants")
    late = await client_for("participant", "Late")
    muted = {x["role"]: x["muted"] for x in late.state["participants"] if x["id"] != late.id}
    assert muted == {"host": False, "participant": True, "viewer": True}
    await late.close()


async def test_signal_goes_to_its_target_only_with_from(cast):
    p, v, h = cast["participant"], cast["viewer"], cast["host"]
    await p.send({"type": "signal", "to": v.id, "data": {"sdp": "offer"}, "from": h.id})
    frame = await v.recv()
    assert frame == {"type": "signal", "to": v.id, "data": {"sdp": "offer"}, "from": p.id, "id": p.id,
                     "username": "Bob", "time": frame["time"]}
    assert await h.nothing() and await p.nothing()


async def test_mic_request_flow(cast):
    h, p, v = cast["host"], cast["participant"], cast["viewer"]
    await v.send({"type": "request-mic"})
    ask = await h.recv()
    assert (ask["type"], ask["id"]) == ("request-mic", v.id)
    assert await p.nothing()
    await h.send({"type": "request-mic-accepted", "id": v.id})  # the seed's spelling of the target
    ok = await v.recv()
    # the seed's meaning of id (the participant answered); the host who answered is senderId
    assert (ok["type"], ok["userId"], ok["id"], ok["senderId"]) == ("request-mic-accepted", v.id, v.id, h.id)
    assert await p.nothing()
    await v.send({"type": "mic-accepted-ack", "id": "old-stream", "newId": "new-stream"})
    ack = await h.recv()
    assert (ack["oldId"], ack["newId"], ack["id"]) == ("old-stream", "new-stream", "old-stream")
    assert ack["senderId"] == v.id
    await v.send({"type": "mic-accepted-ack", "newId": "newer-stream"})  # no old stream: id is the sender
    ack = await h.recv()
    assert (ack["id"], ack["newId"], ack["senderId"]) == (v.id, "newer-stream", v.id)
    await p.send({"type": "product-selected", "id": "sku-9"})
    picked = await h.recv()
    assert (picked["id"], picked["productId"], picked["senderId"]) == ("sku-9", "sku-9", p.id)


async def test_chat_is_persisted_and_shown_to_joiners(cast, meeting, client_for):
    await cast["participant"].send({"type": "chat-box", "msg": "hello", "time": 1692345678})
    frame = await cast["host"].recv()
    assert frame["msg"] == "hello" and frame["username"] == "Bob"
    late = await client_for("participant", "Late")
    assert [(m["username"], m["msg"], m["id"]) for m in late.state["chat"]] == [
        ("Bob", "hello", cast["participant"].id)
    ]
    row = await db(ChatMessage.objects.get)()
    assert row.meeting_id == meeting.pk and row.tenant_id == meeting.tenant_id
    await late.close()


async def test_transcript_persisted_only_when_enabled(cast, meeting, host, room):
    h, p = cast["host"], cast["participant"]
    await p.send({"type": "transcript", "msg": "not kept"})
    await h.recv_type("transcript")
    assert await db(TranscriptEntry.objects.count)() == 0

    on = await db(meeting_create)(host=host, title="Transcribed", room=room, transcript_enabled=True)
    await h.send({"type": "meetingId", "meetingId": on.pk})
    assert (await p.recv())["meetingId"] == on.pk
    await h.send({"type": "start-transcript", "meetingTitle": "Transcribed"})
    started = await p.recv()
    assert started["meetingId"] == on.pk
    await p.send({"type": "transcript", "msg": "kept"})
    await h.recv_type("transcript")
    rows = TranscriptEntry.objects.values_list("meeting_id", "user_name", "message")
    entries = await db(lambda: list(rows))()
    assert entries == [(on.pk, "Bob", "kept")]


async def test_meeting_id_of_another_tenant_is_refused(cast, outsider):
    other = await db(Meeting.objects.create)(tenant=outsider.tenant, host=outsider, title="Theirs")
    await cast["host"].send({"type": "meetingId", "meetingId": other.pk})
    assert (await cast["host"].recv())["code"] == "not_found"
    assert await cast["participant"].nothing()


async def test_recording_state_reaches_joiners(cast, client_for):
    await cast["host"].send({"type": "recording", "togglingFlag": True, "recordingId": "rec-1"})
    await cast["participant"].recv_type("recording")
    late = await client_for("participant")
    assert late.state["recording"]["active"] is True and late.state["recording"]["recordingId"] == "rec-1"
    await late.close()


async def test_announce_to_room_from_sync_code(cast, room, client_for):
    await sync_to_async(announce_to_room)(
        tenant_id=room.tenant_id, room_id=room.pk, frame={"type": "recording", "togglingFlag": False,
                                                          "recordingId": "rec-9"}
    )
    for role in cast:
        frame = await cast[role].recv()
        assert (frame["type"], frame["recordingId"], frame["id"]) == ("recording", "rec-9", "server")
    late = await client_for("participant")
    assert late.state["recording"] == {"active": False, "recordingId": "rec-9", "by": "", "since": late.state[
        "recording"]["since"]}
    await late.close()
