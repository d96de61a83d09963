"""The seed's REST paths for rooms, meetings, recordings, files, transcripts, analytics."""

from django.urls import path

import portal.converters  # noqa: F401 - registers <id:> and <recid:>
from meetings.api.views import files, meetings, recordings, reporting, rooms, speech, transcripts
from meetings.recordings_download import RecordingFileView

urlpatterns = [
    path("room/create", rooms.RoomCreateView.as_view(), name="api-room-create"),
    path("room/<id:room_id>/token", rooms.RoomTokenView.as_view(), name="api-room-token"),
    path("meetings/create", meetings.MeetingCreateView.as_view(), name="api-meeting-create"),
    path(
        "meetings/update/<id:meeting_id>", meetings.MeetingUpdateView.as_view(), name="api-meeting-update"
    ),
    path("meetings/<id:meeting_id>/end", meetings.MeetingEndView.as_view(), name="api-meeting-end"),
    path("meetings/list/<id:user_id>", meetings.MeetingListView.as_view(), name="api-meeting-list"),
    path("recording/start", recordings.RecordingStartView.as_view(), name="api-recording-start"),
    path("recording/stop", recordings.RecordingStopView.as_view(), name="api-recording-stop"),
    path("recordings/list", recordings.RecordingListView.as_view(), name="api-recording-list"),
    path("recordings/<recid:recording_id>/file", RecordingFileView.as_view(), name="recording-file"),
    path("room/<id:room_id>/upload", files.RoomFileUploadView.as_view(), name="api-room-file-upload"),
    path("room/<id:room_id>/files", files.RoomFilesDeleteView.as_view(), name="api-room-files"),
    path(
        "room/<id:room_id>/files/<str:filename>/download", files.RoomFileDownloadView.as_view(),
        name="api-room-file-download",
    ),
    path(
        "room/<id:room_id>/files/<path:filename>", files.RoomFileDetailView.as_view(), name="api-room-file"
    ),
    path("api/get-speech-token", speech.SpeechTokenView.as_view(), name="api-speech-token"),
    path("send-transcript", transcripts.TranscriptSendView.as_view(), name="api-transcript-send"),
    path(
        "view-transcript/<id:meeting_id>", transcripts.TranscriptView.as_view(), name="api-transcript-view"
    ),
    path(
        "transcription/generate-summary/<id:meeting_id>", transcripts.SummaryGenerateView.as_view(),
        name="api-summary-generate",
    ),
    path("meeting/<id:meeting_id>/summary", transcripts.SummaryView.as_view(), name="api-summary"),
    path("meetings/<id:meeting_id>/summary", transcripts.SummaryTaskView.as_view(), name="api-summary-task"),
    path(
        "reporting/total-sessions-for-user", reporting.TotalSessionsView.as_view(),
        name="api-reporting-total-sessions",
    ),
    path(
        "reporting/total-sessions-aggregation-for-user", reporting.SessionsAggregationView.as_view(),
        name="api-reporting-aggregation",
    ),
    path(
        "reporting/total-sessions-statistics-for-user", reporting.SessionsStatisticsView.as_view(),
        name="api-reporting-statistics",
    ),
    path(
        "reporting/total-sessions-by-location-for-user", reporting.SessionsByLocationView.as_view(),
        name="api-reporting-by-location",
    ),
    path(
        "reporting/total-sessions-and-participants-count-by-location-for-user",
        reporting.SessionsAndParticipantsByCityView.as_view(), name="api-reporting-by-city",
    ),
]
