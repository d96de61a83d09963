"""The recording socket: create-file, media frames with acks, resume, stop-writing,
process-recording — and every refusal (non-host, other tenant, other room, limits)."""

import os
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django_tasks_db.models import DBTaskResult

from meetings.models import Meeting, Recording, RecordingTrack
from meetings.tests.recording_support import (
    media_frame,
    room_with_meeting,
    socket,
    stream,
    token_for,
)
from portal.tenancy import DEFAULT_TENANT_SLUG

pytestmark = pytest.mark.django_db(transaction=True)

DATA = bytes(range(256)) * 200  # 51,200 bytes: the content does not matter for ingest


@pytest.fixture
def room(host):
    room, _meeting = room_with_meeting(host)
    return room


@pytest.fixture
def announced(monkeypatch):
    frames = []
    monkeypatch.setattr(
        "meetings.services.recordings.announce_to_room",
        lambda *, tenant_id, room_id, frame: frames.append((tenant_id, room_id, frame)),
    )
    return frames


async def open_socket(room, **kwargs):
    comm = socket(token_for(room, **kwargs))
    connected, code = await comm.connect()
    assert connected, code
    return comm


async def create_file(comm, room, recording_id="rec-1", video_id="cam-1") -> dict:
    await comm.send_json_to(
        {"type": "create-file", "roomId": room.pk, "recordingId": recording_id, "videoId": video_id}
    )
    return await comm.receive_json_from(timeout=5)


def spool_bytes(recording_id="rec-1", video_id="cam-1") -> bytes:
    track = RecordingTrack.objects.get(recording__recording_id=recording_id, video_id=video_id)
    return (Path(settings.MEDIA_ROOT) / track.path).read_bytes()


async def test_chunks_are_written_then_acknowledged_with_the_track_total(room, host, announced):
    comm = await open_socket(room, user=host)
    assert await create_file(comm, room) == {
        "type": "file-created", "recordingId": "rec-1", "videoId": "cam-1", "bytes": 0, "resumed": False,
    }
    assert await stream(comm, "cam-1", DATA, size=10_000) == len(DATA)
    await comm.send_json_to({"type": "stop-writing", "videoId": "cam-1"})
    assert await comm.receive_json_from() == {"type": "file-closed", "videoId": "cam-1", "bytes": len(DATA)}
    await comm.disconnect()

    def check():
        assert spool_bytes() == DATA
        track = RecordingTrack.objects.get(video_id="cam-1")
        assert (track.bytes, track.closed) == (len(DATA), True)
        assert Path(settings.MEDIA_ROOT, track.path).is_relative_to(
            Path(settings.MEDIA_ROOT, "recordings-spool", str(room.tenant_id))
        )
        # No REST /recording/start: create-file started the recording, as this host.
        recording = Recording.objects.get(recording_id="rec-1")
        assert (recording.room_id, recording.host_name) == (room.pk, "Alice")
        assert recording.started_by_id == host.pk
        assert recording.processing == "pending" and not recording.stopped
        assert "rec-1" in Meeting.objects.get(room=room).recording_ids

    await database_sync_to_async(check)()
    assert announced == [(room.tenant_id, room.pk, {"type": "recording", "togglingFlag": True,
                                                     "recordingId": "rec-1"})]


async def test_a_dropped_connection_resumes_where_the_acks_stopped(room):
    comm = await open_socket(room)
    await create_file(comm, room)
    acked = await stream(comm, "cam-1", DATA[:30_000], size=10_000)
    # The connection drops while a chunk is half written: bytes on disk nobody acknowledged.
    await comm.disconnect()

    def torn_write():
        track = RecordingTrack.objects.get(video_id="cam-1")
        with open(Path(settings.MEDIA_ROOT) / track.path, "ab") as f:
            f.write(b"\xff" * 1234)

    await database_sync_to_async(torn_write)()

    comm = await open_socket(room)
    resumed = await create_file(comm, room)
    assert resumed == {"type": "file-created", "recordingId": "rec-1", "videoId": "cam-1", "bytes": acked,
                       "resumed": True}
    await stream(comm, "cam-1", DATA[acked:], size=7_000, start=acked)
    await comm.disconnect()
    assert await database_sync_to_async(spool_bytes)() == DATA


async def test_second_track_gets_the_next_position(room):
    comm = await open_socket(room)
    await create_file(comm, room, video_id="cam-1")
    await create_file(comm, room, video_id="screen-1")
    await stream(comm, "screen-1", DATA[:100])
    await stream(comm, "cam-1", DATA[:50])
    await comm.disconnect()
    positions = await database_sync_to_async(
        lambda: dict(RecordingTrack.objects.values_list("video_id", "position"))
    )()
    assert positions == {"cam-1": 0, "screen-1": 1}


@pytest.mark.parametrize("role", ["participant", "viewer"])
async def test_non_host_tokens_are_refused(room, role):
    comm = socket(token_for(room, role=role, name="Bob"))
    connected, code = await comm.connect()
    assert (connected, code) == (False, 4403)


async def test_missing_or_forged_tokens_are_refused(room):
    for token in ("", "not-a-token", token_for(room) + "x"):
        comm = socket(token)
        assert await comm.connect() == (False, 4401)


async def test_a_token_of_another_tenant_is_refused(room, outsider):
    other_room, _ = await database_sync_to_async(room_with_meeting)(outsider, "Beta room")
    comm = socket(token_for(other_room, user=outsider), host=b"localhost")
    assert await comm.connect() == (False, 4401)


async def test_another_tenant_cannot_touch_this_tenants_recording(room, outsider):
    comm = await open_socket(room)
    await create_file(comm, room)
    await stream(comm, "cam-1", DATA[:1000])
    await comm.disconnect()

    other_room, _ = await database_sync_to_async(room_with_meeting)(outsider, "Beta room")
    beta = socket(token_for(other_room, user=outsider), host=b"beta.test")
    assert (await beta.connect())[0]
    # Naming tenant A's room: refused, nothing written.
    assert await create_file(beta, room) == {
        "type": "error", "code": "forbidden", "detail": "Your token is for another room.", "videoId": "cam-1",
    }
    await beta.send_to(bytes_data=media_frame("cam-1", b"evil"))
    assert (await beta.receive_json_from())["code"] == "unknown-track"
    # The same recordingId in its own room is its own tenant's recording, not A's.
    assert (await create_file(beta, other_room))["bytes"] == 0
    await stream(beta, "cam-1", b"beta-bytes")
    await beta.disconnect()

    def check():
        mine = Recording.objects.get(recording_id="rec-1", tenant__slug=DEFAULT_TENANT_SLUG)
        assert mine.tracks.get().bytes == 1000
        track = mine.tracks.get()
        assert (Path(settings.MEDIA_ROOT) / track.path).read_bytes() == DATA[:1000]
        assert Recording.objects.filter(recording_id="rec-1").count() == 2

    await database_sync_to_async(check)()


async def test_a_recording_of_another_room_is_not_found(room, host):
    other_room, _ = await database_sync_to_async(room_with_meeting)(host, "Other")
    comm = await open_socket(other_room)
    await create_file(comm, other_room, recording_id="rec-other")
    await comm.disconnect()

    comm = await open_socket(room)
    reply = await create_file(comm, room, recording_id="rec-other")
    assert reply["type"] == "error" and reply["code"] == "not-found"
    await comm.send_json_to({"type": "process-recording", "roomId": room.pk, "recordingId": "rec-other"})
    assert (await comm.receive_json_from())["code"] == "not-found"
    await comm.disconnect()


async def test_bad_frames_get_errors_and_the_socket_stays_open(room):
    comm = await open_socket(room)
    await comm.send_to(text_data="{not json")
    assert (await comm.receive_json_from())["code"] == "bad-json"
    await comm.send_json_to({"type": "launch-missiles"})
    assert (await comm.receive_json_from())["code"] == "unknown-type"
    await comm.send_json_to([1, 2])
    assert (await comm.receive_json_from())["code"] == "bad-request"
    await comm.send_json_to({"type": "create-file", "roomId": room.pk, "recordingId": "", "videoId": "c"})
    assert (await comm.receive_json_from())["code"] == "bad-request"
    await comm.send_json_to({"type": "create-file", "roomId": room.pk, "recordingId": "r" * 101,
                             "videoId": "c"})
    assert (await comm.receive_json_from())["code"] == "bad-request"
    await comm.send_json_to({"type": "create-file", "roomId": room.pk, "recordingId": "../x", "videoId": "c"})
    assert (await comm.receive_json_from())["code"] == "bad-request"
    await comm.send_to(bytes_data=b"\x00")
    assert (await comm.receive_json_from())["code"] == "bad-frame"
    await comm.send_to(bytes_data=b"\x00\x05ab")  # says 5 bytes of videoId, has 2
    assert (await comm.receive_json_from())["code"] == "bad-frame"
    await comm.send_to(bytes_data=b"\x00\x02\xff\xfechunk")
    assert (await comm.receive_json_from())["code"] == "bad-frame"
    await comm.send_to(bytes_data=media_frame("cam-9", b"data"))
    assert await comm.receive_json_from() == {
        "type": "error", "code": "unknown-track", "detail": "Send create-file for 'cam-9' first.",
        "videoId": "cam-9",
    }
    await create_file(comm, room)
    await comm.send_to(bytes_data=media_frame("cam-1", b""))
    assert (await comm.receive_json_from())["code"] == "empty-chunk"
    assert await stream(comm, "cam-1", b"still works") == 11
    await comm.disconnect()


async def test_size_limits(room, settings):
    settings.RECORDING_MAX_CHUNK_BYTES = 1000
    settings.RECORDING_MAX_BYTES = 2500
    comm = await open_socket(room)
    await create_file(comm, room)
    await comm.send_to(bytes_data=media_frame("cam-1", b"x" * 1001))
    assert (await comm.receive_json_from())["code"] == "chunk-too-large"
    await stream(comm, "cam-1", b"x" * 2000, size=1000)
    await create_file(comm, room, video_id="cam-2")
    await comm.send_to(bytes_data=media_frame("cam-2", b"y" * 600))
    assert (await comm.receive_json_from())["code"] == "recording-too-large"
    assert await stream(comm, "cam-2", b"y" * 500) == 500
    await comm.disconnect()
    sizes = await database_sync_to_async(
        lambda: [os.path.getsize(Path(settings.MEDIA_ROOT) / t.path) for t in RecordingTrack.objects.all()]
    )()
    assert sorted(sizes) == [500, 2000]


async def test_stop_writing_accepts_the_seeds_bare_string_and_closes_the_track(room):
    comm = await open_socket(room)
    await create_file(comm, room)
    await stream(comm, "cam-1", b"abc")
    await comm.send_to(text_data='"cam-1"')
    assert await comm.receive_json_from() == {"type": "file-closed", "videoId": "cam-1", "bytes": 3}
    await comm.send_to(bytes_data=media_frame("cam-1", b"late"))
    assert (await comm.receive_json_from())["code"] == "unknown-track"
    assert (await create_file(comm, room))["code"] == "track-closed"
    await comm.disconnect()
    assert await database_sync_to_async(spool_bytes)() == b"abc"


async def test_stop_writing_after_a_reconnect_finds_the_open_track(room):
    comm = await open_socket(room)
    await create_file(comm, room)
    await stream(comm, "cam-1", b"abcd")
    await comm.disconnect()
    comm = await open_socket(room)
    await comm.send_json_to({"type": "stop-writing", "data": "cam-1"})
    assert await comm.receive_json_from() == {"type": "file-closed", "videoId": "cam-1", "bytes": 4}
    await comm.send_json_to({"type": "stop-writing", "videoId": "cam-404"})
    assert (await comm.receive_json_from())["code"] == "unknown-track"
    await comm.disconnect()


async def test_process_recording_stops_closes_and_queues_durably(room, announced):
    comm = await open_socket(room)
    await create_file(comm, room)
    await stream(comm, "cam-1", DATA[:5000])
    await create_file(comm, room, video_id="cam-2")  # opened, never written: skipped
    await comm.send_json_to({"type": "process-recording", "roomId": room.pk, "recordingId": "rec-1"})
    assert await comm.receive_json_from() == {"type": "processing", "recordingId": "rec-1",
                                              "processing": "pending"}
    # Closed by process-recording: nothing more goes in.
    await comm.send_to(bytes_data=media_frame("cam-1", b"more"))
    assert (await comm.receive_json_from())["code"] == "unknown-track"
    assert (await create_file(comm, room))["code"] == "track-closed"
    assert (await create_file(comm, room, video_id="cam-3"))["code"] == "recording-stopped"
    # Asking again does not queue twice.
    await comm.send_json_to({"type": "process-recording", "roomId": room.pk, "recordingId": "rec-1"})
    assert (await comm.receive_json_from())["processing"] == "pending"
    await comm.disconnect()

    def check():
        recording = Recording.objects.get(recording_id="rec-1")
        assert recording.stopped and recording.end_time is not None
        assert not recording.tracks.filter(closed=False).exists()
        queued = DBTaskResult.objects.filter(status="READY")
        paths = sorted(queued.values_list("task_path", flat=True))
        assert paths == ["meetings.tasks.process_recording", "meetings.tasks.recording_abandon_check",
                         "meetings.tasks.recording_watchdog"]
        assert all(r.args_kwargs["kwargs"] == {"recording_pk": recording.pk} for r in queued)

    await database_sync_to_async(check)()
    assert [f[2]["togglingFlag"] for f in announced] == [True, False]


async def test_processing_an_empty_recording_is_refused(room):
    comm = await open_socket(room)
    await create_file(comm, room)
    await comm.send_json_to({"type": "process-recording", "roomId": room.pk, "recordingId": "rec-1"})
    assert (await comm.receive_json_from())["code"] == "empty-recording"
    await comm.send_json_to({"type": "process-recording", "roomId": room.pk, "recordingId": "nope"})
    assert (await comm.receive_json_from())["code"] == "not-found"
    await comm.disconnect()


async def test_a_second_recording_while_one_runs_is_a_conflict(room):
    comm = await open_socket(room)
    await create_file(comm, room, recording_id="rec-1")
    reply = await create_file(comm, room, recording_id="rec-2")
    assert reply["code"] == "conflict"
    await comm.disconnect()


async def test_the_portal_routes_the_recording_socket(room):
    from portal.asgi import application
    from realtime.routing import websocket_urlpatterns

    if not any(str(p.pattern) == "ws/recording/" for p in websocket_urlpatterns):
        pytest.skip('realtime/routing.py lacks path("ws/recording/", RecordingConsumer.as_asgi()) yet')
    comm = socket(token_for(room), app=application)
    connected, _ = await comm.connect()
    assert connected
    await create_file(comm, room)
    assert await stream(comm, "cam-1", b"through the real router") == 23
    await comm.disconnect()
    participant = socket(token_for(room, role="participant"), app=application)
    assert await participant.connect() == (False, 4403)
