"""What the room socket persists: chat messages (always) and transcript lines (only
for a meeting that has transcripts enabled — the one rule the REST ``/send-transcript``
follows too, see ``meetings.services.content.transcript_line_add``). ``start-transcript``
turns a meeting's transcripts on (``transcripts_enable``)."""

from django.db import transaction

from meetings.models import ChatMessage, Meeting, TranscriptEntry

CHAT_HISTORY_LIMIT = 50


@transaction.atomic
def chat_message_record(
    *, tenant_id: int, room_id: str, meeting_id: str | None, participant_id: str, username: str, msg: str,
) -> ChatMessage:
    meeting = (
        Meeting.objects.filter(tenant_id=tenant_id, pk=meeting_id).values_list("pk", flat=True).first()
        if meeting_id else None
    )
    return ChatMessage.objects.create(
        tenant_id=tenant_id, room_id=room_id, meeting_id=meeting, participant_id=participant_id,
        username=username, msg=msg,
    )


def chat_recent(*, tenant_id: int, room_id: str, limit: int = CHAT_HISTORY_LIMIT) -> list[ChatMessage]:
    """The room's latest chat messages, oldest first (what a joiner is shown)."""
    latest = ChatMessage.objects.filter(tenant_id=tenant_id, room_id=room_id).order_by("-created_at", "-id")
    return list(reversed(latest[:limit]))


def transcripts_enable(*, tenant_id: int, meeting_id: str) -> bool:
    """Turn storage of transcript lines on for the meeting (the host's ``start-transcript``)."""
    return Meeting.objects.filter(tenant_id=tenant_id, pk=meeting_id).update(transcript_enabled=True) == 1


@transaction.atomic
def transcript_line_record(
    *, tenant_id: int, meeting_id: str | None, user_name: str, message: str,
) -> TranscriptEntry | None:
    """Store a transcript line when the meeting exists in the tenant and has transcripts on."""
    if not meeting_id:
        return None
    meeting = Meeting.objects.filter(tenant_id=tenant_id, pk=meeting_id, transcript_enabled=True).first()
    if meeting is None:
        return None
    return TranscriptEntry.objects.create(
        tenant_id=tenant_id, meeting=meeting, user_name=user_name, message=message
    )
