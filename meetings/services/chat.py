"""Chat history and the meeting's transcript switch. The room socket stores chat messages
(always) and transcript lines (only for a meeting that has transcripts enabled — the one rule
the REST ``/send-transcript`` follows too, see ``meetings.services.content.transcript_line_add``)
in group commits: ``realtime.chatlog``. ``start-transcript`` turns a meeting's transcripts on
(``transcripts_enable``)."""

from meetings.models import ChatMessage, Meeting

CHAT_HISTORY_LIMIT = 50


def chat_recent(*, tenant_id: int, room_id: str, limit: int = CHAT_HISTORY_LIMIT) -> list[ChatMessage]:
    """The room's latest chat messages, oldest first (what a joiner is shown)."""
    latest = ChatMessage.objects.filter(tenant_id=tenant_id, room_id=room_id).order_by("-created_at", "-id")
    return list(reversed(latest[:limit]))


def transcripts_enable(*, tenant_id: int, meeting_id: str) -> bool:
    """Turn storage of transcript lines on for the meeting (the host's ``start-transcript``)."""
    return Meeting.objects.filter(tenant_id=tenant_id, pk=meeting_id).update(transcript_enabled=True) == 1
