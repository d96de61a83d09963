"""Meeting-domain models, split by sub-domain; every row is tenant-owned."""

from meetings.models.analytics import AnalyticsSession, SessionParticipant
from meetings.models.content import ChatMessage, MeetingSummary, RoomFile, TranscriptEntry
from meetings.models.recordings import Recording, RecordingTrack
from meetings.models.rooms import Meeting, Room, RoomBan, RoomTokenRevocation

__all__ = [
    "AnalyticsSession",
    "ChatMessage",
    "Meeting",
    "MeetingSummary",
    "Recording",
    "RecordingTrack",
    "Room",
    "RoomBan",
    "RoomFile",
    "RoomTokenRevocation",
    "SessionParticipant",
    "TranscriptEntry",
]
