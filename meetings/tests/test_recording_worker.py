"""A worker killed (SIGKILL) in the middle of processing: the recording does not stay in
``processing``; another worker picks it up after the lease and finishes it. Real
``manage.py db_worker`` processes on the test database."""

import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django_tasks_db.models import DBTaskResult

from meetings import recording_pipeline as pipeline
from meetings.models import Recording
from meetings.tests.recording_support import make_clip, probe, room_with_meeting, token_for
from meetings.tokens import room_token_read
from tests.live import ARTIFACTS, BASE_DIR, live_env, worker_command

pytestmark = pytest.mark.django_db(transaction=True)

LEASE = 2


def start_worker(env: dict, name: str) -> subprocess.Popen:
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen(
        worker_command(),
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )


def wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def state(pk: str) -> str:
    return Recording.objects.get(pk=pk).processing


def test_a_killed_worker_leaves_the_recording_to_the_next_one(host, tmp_path, settings):
    settings.RECORDING_PROCESSING_LEASE_SECONDS = LEASE
    room, _ = room_with_meeting(host)
    grant = room_token_read(token_for(room, user=host), tenant_id=room.tenant_id)
    for video_id, size in (("cam-1", "320x240"), ("cam-2", "640x360")):
        track = pipeline.track_open(grant=grant, room_id=room.pk, recording_id="rec-k", video_id=video_id)
        data = make_clip(tmp_path / f"{video_id}.webm", size=size, seconds=1.5)
        for i in range(0, len(data), 20_000):
            pipeline.track_append(tenant_id=room.tenant_id, track_pk=track.pk, chunk=data[i:i + 20_000])
    recording = pipeline.recording_process_request(grant=grant, room_id=room.pk, recording_id="rec-k")

    # ffmpeg waits at the starting line while `block` exists, so the kill lands mid-task.
    gate = tmp_path / "gate"
    gate.mkdir()
    (gate / "block").touch()
    wrapper = tmp_path / "ffmpeg-gated"
    wrapper.write_text(
        f'#!/bin/sh\ntouch "{gate}/started"\nwhile [ -e "{gate}/block" ]; do sleep 0.05; done\n'
        'exec ffmpeg "$@"\n'
    )
    wrapper.chmod(0o755)
    env = live_env({
        "DJANGO_SETTINGS_MODULE": "meetings.tests.recording_live_settings",
        "PARLEY_TEST_RECORDING_LEASE": str(LEASE),
        "PARLEY_TEST_FFMPEG": str(wrapper),
    })
    first = start_worker(env, "recording-worker-1")
    second = None
    try:
        wait_for(lambda: (gate / "started").exists(), timeout=60, what="the first worker to start ffmpeg")
        assert state(recording.pk) == "processing"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        (gate / "block").unlink()
        time.sleep(LEASE + 0.5)
        assert state(recording.pk) == "processing"  # nobody is left to move it

        second = start_worker(env, "recording-worker-2")
        wait_for(lambda: state(recording.pk) in ("ready", "failed"), timeout=90, what="the second worker")
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)

    recording.refresh_from_db()
    assert (recording.processing, recording.error) == ("ready", "")
    # The killed attempt left no half-written file behind: storage holds exactly the ready MP4.
    stored = default_storage.listdir(f"recordings/{recording.tenant_id}")[1]
    assert [f"recordings/{recording.tenant_id}/{name}" for name in stored] == [recording.file]
    info = probe(Path(default_storage.path(recording.file)))
    assert {(s["width"], s["height"]) for s in info["streams"] if s["codec_type"] == "video"} == {(640, 360)}
    assert abs(float(info["format"]["duration"]) - 3.0) <= 0.5
    # The killed attempt's queue row says what happened instead of "running" forever.
    lost = DBTaskResult.objects.get(task_path="meetings.tasks.process_recording", status="FAILED")
    assert lost.exception_class_path == "meetings.recording_pipeline.WorkerLost"
    assert not DBTaskResult.objects.filter(status="RUNNING").exists()
    assert Path(settings.MEDIA_ROOT, "recordings-spool").exists()

