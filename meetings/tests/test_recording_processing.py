"""Processing: browser-like WebM tracks of different sizes streamed over the socket, scaled
and joined into one MP4 (checked with ffprobe); corrupt input and a missing ffmpeg fail
with a message; the state machine's guards and the lease."""

from datetime import timedelta
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from meetings import recording_pipeline as pipeline
from meetings.models import Recording
from meetings.recordings_download import delivery_fields
from meetings.tasks import process_recording, recording_watchdog
from meetings.tests.recording_support import (
    decodes_cleanly,
    make_clip,
    probe,
    room_with_meeting,
    socket,
    stream,
    token_for,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fast_x264(settings):
    settings.RECORDING_X264_PRESET = "ultrafast"


async def record(room, recording_id: str, tracks: list[tuple[str, bytes]], chunk=16 * 1024) -> str:
    """Stream tracks over the socket and ask for processing; returns the recording's pk."""
    comm = socket(token_for(room))
    assert (await comm.connect())[0]
    for video_id, data in tracks:
        await comm.send_json_to({"type": "create-file", "roomId": room.pk, "recordingId": recording_id,
                                 "videoId": video_id})
        assert (await comm.receive_json_from())["type"] == "file-created"
        await stream(comm, video_id, data, size=chunk)
        await comm.send_json_to({"type": "stop-writing", "videoId": video_id})
        assert (await comm.receive_json_from())["type"] == "file-closed"
    await comm.send_json_to({"type": "process-recording", "roomId": room.pk, "recordingId": recording_id})
    assert (await comm.receive_json_from())["processing"] == "pending"
    await comm.disconnect()
    return await database_sync_to_async(lambda: Recording.objects.get(recording_id=recording_id).pk)()


def run_queued_tasks():
    """What ``db_worker`` would do with the queue, run here (the next due task first)."""
    for result in DBTaskResult.objects.ready().order_by("run_after", "enqueued_at"):
        result.task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])


async def test_two_tracks_of_different_sizes_become_one_mp4(host, tmp_path):
    room, _ = await database_sync_to_async(room_with_meeting)(host)
    small = make_clip(tmp_path / "a.webm", size="320x240", freq=440)
    large = make_clip(tmp_path / "b.webm", size="640x360", freq=660)
    inputs = sum(float(probe_duration(p)) for p in (tmp_path / "a.webm", tmp_path / "b.webm"))
    pk = await record(room, "rec-av", [("cam-1", small), ("screen-1", large)], chunk=8 * 1024)

    assert await database_sync_to_async(process_recording.call)(recording_pk=pk) == "ready"

    recording = await database_sync_to_async(Recording.objects.get)(pk=pk)
    assert (recording.processing, recording.error) == ("ready", "")
    path = Path(default_storage.path(recording.file))
    info = probe(path)
    video = [s for s in info["streams"] if s["codec_type"] == "video"]
    audio = [s for s in info["streams"] if s["codec_type"] == "audio"]
    assert [(s["codec_name"], s["width"], s["height"]) for s in video] == [("h264", 640, 360)]
    assert [s["codec_name"] for s in audio] == ["aac"]
    assert "mp4" in info["format"]["format_name"]
    assert abs(float(info["format"]["duration"]) - inputs) <= 0.5
    assert abs(recording.duration - inputs) <= 0.5
    assert recording.size == path.stat().st_size
    assert decodes_cleanly(path)
    # The spool is gone once the MP4 is stored.
    assert not (Path(settings.MEDIA_ROOT) / "recordings-spool" / str(room.tenant_id) / pk).exists()


def probe_duration(path) -> float:
    """A streamed WebM has no duration header; decode to find it."""
    import subprocess

    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "packet=pts_time,duration_time", "-of", "csv=p=0",
         str(path)], capture_output=True, text=True, check=True,
    ).stdout
    ends = []
    for line in out.split():
        parts = [p for p in line.split(",") if p and p != "N/A"]
        if parts:
            ends.append(sum(float(p) for p in parts[:2]))
    return max(ends)


async def test_tracks_without_audio_or_video_are_filled_in(host, tmp_path):
    room, _ = await database_sync_to_async(room_with_meeting)(host)
    mute = make_clip(tmp_path / "v.webm", size="320x240", audio=False, seconds=1.5)
    voice = make_clip(tmp_path / "a.webm", size="320x240", video=False, seconds=1.5)
    pk = await record(room, "rec-fill", [("cam-1", mute), ("mic-1", voice)])
    assert await database_sync_to_async(process_recording.call)(recording_pk=pk) == "ready"
    recording = await database_sync_to_async(Recording.objects.get)(pk=pk)
    info = probe(default_storage.path(recording.file))
    assert sorted(s["codec_type"] for s in info["streams"]) == ["audio", "video"]
    assert abs(float(info["format"]["duration"]) - 3.0) <= 0.5


async def test_a_bad_track_is_skipped_and_recorded_and_only_all_bad_fails(host, tmp_path):
    """Issue 10: one bad track failed the whole recording. It is skipped now and the recording
    is ready but *partial*, saying which track and why (without server paths); a recording whose
    every track is bad fails with the reason; other recordings are unharmed."""
    room, _ = await database_sync_to_async(room_with_meeting)(host, "Broken")
    dead_room, _ = await database_sync_to_async(room_with_meeting)(host, "Dead")
    good_room, _ = await database_sync_to_async(room_with_meeting)(host, "Fine")
    clip = make_clip(tmp_path / "a.webm", size="320x240", seconds=1)
    garbage = b"\x1a\x45garbage" * 3000
    mixed = await record(room, "rec-bad", [("cam-1", clip), ("cam-2", garbage)])
    dead = await record(dead_room, "rec-dead", [("cam-9", garbage)])
    good = await record(good_room, "rec-good", [("cam-1", clip)])

    await database_sync_to_async(run_queued_tasks)()

    def check():
        partial = Recording.objects.get(pk=mixed)
        assert partial.processing == "ready" and default_storage.exists(partial.file)
        assert partial.partial is True
        assert "cam-2" in partial.partial_reason and "not a readable media file" in partial.partial_reason
        assert "skipped" in partial.partial_reason and str(settings.MEDIA_ROOT) not in partial.partial_reason
        assert "/" not in partial.partial_reason.replace(" / ", "")
        broken = Recording.objects.get(pk=dead)
        assert broken.processing == "failed"
        assert "cam-9" in broken.error and "not a readable media file" in broken.error
        assert str(settings.MEDIA_ROOT) not in broken.error and "recordings-spool" not in broken.error
        assert (broken.file, broken.duration, broken.size) == ("", None, None)
        # Its tracks stay in the spool for a retry or a look; the other recording is fine.
        assert all((Path(settings.MEDIA_ROOT) / t.path).exists() for t in broken.tracks.all())
        fine = Recording.objects.get(pk=good)
        assert fine.processing == "ready" and default_storage.exists(fine.file) and not fine.partial
        assert delivery_fields(broken)["error"] == broken.error

    await database_sync_to_async(check)()


async def test_a_truncated_track_is_kept_and_the_recording_says_partial(host, tmp_path):
    room, _ = await database_sync_to_async(room_with_meeting)(host, "Cut")
    clip = make_clip(tmp_path / "a.webm", size="320x240", seconds=2)
    cut = await record(room, "rec-cut", [("cam-1", clip[: len(clip) * 2 // 3])])
    await database_sync_to_async(run_queued_tasks)()

    def check():
        recording = Recording.objects.get(pk=cut)
        assert recording.processing == "ready" and recording.partial is True
        assert "cam-1" in recording.partial_reason and "cut short" in recording.partial_reason

    await database_sync_to_async(check)()


async def test_a_failed_recording_can_be_processed_again(host, tmp_path, settings):
    room, _ = await database_sync_to_async(room_with_meeting)(host)
    clip = make_clip(tmp_path / "a.webm", size="320x240", seconds=1)
    settings.RECORDING_FFMPEG = "/nonexistent/ffmpeg"
    pk = await record(room, "rec-retry", [("cam-1", clip)])
    await database_sync_to_async(run_queued_tasks)()
    recording = await database_sync_to_async(Recording.objects.get)(pk=pk)
    assert recording.processing == "failed"
    assert "ffmpeg is not installed" in recording.error and "apt-get install ffmpeg" in recording.error

    settings.RECORDING_FFMPEG = "ffmpeg"
    comm = socket(token_for(room))
    assert (await comm.connect())[0]
    await comm.send_json_to({"type": "process-recording", "roomId": room.pk, "recordingId": "rec-retry"})
    assert (await comm.receive_json_from())["processing"] == "pending"
    await comm.disconnect()
    await database_sync_to_async(run_queued_tasks)()
    recording = await database_sync_to_async(Recording.objects.get)(pk=pk)
    assert (recording.processing, recording.error) == ("ready", "")


def test_missing_ffprobe_fails_clearly(host, settings, tmp_path):
    settings.RECORDING_FFPROBE = "/nonexistent/ffprobe"
    room, _ = room_with_meeting(host)
    recording = Recording.objects.create(tenant=room.tenant, room=room, recording_id="r", stopped=True)
    track = recording.tracks.create(tenant=room.tenant, video_id="c", path="recordings-spool/x.webm", bytes=3)
    spool = Path(settings.MEDIA_ROOT) / track.path
    spool.parent.mkdir(parents=True)
    spool.write_bytes(b"abc")
    assert pipeline.recording_process(recording_pk=recording.pk) == "failed"
    recording.refresh_from_db()
    assert recording.error.startswith("ffprobe is not installed")


def make_recording(host, state="pending", **fields):
    room, _ = room_with_meeting(host, f"Room {state}")
    return Recording.objects.create(
        tenant=room.tenant, room=room, recording_id=f"rec-{state}", stopped=True, processing=state, **fields
    )


@pytest.mark.parametrize(
    ("name", "allowed_from"),
    [(name, sources) for name, (sources, _target) in pipeline.TRANSITIONS.items()],
)
def test_every_transition_is_guarded(host, name, allowed_from):
    for state in Recording.Processing.values:
        recording = make_recording(host, state)
        moved = pipeline._transition(recording.pk, name)
        assert moved == (state in allowed_from), (name, state)
        recording.delete()


def test_a_worker_that_lost_its_lease_cannot_finish(host, settings):
    settings.RECORDING_PROCESSING_LEASE_SECONDS = 60
    recording = make_recording(host)
    first = pipeline.Lease.take(recording.pk)
    assert first is not None and pipeline.Lease.take(recording.pk) is None  # one holder
    # The holder goes quiet past its lease: recovery hands the recording to a new attempt.
    Recording.objects.filter(pk=recording.pk).update(
        processing_started_at=timezone.now() - timedelta(seconds=61)
    )
    first.stamp = Recording.objects.get(pk=recording.pk).processing_started_at
    assert pipeline.recordings_recover() == 1
    assert Recording.objects.get(pk=recording.pk).processing == "pending"
    second = pipeline.Lease.take(recording.pk)
    assert second is not None
    first._renewed = 0
    with pytest.raises(pipeline.LeaseLost):
        first.renew()
    assert not first.finish(file="stale.mp4")
    assert not first.fail("stale")
    assert second.finish(file="fresh.mp4", duration=1.0, size=1)
    assert Recording.objects.get(pk=recording.pk).file == "fresh.mp4"


def test_recovery_leaves_live_leases_alone(host, settings):
    settings.RECORDING_PROCESSING_LEASE_SECONDS = 60
    recording = make_recording(host)
    assert pipeline.Lease.take(recording.pk)
    assert pipeline.recordings_recover() == 0
    assert Recording.objects.get(pk=recording.pk).processing == "processing"


def test_watchdog_requeues_a_recording_whose_task_was_lost(host):
    recording = make_recording(host)
    # Pending, but its task was claimed by a worker that died before taking the lease.
    assert recording_watchdog.call(recording_pk=recording.pk) == "pending"
    queued = DBTaskResult.objects.filter(status="READY").values_list("task_path", flat=True)
    assert sorted(queued) == ["meetings.tasks.process_recording", "meetings.tasks.recording_watchdog"]
    # A finished recording ends the watchdog's rounds.
    Recording.objects.filter(pk=recording.pk).update(processing="ready")
    DBTaskResult.objects.all().delete()
    assert recording_watchdog.call(recording_pk=recording.pk) == "ready"
    assert not DBTaskResult.objects.exists()


def test_a_duplicate_task_does_nothing(host):
    recording = make_recording(host, "ready", file="x.mp4")
    assert pipeline.recording_process(recording_pk=recording.pk) == "ready"
    assert Recording.objects.get(pk=recording.pk).file == "x.mp4"


def test_the_recover_command_requeues_stale_recordings(host, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.RECORDING_PROCESSING_LEASE_SECONDS = 60
    recording = make_recording(
        host, "processing", processing_started_at=timezone.now() - timedelta(minutes=5)
    )
    out = StringIO()
    call_command("recordings_recover", stdout=out)
    assert out.getvalue().strip() == "1 recording(s) queued again."
    assert Recording.objects.get(pk=recording.pk).processing == "pending"
    assert DBTaskResult.objects.filter(status="READY", task_path="meetings.tasks.process_recording").exists()
