"""The captions socket: a speaker's audio becomes that speaker's ``transcript`` line in the
room (relayed and kept as the room socket's rules say); who may open it; bad frames.

Recognition runs through the OpenAI-compatible engine against a local fake transcription
server started here (PocketSphinx itself is covered in ``meetings/tests/test_speech.py``)."""

import json

import pytest
from channels.db import database_sync_to_async as db
from channels.testing import WebsocketCommunicator

from meetings.models import RoomTokenRevocation, TranscriptEntry
from meetings.services.rooms import meeting_create, room_create
from meetings.tests.api_helpers import fake_server
from meetings.tests.speech_support import speech_pcm
from meetings.tokens import room_token_mint, room_token_read
from portal.asgi import application
from realtime.tests.conftest import socket_db

pytestmark = socket_db

HEARD = "we will open a new office"
FRAME = 3200  # 100 ms of 16 kHz mono s16le, as the browser sends


@pytest.fixture
def whisper(settings):
    """A fake OpenAI-compatible transcription server, configured as the recogniser."""
    answer = json.dumps({"text": HEARD}).encode()
    with fake_server(lambda request: (200, "application/json", answer)) as (url, seen):
        settings.TRANSCRIBE_URL = url
        settings.TRANSCRIBE_KEY = "sk-fake"
        yield seen


def captions(room_id, token, participant, *, host=b"localhost", origin=None):
    headers = [(b"host", host)] + ([(b"origin", origin)] if origin else [])
    query = f"token={token}" + (f"&participant={participant}" if participant else "")
    return WebsocketCommunicator(application, f"/ws/captions/{room_id}/?{query}", headers=headers)


async def open_captions(room, client, token):
    comm = captions(room.pk, token, client.id)
    connected, code = await comm.connect()
    assert connected, code
    ready = json.loads(await comm.receive_from(timeout=5))
    assert ready["type"] == "captions-ready" and ready["sampleRate"] == 16000
    return comm


async def speak(comm, pcm: bytes):
    for i in range(0, len(pcm), FRAME):
        await comm.send_to(bytes_data=pcm[i:i + FRAME])


async def test_speech_becomes_the_speakers_transcript_line_for_the_room_and_is_kept(
    whisper, room, host, token_for, client_for, tmp_path
):
    meeting = await db(meeting_create)(host=host, title="Captioned", room=room, transcript_enabled=True)
    h = await client_for("host", "Alice")
    token = token_for("participant", "Bob")
    bob = await client_for(token=token)
    viewer = await client_for("viewer", "Vic")
    for c in (h, bob, viewer):
        await c.drain()
    comm = await open_captions(room, bob, token)
    await speak(comm, speech_pcm(tmp_path))

    own = json.loads(await comm.receive_from(timeout=20))
    assert (own["type"], own["msg"]) == ("caption", "We will open a new office")
    assert (own["id"], own["username"]) == (bob.id, "Bob")
    for other in (h, viewer):
        line = await other.recv_type("transcript", timeout=10)
        assert (line["msg"], line["id"], line["username"]) == ("We will open a new office", bob.id, "Bob")
    assert await bob.nothing()  # transcript goes to the others; the speaker has its caption frame
    rows = await db(lambda: list(TranscriptEntry.objects.values_list("meeting_id", "user_name", "message")))()
    assert rows == [(meeting.pk, "Bob", "We will open a new office")]
    (request,) = whisper
    assert request["headers"]["Authorization"] == "Bearer sk-fake"
    await comm.disconnect()
    for c in (h, bob, viewer):
        await c.close()


async def test_lines_are_relayed_but_not_kept_while_transcripts_are_off_then_start_transcript_keeps_them(
    whisper, room, meeting, token_for, client_for, tmp_path
):
    h = await client_for("host", "Alice")
    token = token_for("participant", "Bob")
    bob = await client_for(token=token)
    await h.drain()
    comm = await open_captions(room, bob, token)
    pcm = speech_pcm(tmp_path)
    await speak(comm, pcm)
    assert (await h.recv_type("transcript", timeout=10))["username"] == "Bob"
    await comm.receive_from(timeout=10)
    assert await db(TranscriptEntry.objects.count)() == 0

    await h.send({"type": "start-transcript"})
    assert (await bob.recv_type("start-transcript"))["meetingId"] == meeting.pk
    await comm.disconnect()
    comm = await open_captions(room, bob, token)  # a fresh socket: the first one spent its audio budget
    await speak(comm, pcm)
    await h.recv_type("transcript", timeout=10)
    await comm.receive_from(timeout=10)
    assert await db(lambda: list(TranscriptEntry.objects.values_list("user_name", flat=True)))() == ["Bob"]
    await meeting.arefresh_from_db()
    assert meeting.transcript_enabled is True
    late = await client_for("participant", "Late")
    assert late.state["transcript"]["active"] is True
    await h.send({"type": "stop-transcript"})
    assert (await bob.recv_type("stop-transcript"))["username"] == "Alice"
    later = await client_for("participant", "Later")
    assert later.state["transcript"]["active"] is False
    await comm.disconnect()
    for c in (h, bob, late, later):
        await c.close()


async def test_who_may_open_the_captions_socket(whisper, room, host, outsider, token_for, client_for):
    token = token_for("participant", "Bob")
    bob = await client_for(token=token)
    alice = await client_for("host", "Alice")
    viewer_token = token_for("viewer", "Vic")
    vic = await client_for(token=viewer_token)
    other_room = await db(room_create)(owner=host, name="Elsewhere")
    theirs = await db(room_create)(owner=outsider, name="Theirs")

    async def refused(comm) -> int:
        connected, code = await comm.connect()
        await comm.disconnect()
        assert not connected
        return code

    assert await refused(captions(room.pk, "not-a-token", bob.id)) == 4401
    # A token of this tenant presented on another tenant's host.
    assert await refused(captions(room.pk, token, bob.id, host=b"beta.test")) == 4401
    # Another tenant's token for its own room, on this tenant's host.
    foreign = await db(room_token_mint)(tenant_id=theirs.tenant_id, room_id=theirs.pk, role="participant",
                                        name="Charlie")
    assert await refused(captions(theirs.pk, foreign, bob.id)) == 4401
    # The token names another room than the URL.
    assert await refused(captions(other_room.pk, token, bob.id)) == 4401
    # Only your own voice: the participant must be the token's own live room connection.
    assert await refused(captions(room.pk, token, alice.id)) == 4403
    assert await refused(captions(room.pk, token, None)) == 4403
    assert await refused(captions(room.pk, token, "nobody")) == 4403
    # Viewers do not speak, so they do not caption.
    assert await refused(captions(room.pk, viewer_token, vic.id)) == 4403
    assert await refused(captions(room.pk, token, bob.id, origin=b"https://evil.example")) == 4403
    # A removed participant's token is revoked.
    grant = room_token_read(token, tenant_id=room.tenant_id)
    await db(RoomTokenRevocation.objects.create)(tenant_id=room.tenant_id, room=room, jti=grant.jti)
    assert await refused(captions(room.pk, token, bob.id)) == 4401
    for c in (bob, alice, vic):
        await c.close()


async def test_an_essential_tenant_is_told_captions_are_professional(
    whisper, room, token_for, client_for, tmp_path
):
    from portal.plans.catalogue import ESSENTIAL
    from portal.plans.services import tenant_plan_set

    await db(tenant_plan_set)(tenant=room.tenant, plan=ESSENTIAL, via="command")
    token = token_for("participant", "Bob")
    bob = await client_for(token=token)
    comm = captions(room.pk, token, bob.id)
    assert (await comm.connect())[0]
    refused = json.loads(await comm.receive_from(timeout=5))
    assert (refused["type"], refused["code"], refused["feature"]) == ("error", "plan_required", "captions")
    await speak(comm, speech_pcm(tmp_path))
    assert await comm.receive_nothing(timeout=0.5)
    assert whisper == []  # nothing was sent to the recogniser
    await comm.disconnect()
    await bob.close()


async def test_without_a_recogniser_the_socket_is_refused(settings, room, token_for, client_for, monkeypatch):
    monkeypatch.setattr("realtime.captions.get_engine", lambda: None)
    token = token_for("participant", "Bob")
    bob = await client_for(token=token)
    comm = captions(room.pk, token, bob.id)
    assert await comm.connect() == (False, 4503)
    await bob.close()


async def test_bad_frames_get_errors_and_the_socket_stays_open(
    whisper, settings, room, token_for, client_for
):
    token = token_for("participant", "Bob")
    bob = await client_for(token=token)
    comm = await open_captions(room, bob, token)

    async def error_for(**frame) -> str:
        await comm.send_to(**frame)
        reply = json.loads(await comm.receive_from())
        assert reply["type"] == "error"
        return reply["code"]

    assert await error_for(bytes_data=bytes(settings.CAPTIONS_MAX_FRAME_BYTES + 2)) == "frame_too_large"
    assert await error_for(bytes_data=b"\x01\x02\x03") == "bad_frame"
    assert await error_for(text_data="{nope") == "invalid_json"
    assert await error_for(text_data='{"type": "transcript", "msg": "typed"}') == "unknown_type"
    # Still open: a whole frame of silence and a flush are accepted without a reply.
    await comm.send_to(bytes_data=bytes(FRAME))
    await comm.send_to(text_data='{"type": "flush"}')
    assert await comm.receive_nothing(timeout=0.2)
    await comm.disconnect()
    await bob.close()


async def test_audio_faster_than_speech_is_dropped_with_one_warning(whisper, room, token_for, client_for):
    token = token_for("participant", "Bob")
    bob = await client_for(token=token)
    comm = await open_captions(room, bob, token)
    for _ in range(12):  # 12 s of audio at once: the bucket holds 8 s
        await comm.send_to(bytes_data=bytes(32000))
    reply = json.loads(await comm.receive_from())
    assert (reply["type"], reply["code"]) == ("error", "rate_limited")
    assert await comm.receive_nothing(timeout=0.2)
    await comm.disconnect()
    await bob.close()


async def test_a_speaker_who_left_the_room_is_not_captioned(whisper, room, token_for, client_for, tmp_path):
    alice = await client_for("host", "Alice")
    token = token_for("participant", "Bob")
    bob = await client_for(token=token)
    await alice.drain()
    comm = await open_captions(room, bob, token)
    await bob.close()
    await alice.recv_type("room_disconnected")
    await alice.drain()
    await speak(comm, speech_pcm(tmp_path))
    closed = await comm.receive_output(timeout=10)
    assert closed == {"type": "websocket.close", "code": 4003}
    assert await alice.nothing()
    await alice.close()
