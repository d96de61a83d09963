"""Recordings as the REST API starts and stops them.

``stopped`` is the seed's boolean ``status``; ``processing`` (pending → processing →
ready | failed) belongs to the recording pipeline (``meetings.recording_pipeline``).
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from meetings.models import Meeting, Recording, Room
from meetings.services.rooms import meeting_update
from portal.plans.services import recording_allowance_check, recording_seconds_add
from realtime.announce import announce_to_room


class RecordingConflict(Exception):
    """The recording id is taken, or the room already has a running recording."""


def recording_start(
    *, room: Room, started_by, recording_id: str, host_name: str, stream_id: str = "",
    video_type: str = "", start_time: datetime | None = None,
) -> Recording:
    """Open a recording of ``room``; the database guarantees one running recording per
    room and unique recording ids per tenant (``RecordingConflict`` otherwise).

    The room's latest meeting lists the recording, and the room hears ``recording`` on.
    ``PlanLimitReached`` when this month's recording minutes of the plan are used up.
    """
    from meetings.recording_pipeline import recordings_abandon
    from meetings.tasks import enqueue_abandon_check

    recording_allowance_check(tenant=room.tenant)
    recordings_abandon(room=room)  # a crashed client's recording no longer blocks the room
    try:
        with transaction.atomic():
            recording = Recording.objects.create(
                tenant_id=room.tenant_id, room=room, recording_id=recording_id, host_name=host_name,
                started_by=started_by, stream_id=stream_id, video_type=video_type,
                start_time=start_time or timezone.now(),
            )
            meetings = Meeting.objects.for_tenant(room.tenant_id).filter(room=room)
            meeting = meetings.order_by("-created_at").first()
            if meeting is not None:
                meeting_update(meeting=meeting, recording_id=recording_id)
            _announce(recording, on=True)
            enqueue_abandon_check(recording.pk)
            return recording
    except IntegrityError:
        raise RecordingConflict("This recording id is taken or the room is already recording.") from None


@transaction.atomic
def recording_stop(*, recording: Recording, end_time: datetime | None = None) -> Recording:
    """Mark a recording stopped and count its minutes for the plan (once: stopping a stopped
    recording changes nothing)."""
    recording = Recording.objects.select_for_update().get(pk=recording.pk)
    if recording.stopped:
        return recording
    recording.stopped = True
    recording.end_time = end_time or timezone.now()
    recording.save(update_fields=["stopped", "end_time", "updated_at"])
    # Counted on the server's clock (created → stopped), whatever times the client reported.
    recording_seconds_add(tenant_id=recording.tenant_id, started_at=recording.created_at,
                          ended_at=timezone.now())
    _announce(recording, on=False)
    return recording


def _announce(recording: Recording, *, on: bool) -> None:
    """Tell the room that recording started or stopped (sent once the transaction commits)."""
    announce_to_room(
        tenant_id=recording.tenant_id, room_id=recording.room_id,
        frame={"type": "recording", "togglingFlag": on, "recordingId": recording.recording_id},
    )
