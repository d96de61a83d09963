"""Rooms, meetings, room tokens and guest invites."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from meetings.models import Meeting, Room, RoomTokenRevocation
from meetings.selectors import user_is_tenant_staff
from meetings.tokens import RoomGrant, room_token_mint
from portal.plans.catalogue import plan_require


def room_create(
    *, owner, name: str, type: str = Room.Type.MEETING, p2p: bool = True,
    max_participants: int | None = None, is_private: bool = False,
) -> Room:
    return Room.objects.create(
        tenant=owner.tenant, owner=owner, name=name, type=type, p2p=p2p,
        max_participants=max_participants, is_private=is_private,
    )


def user_may_manage_room(*, user, room: Room) -> bool:
    return room.owner_id == user.pk or (user_is_tenant_staff(user) and user.tenant_id == room.tenant_id)


def room_token_issue(*, actor, room: Room, role: str, user_name: str) -> str:
    """A room token minted by a logged-in user of the room's tenant.

    Only the room's owner or tenant staff may mint ``host`` tokens or any token for a
    private room (``PermissionDenied`` otherwise). Participant and viewer tokens are often
    minted by a server for someone else, so only host tokens name the minting user.
    """
    if (role == "host" or room.is_private) and not user_may_manage_room(user=actor, room=room):
        raise PermissionDenied("Only the room's owner may issue this token.")
    return room_token_mint(
        tenant_id=room.tenant_id, room_id=room.pk, role=role, name=user_name,
        user_id=actor.pk if role == "host" else None,
    )


def guest_token_issue(*, meeting: Meeting, user_name: str) -> str:
    """The participant token an invite link gives to a guest (no account needed)."""
    room = meeting.room
    if room is None:
        raise PermissionDenied("This meeting has no room.")
    role = "viewer" if room.has_audience else "participant"
    return room_token_mint(tenant_id=room.tenant_id, room_id=room.pk, role=role, name=user_name)


def room_token_revoke(*, grant: RoomGrant, reason: str = "removed") -> None:
    """The holder of ``grant`` was removed: its token may not join the room again."""
    RoomTokenRevocation.objects.get_or_create(
        tenant_id=grant.tenant_id, room_id=grant.room_id, jti=grant.jti, defaults={"reason": reason}
    )


def room_token_is_revoked(*, grant: RoomGrant) -> bool:
    return RoomTokenRevocation.objects.filter(
        tenant_id=grant.tenant_id, room_id=grant.room_id, jti=grant.jti
    ).exists()


def meeting_create(
    *, host, title: str, transcript_enabled: bool = False, room: Room | None = None,
    scheduled_start: datetime | None = None, duration_minutes: int | None = None,
) -> Meeting:
    if room is not None and room.tenant_id != host.tenant_id:
        raise PermissionDenied("Room of another tenant.")
    if transcript_enabled:
        plan_require(host.tenant, "transcripts")
    return Meeting.objects.create(
        tenant=host.tenant, host=host, title=title, transcript_enabled=transcript_enabled, room=room,
        scheduled_start=scheduled_start, duration_minutes=duration_minutes,
    )


@transaction.atomic
def meeting_schedule(
    *, host, title: str, scheduled_start: datetime, duration_minutes: int,
    transcript_enabled: bool = False, is_private: bool = False, room_type: str = Room.Type.MEETING,
) -> Meeting:
    """The browser's "New meeting": a room of its own plus the meeting that uses it."""
    room = room_create(owner=host, name=title, type=room_type, is_private=is_private)
    return meeting_create(
        host=host, title=title, transcript_enabled=transcript_enabled, room=room,
        scheduled_start=scheduled_start, duration_minutes=duration_minutes,
    )


@transaction.atomic
def meeting_update(
    *, meeting: Meeting, title: str | None = None, transcript_enabled: bool | None = None,
    summary_generated: bool | None = None, room: Room | None = None, recording_id: str | None = None,
) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if title is not None:
        meeting.title = title
    if transcript_enabled is not None:
        if transcript_enabled and not meeting.transcript_enabled:
            plan_require(meeting.tenant, "transcripts")
        meeting.transcript_enabled = transcript_enabled
    if summary_generated is not None:
        meeting.summary_generated = summary_generated
    if room is not None:
        if room.tenant_id != meeting.tenant_id:
            raise PermissionDenied("Room of another tenant.")
        meeting.room = room
    if recording_id and recording_id not in meeting.recording_ids:
        meeting.recording_ids = [*meeting.recording_ids, recording_id]
    meeting.save()
    return meeting


@transaction.atomic
def meeting_reschedule(
    *, meeting: Meeting, title: str, scheduled_start: datetime, duration_minutes: int,
    transcript_enabled: bool,
) -> Meeting:
    """The meeting page's edit: title, time, duration, transcript (Professional to turn on).
    A cancelled meeting that is rescheduled is on again."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if transcript_enabled and not meeting.transcript_enabled:
        plan_require(meeting.tenant, "transcripts")
    meeting.title, meeting.scheduled_start = title, scheduled_start
    meeting.duration_minutes, meeting.transcript_enabled = duration_minutes, transcript_enabled
    meeting.cancelled_at = None
    meeting.save()
    if meeting.room is not None and meeting.room.name != title:
        Room.objects.filter(pk=meeting.room_id).update(name=title)
    return meeting


def meeting_cancel(*, meeting: Meeting) -> Meeting:
    """Cancel: the meeting moves to the past; its invite link stops opening the room."""
    Meeting.objects.filter(pk=meeting.pk, cancelled_at__isnull=True).update(cancelled_at=timezone.now())
    meeting.refresh_from_db()
    return meeting
