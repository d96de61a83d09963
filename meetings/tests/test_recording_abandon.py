"""Abandoned recordings (issue 10, item 6): a pending recording whose client never came back is
finished after RECORDING_ABANDON_SECONDS — as a *partial* recording from what was acknowledged,
or failed when nothing was — so that /recording/start no longer answers 409 for ever. The check
runs from the task queue (``recording_abandon_check``, queued with every start) and lazily at
every start."""

import os
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from meetings import recording_pipeline as pipeline
from meetings.models import Recording
from meetings.tasks import recording_abandon_check
from meetings.tests.recording_support import make_clip, room_with_meeting
from meetings.tokens import RoomGrant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.RECORDING_ABANDON_SECONDS = 600
    settings.RECORDING_X264_PRESET = "ultrafast"


def _grant(room, user) -> RoomGrant:
    return RoomGrant(tenant_id=room.tenant_id, room_id=room.pk, role="host", name="Alice",
                     user_id=user.pk, jti="t", expires_at=int(time.time()) + 3600)


def _start(api, host, room, recording_id):
    return api(host).post("/recording/start", {"roomId": room.pk, "recordingId": recording_id}, format="json")


def _age(recording_pk: str, seconds: int) -> None:
    """Make the recording look untouched for ``seconds`` (its row and its spool files)."""
    then = timezone.now() - timedelta(seconds=seconds)
    Recording.objects.filter(pk=recording_pk).update(updated_at=then)
    for track in Recording.objects.get(pk=recording_pk).tracks.all():
        os.utime(pipeline._abs(track), (then.timestamp(), then.timestamp()))


def _run_queue():
    for result in DBTaskResult.objects.ready().order_by("run_after", "enqueued_at"):
        result.task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])


def test_a_crashed_clients_recording_is_finished_as_partial_and_the_room_records_again(api, host, tmp_path):
    room, _ = room_with_meeting(host)
    assert _start(api, host, room, "rec-1").status_code == 201
    clip = make_clip(tmp_path / "a.webm", size="320x240", seconds=2)
    track = pipeline.track_open(grant=_grant(room, host), room_id=room.pk, recording_id="rec-1",
                                video_id="cam")
    acknowledged = 0
    for i in range(0, len(clip), 16 * 1024):
        acknowledged = pipeline.track_append(tenant_id=room.tenant_id, track_pk=track.pk,
                                             chunk=clip[i:i + 16 * 1024])
    # The client crashes: no stop-writing, no process-recording, nobody comes back.
    first = Recording.objects.get(recording_id="rec-1")
    assert _start(api, host, room, "rec-2").status_code == 409  # still within the time-out
    _age(first.pk, 601)

    assert _start(api, host, room, "rec-2").status_code == 201  # lazily finished at start
    first.refresh_from_db()
    assert first.stopped and first.partial and "Abandoned" in first.partial_reason
    assert first.tracks.get().bytes == acknowledged and first.tracks.get().closed
    _run_queue()
    first.refresh_from_db()
    assert first.processing == "ready" and first.partial and first.file
    assert abs(first.duration - 2) < 0.6  # everything acknowledged is in it
    row = next(r for r in api(host).get("/recordings/list").json() if r["recordingId"] == "rec-1")
    assert row["partial"] is True and "Abandoned" in row["partialReason"]


def test_an_abandoned_recording_with_nothing_acknowledged_fails_from_the_task_queue(api, host):
    room, _ = room_with_meeting(host)
    assert _start(api, host, room, "rec-a").status_code == 201
    recording = Recording.objects.get(recording_id="rec-a")
    checks = DBTaskResult.objects.filter(task_path="meetings.tasks.recording_abandon_check")
    assert checks.count() == 1  # queued with the start, due one time-out later
    assert checks.get().run_after >= timezone.now() + timedelta(seconds=590)

    assert recording_abandon_check.call(recording_pk=recording.pk) == "active"  # not yet: checks again
    _age(recording.pk, 601)
    assert recording_abandon_check.call(recording_pk=recording.pk) == "abandoned"
    recording.refresh_from_db()
    assert recording.stopped and recording.processing == "failed"
    assert "Abandoned" in recording.error and "nothing was recorded" in recording.error
    assert _start(api, host, room, "rec-b").status_code == 201


def test_a_live_recording_is_left_alone(api, host, tmp_path):
    room, _ = room_with_meeting(host)
    _start(api, host, room, "rec-live")
    recording = Recording.objects.get(recording_id="rec-live")
    track = pipeline.track_open(grant=_grant(room, host), room_id=room.pk, recording_id="rec-live",
                                video_id="c")
    Recording.objects.filter(pk=recording.pk).update(updated_at=timezone.now() - timedelta(hours=2))
    pipeline.track_append(tenant_id=room.tenant_id, track_pk=track.pk, chunk=b"x" * 100)  # a chunk just now
    assert pipeline.recordings_abandon() == []
    assert _start(api, host, room, "rec-other").status_code == 409
    recording.refresh_from_db()
    assert not recording.stopped and recording.processing == "pending"

