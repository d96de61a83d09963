"""A meeting's lifecycle: when it ran, from the room's first join to its last leave.

- ``room_joined`` (the room socket, on every join): the room's meeting starts (``started_at``,
  once) and is no longer ended — people who come back after everyone left reopen it.
- ``room_left`` (the room socket, on every leave): when nobody is left in the room's live
  analytics session (``participant_left`` closed it), the meeting has ended (``ended_at``).
- ``end_meeting(room, by_user)``: a host (the room's owner or tenant staff) ends it for
  everyone — the meeting is ended and the room's live analytics session closed now, whatever
  the sockets still do.
- ``meeting_close(meeting)``: the same, and final (``closed_at``): the room page's "End meeting
  for all" (the room socket's ``end-meeting``, from a host token — only ever minted for the
  room's managers) and REST ``POST /meetings/<id>/end`` (the host or staff). The room socket,
  the invite link and the host's room page refuse joins of a closed meeting, so nobody reopens it.

"Past" on the pages means ``ended_at`` is set (or the meeting was cancelled), never a delay
after the scheduled start (docs/meetings.md). The room's meeting is the one its sockets hold:
the latest of the room that is not cancelled.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from meetings.models import AnalyticsSession, Meeting, Room, SessionParticipant
from meetings.services.rooms import user_may_manage_room


def room_meeting(room: Room) -> Meeting | None:
    return (
        Meeting.objects.filter(tenant_id=room.tenant_id, room=room, cancelled_at__isnull=True)
        .order_by("-created_at").first()
    )


def room_joined(*, room: Room) -> Meeting | None:
    meeting = room_meeting(room)
    if meeting is None:
        return None
    now = timezone.now()
    Meeting.objects.filter(pk=meeting.pk, started_at__isnull=True).update(started_at=now)
    Meeting.objects.filter(pk=meeting.pk, ended_at__isnull=False).update(ended_at=None)
    return meeting


def room_left(*, room: Room) -> Meeting | None:
    """Ends the room's meeting when nobody is left in it (per the analytics session)."""
    live = AnalyticsSession.objects.filter(tenant_id=room.tenant_id, room=room, ended_at__isnull=True)
    if live.exists():
        return None
    meeting = room_meeting(room)
    if meeting is None:
        return None
    Meeting.objects.filter(pk=meeting.pk, started_at__isnull=False, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
    return meeting


@transaction.atomic
def end_meeting(room: Room, by_user) -> Meeting | None:
    """A host ends the meeting for everyone. ``PermissionDenied`` unless ``by_user`` manages the
    room (its owner, or staff of its tenant). Returns the ended meeting (None if the room has none).

    The caller (the room socket) tells the people in the room and closes their sockets; their
    leaves then find the session already closed.
    """
    if by_user is None or not user_may_manage_room(user=by_user, room=room):
        raise PermissionDenied("Only a host may end the meeting for everyone.")
    return _end_now(room)


def _end_now(room: Room) -> Meeting | None:
    now = timezone.now()
    sessions = AnalyticsSession.objects.select_for_update().filter(
        tenant_id=room.tenant_id, room=room, ended_at__isnull=True
    )
    session_ids = list(sessions.values_list("pk", flat=True))
    SessionParticipant.objects.filter(
        tenant_id=room.tenant_id, session_id__in=session_ids, left_at__isnull=True
    ).update(left_at=now)
    AnalyticsSession.objects.filter(pk__in=session_ids).update(ended_at=now)
    meeting = room_meeting(room)
    if meeting is None:
        return None
    Meeting.objects.filter(pk=meeting.pk, ended_at__isnull=True).update(
        ended_at=now, started_at=meeting.started_at or now
    )
    meeting.refresh_from_db()
    return meeting


@transaction.atomic
def meeting_close(*, meeting: Meeting) -> bool:
    """A host ended ``meeting`` for everyone, for good: it is ended now (``end_meeting``'s effect
    on its room, when it is the room's meeting) and ``closed_at`` is set. False if it already was.
    The caller tells the room (``meeting-ended``) and closes its sockets."""
    closed = Meeting.objects.filter(pk=meeting.pk, closed_at__isnull=True).update(closed_at=timezone.now())
    if closed and meeting.room_id:
        room = Room.objects.get(pk=meeting.room_id)
        current = room_meeting(room)
        if current is not None and current.pk == meeting.pk:
            _end_now(room)
    Meeting.objects.filter(pk=meeting.pk, ended_at__isnull=True).update(ended_at=timezone.now())
    meeting.refresh_from_db()
    return bool(closed)
