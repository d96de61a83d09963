"""Rooms, meetings, room tokens and guest invites."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from meetings.models import Meeting, Room, RoomBan, RoomTokenRevocation
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


class MeetingClosed(PermissionDenied):
    """The invite link may not let this person in: the meeting ended, or a host removed them."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "ended" | "banned"


def guest_token_issue(*, meeting: Meeting, user_name: str, guest: str | None = None) -> str:
    """The participant token an invite link gives to a guest (no account needed). ``guest`` is
    who they are (``g:<id>`` kept in their browser session, ``u:<id>`` when signed in): the
    token carries it, so that a host's removal bans the person, not only this token."""
    room = meeting.room
    if room is None:
        raise PermissionDenied("This meeting has no room.")
    if Meeting.objects.filter(pk=meeting.pk, closed_at__isnull=False).exists():
        raise MeetingClosed("ended")
    if guest and room_is_banned(tenant_id=room.tenant_id, room_id=room.pk, subjects=[guest]):
        raise MeetingClosed("banned")
    role = "viewer" if room.has_audience else "participant"
    return room_token_mint(tenant_id=room.tenant_id, room_id=room.pk, role=role, name=user_name, guest=guest)


def grant_subjects(grant: RoomGrant) -> list[str]:
    """Who a room token names, as ban subjects."""
    subjects = [grant.guest] if grant.guest else []
    if grant.user_id:
        subjects.append(f"u:{grant.user_id}")
    return subjects


def room_ban(*, grant: RoomGrant) -> None:
    """A host removed the holder of ``grant``: the person (not only the token) stays out.
    Host tokens are only ever minted for the room's managers, who are never banned from it
    (their token is revoked, nothing more)."""
    if grant.is_host:
        return
    for subject in grant_subjects(grant):
        RoomBan.objects.get_or_create(
            tenant_id=grant.tenant_id, room_id=grant.room_id, subject=subject[:80],
            defaults={"name": grant.name[:150]},
        )


def room_is_banned(*, tenant_id: int, room_id: str, subjects: list[str]) -> bool:
    return bool(subjects) and RoomBan.objects.filter(
        tenant_id=tenant_id, room_id=room_id, subject__in=subjects
    ).exists()


def room_token_revoke(*, grant: RoomGrant, reason: str = "removed") -> None:
    """The holder of ``grant`` was removed: its token may not join the room again, nor may the
    person it names (``room_ban``) with a new one."""
    RoomTokenRevocation.objects.get_or_create(
        tenant_id=grant.tenant_id, room_id=grant.room_id, jti=grant.jti, defaults={"reason": reason}
    )
    if reason == "removed":
        room_ban(grant=grant)


def room_token_is_revoked(*, grant: RoomGrant) -> bool:
    """The token was revoked, or the person it names was banned from the room."""
    return RoomTokenRevocation.objects.filter(
        tenant_id=grant.tenant_id, room_id=grant.room_id, jti=grant.jti
    ).exists() or (not grant.is_host and room_is_banned(
        tenant_id=grant.tenant_id, room_id=grant.room_id, subjects=grant_subjects(grant)))


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
