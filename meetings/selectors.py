"""Reads that depend on who is asking. Missing and not-yours are the same 404."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.http import Http404

from meetings.models import Meeting, Recording, Room, RoomFile, TranscriptEntry


def user_is_tenant_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_staff and user.tenant_id is not None)


def room_get(*, tenant, room_id: str) -> Room:
    """Any room of the tenant (tokens and sockets decide what a caller may do in it)."""
    room = Room.objects.for_tenant(tenant).filter(pk=room_id).first()
    if room is None:
        raise Http404("Room not found.")
    return room


def room_get_for_user(*, user, room_id: str) -> Room:
    """A room the user may manage: its owner, or staff of its tenant."""
    qs = Room.objects.for_tenant(user.tenant)
    if not user_is_tenant_staff(user):
        qs = qs.filter(owner=user)
    room = qs.filter(pk=room_id).first()
    if room is None:
        raise Http404("Room not found.")
    return room


def meeting_get_for_user(*, user, meeting_id: str) -> Meeting:
    """A meeting the user hosts (or any of the tenant's, for tenant staff)."""
    qs = Meeting.objects.for_tenant(user.tenant).select_related("room", "host")
    if not user_is_tenant_staff(user):
        qs = qs.filter(host=user)
    meeting = qs.filter(pk=meeting_id).first()
    if meeting is None:
        raise Http404("Meeting not found.")
    return meeting


def meeting_get_by_invite(*, tenant, invite_code: str) -> Meeting:
    """The meeting an invite link opens (anyone holding the link); 404 if none, roomless or
    cancelled."""
    meeting = (
        Meeting.objects.for_tenant(tenant).select_related("room")
        .filter(invite_code=invite_code, room__isnull=False, cancelled_at__isnull=True).first()
    )
    if meeting is None:
        raise Http404("No meeting behind this link.")
    return meeting


def dashboard_meetings(*, user) -> dict:
    """The user's meetings split into upcoming (or running) and past: past means the meeting
    ended (everyone left, or a host ended it) or was cancelled — never a fixed delay."""
    qs = Meeting.objects.for_tenant(user.tenant).filter(host=user).select_related("room")
    past = Q(ended_at__isnull=False) | Q(cancelled_at__isnull=False)
    return {
        "upcoming": list(
            qs.exclude(past).order_by(F("scheduled_start").asc(nulls_last=True), "-created_at")[:50]
        ),
        "past": list(qs.filter(past).order_by(F("ended_at").desc(nulls_last=True), "-created_at")[:50]),
    }


# --- REST API reads ---------------------------------------------------------------------------


def room_get_for_member(*, user, room_id: str) -> Room:
    """A room the user may take part in: any public room of the tenant, or a private
    one the user manages (only managers can mint tokens for private rooms)."""
    qs = Room.objects.for_tenant(user.tenant)
    if not user_is_tenant_staff(user):
        qs = qs.filter(Q(is_private=False) | Q(owner=user))
    room = qs.filter(pk=room_id).first()
    if room is None:
        raise Http404("Room not found.")
    return room


def meeting_get_for_member(*, user, meeting_id: str) -> Meeting:
    """A meeting the user may take part in: one they host, or (for everyone of the
    tenant) one whose room is not private; tenant staff see all of the tenant's."""
    qs = Meeting.objects.for_tenant(user.tenant)
    if not user_is_tenant_staff(user):
        qs = qs.filter(Q(host=user) | Q(room__isnull=True) | Q(room__is_private=False))
    meeting = qs.filter(pk=meeting_id).first()
    if meeting is None:
        raise Http404("Meeting not found.")
    return meeting


def meetings_hosted_by(*, user, host_id: str):
    """The meetings ``host_id`` hosts, newest first, for the host themself or tenant staff.

    Raises ``PermissionDenied`` for anyone else and ``Http404`` when staff ask for a user
    the tenant does not have.
    """
    if host_id != user.pk:
        if not user_is_tenant_staff(user):
            raise PermissionDenied("You may only list your own meetings.")
        if not get_user_model().objects.for_tenant(user.tenant).filter(pk=host_id).exists():
            raise Http404("User not found.")
    return Meeting.objects.for_tenant(user.tenant).filter(host_id=host_id).order_by("-created_at", "id")


def recordings_for_user(*, user):
    """Recordings of the rooms the user manages (all of the tenant's for tenant staff)."""
    qs = Recording.objects.for_tenant(user.tenant)
    if not user_is_tenant_staff(user):
        qs = qs.filter(room__owner=user)
    return qs.order_by("-created_at", "id")


def recording_get_for_user(
    *, user, recording_id: str | None = None, stream_id: str | None = None
) -> Recording:
    """A recording of a room the user manages, by its ``recordingId`` or else by the
    ``streamId`` of the latest one still running."""
    qs = recordings_for_user(user=user).select_related("room")
    if recording_id:
        recording = qs.filter(recording_id=recording_id).first()
    elif stream_id:
        recording = qs.filter(stream_id=stream_id, stopped=False).first()
    else:
        recording = None
    if recording is None:
        raise Http404("Recording not found.")
    return recording


def room_file_get(*, user, room: Room, filename: str) -> RoomFile:
    room_file = RoomFile.objects.for_tenant(user.tenant).filter(room=room, filename=filename).first()
    if room_file is None:
        raise Http404("File not found.")
    return room_file


def room_files_for_member(*, user, room: Room):
    """The files of a room the user may take part in (``room_get_for_member``)."""
    qs = RoomFile.objects.for_tenant(user.tenant).filter(room=room).select_related("uploaded_by")
    return qs.order_by("-upload_date", "-id")


def transcript_for_meeting(*, user, meeting: Meeting):
    qs = TranscriptEntry.objects.for_tenant(user.tenant).filter(meeting=meeting)
    return qs.order_by("created_at", "id")


# --- the meeting page (the meeting's record) ---------------------------------------------------------

RECORD_LIMIT = 2000  # chat messages or transcript lines shown on the page


def meeting_record(*, meeting: Meeting) -> dict:
    """What the meeting page shows after (and during) a meeting: its sessions with who came,
    the chat log, the transcript, the summary, the recordings and the files. Every read is of
    the meeting's own tenant and room."""
    from django.db.models import Prefetch

    from meetings.models import AnalyticsSession, ChatMessage, MeetingSummary, SessionParticipant

    tenant_id, room = meeting.tenant_id, meeting.room
    sessions, chat, recordings, files = [], [], [], []
    if room is not None:
        participants = SessionParticipant.objects.filter(tenant_id=tenant_id).order_by("joined_at", "id")
        sessions = list(
            AnalyticsSession.objects.filter(tenant_id=tenant_id, room=room).order_by("started_at")
            .prefetch_related(Prefetch("participants", queryset=participants))[:50]
        )
        chat = list(ChatMessage.objects.filter(tenant_id=tenant_id, room=room).order_by("created_at", "id")
                    [:RECORD_LIMIT])
        recordings = list(Recording.objects.filter(tenant_id=tenant_id, room=room).order_by("created_at"))
        files = list(RoomFile.objects.filter(tenant_id=tenant_id, room=room).order_by("upload_date", "id"))
    transcript = list(TranscriptEntry.objects.filter(tenant_id=tenant_id, meeting=meeting)
                      .order_by("created_at", "id")[:RECORD_LIMIT])
    summary = MeetingSummary.objects.filter(tenant_id=tenant_id, meeting=meeting).first()
    return {
        "sessions": sessions, "chat": chat, "transcript": transcript, "summary": summary,
        "recordings": recordings, "files": files,
        "attendees": _attendees(sessions),
    }


def _attendees(sessions) -> list[dict]:
    """Everyone who came, once per name, with their role and when they first joined."""
    people: dict[str, dict] = {}
    for session in sessions:
        for p in session.participants.all():
            key = (p.name or "Guest").strip().lower()
            if key not in people:
                people[key] = {"name": p.name or "Guest", "role": p.role, "joined_at": p.joined_at,
                               "left_at": p.left_at}
            else:
                before = people[key]["left_at"]
                people[key]["left_at"] = None if None in (before, p.left_at) else max(before, p.left_at)
    return list(people.values())
