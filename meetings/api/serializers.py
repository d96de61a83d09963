"""Wire shapes of the Meet API: the seed's request fields and response bodies, exactly.

Requests are validated here (types, lengths, ranges), so nothing a client sends can
reach the database in a shape it would refuse. Responses use the seed's field names
and JavaScript-style datetimes (``2025-10-13T10:15:30.000Z``).
"""

from rest_framework import serializers

from meetings.api.fields import (
    EpochOrISODateTimeField,
    FilterDateTimeField,
    JSDateTimeField,
    StringOrNumberField,
)
from meetings.models import Meeting, Recording, Room, RoomFile, TranscriptEntry
from meetings.recordings_download import delivery_fields
from meetings.tokens import ROLES

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
MAX_PARTICIPANTS = 100_000


class ObjectIdField(serializers.RegexField):
    """The id of a Parley object (24 hex characters, though any safe token is accepted)."""

    def __init__(self, **kwargs):
        super().__init__(ID_PATTERN, max_length=64, **kwargs)


# --- shared envelopes ------------------------------------------------------------------------


class MsgSerializer(serializers.Serializer):
    success = serializers.BooleanField(required=False)
    msg = serializers.CharField()


# --- rooms -------------------------------------------------------------------------------------


class RoomCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    type = serializers.ChoiceField(choices=Room.Type.choices)
    p2p = serializers.BooleanField(default=True)
    maxParticipants = serializers.IntegerField(
        min_value=1, max_value=MAX_PARTICIPANTS, required=False, allow_null=True
    )
    isPrivate = serializers.BooleanField(default=False)


class RoomSerializer(serializers.ModelSerializer):
    maxParticipants = serializers.IntegerField(source="max_participants", allow_null=True)
    isPrivate = serializers.BooleanField(source="is_private")

    class Meta:
        model = Room
        fields = ["id", "name", "type", "p2p", "maxParticipants", "isPrivate"]


class RoomCreateResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = RoomSerializer()
    msg = serializers.CharField()


class RoomTokenRequestSerializer(serializers.Serializer):
    userName = serializers.CharField(max_length=150, required=False, help_text="Defaults to your name.")
    role = serializers.ChoiceField(choices=ROLES)


# --- meetings ------------------------------------------------------------------------------------


class MeetingCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    hostId = ObjectIdField()
    transcriptEnabled = serializers.BooleanField()
    roomId = ObjectIdField(required=False, allow_null=True)
    scheduledStart = EpochOrISODateTimeField(required=False, allow_null=True)
    duration = serializers.IntegerField(
        min_value=1, max_value=7 * 24 * 60, required=False, allow_null=True, help_text="Minutes."
    )


class MeetingCreateResponseSerializer(serializers.Serializer):
    meetingId = serializers.CharField()


class MeetingUpdateSerializer(serializers.Serializer):
    userId = ObjectIdField(required=False, help_text="Must be the caller's own id when given.")
    roomId = ObjectIdField(required=False)
    recordingId = serializers.CharField(max_length=100, required=False)
    title = serializers.CharField(max_length=200, required=False)
    summaryGenerated = serializers.BooleanField(required=False)
    transcriptEnabled = serializers.BooleanField(required=False)


class MeetingSerializer(serializers.ModelSerializer):
    _id = serializers.CharField(source="id")
    hostId = serializers.CharField(source="host_id")
    transcriptEnabled = serializers.BooleanField(source="transcript_enabled")
    summaryGenerated = serializers.BooleanField(source="summary_generated")
    recordingIds = serializers.ListField(source="recording_ids", child=serializers.CharField())
    createdAt = JSDateTimeField(source="created_at")
    roomId = serializers.CharField(source="room_id", allow_null=True)
    scheduledStart = JSDateTimeField(source="scheduled_start", allow_null=True)
    duration = serializers.IntegerField(source="duration_minutes", allow_null=True)

    class Meta:
        model = Meeting
        fields = [
            "_id", "title", "hostId", "transcriptEnabled", "summaryGenerated", "recordingIds",
            "createdAt", "roomId", "scheduledStart", "duration",
        ]


class MeetingListSerializer(serializers.Serializer):
    data = MeetingSerializer(many=True)


# --- recordings ----------------------------------------------------------------------------------


class RecordingStartSerializer(serializers.Serializer):
    roomId = ObjectIdField()
    recordingId = serializers.RegexField(r"^[A-Za-z0-9_.:-]{1,100}$", max_length=100)
    userName = serializers.CharField(max_length=150, required=False, help_text="Defaults to your name.")
    streamId = StringOrNumberField(max_length=100, required=False)
    startTime = EpochOrISODateTimeField(required=False, help_text="Defaults to now.")
    videoType = serializers.CharField(max_length=32, required=False, allow_blank=True)
    status = serializers.CharField(
        max_length=32, required=False, allow_blank=True,
        help_text="Accepted for compatibility; the lifecycle is the server's.",
    )


class RecordingStopSerializer(serializers.Serializer):
    recordingId = serializers.CharField(max_length=100, required=False)
    streamId = StringOrNumberField(max_length=100, required=False)
    endTime = EpochOrISODateTimeField(required=False, help_text="Defaults to now.")

    def to_internal_value(self, data):
        # The seed's example sends " endTime" (with a leading space): accept both spellings.
        if isinstance(data, dict) and " endTime" in data and "endTime" not in data:
            data = {**data, "endTime": data[" endTime"]}
        return super().to_internal_value(data)

    def validate(self, attrs):
        if not attrs.get("recordingId") and not attrs.get("streamId"):
            raise serializers.ValidationError({"recordingId": ["recordingId or streamId is required."]})
        return attrs


class RecordingRowSerializer(serializers.ModelSerializer):
    """One row of ``GET /recordings/list``; the recording pipeline adds its fields here."""

    _id = serializers.CharField(source="id")
    roomId = serializers.CharField(source="room_id")
    recordingId = serializers.CharField(source="recording_id")
    hostName = serializers.CharField(source="host_name")
    status = serializers.BooleanField(source="stopped", help_text="True once the recording is stopped.")
    createdAt = JSDateTimeField(source="created_at")
    updatedAt = JSDateTimeField(source="updated_at")
    url = serializers.SerializerMethodField(help_text="Download/stream link once ready (short-lived).")
    duration = serializers.FloatField(read_only=True, allow_null=True, help_text="Seconds.")
    size = serializers.IntegerField(read_only=True, allow_null=True, help_text="Bytes.")
    processing = serializers.ChoiceField(choices=Recording.Processing.choices, read_only=True)
    error = serializers.SerializerMethodField()
    partial = serializers.BooleanField(
        read_only=True, help_text="True when the file holds less than was recorded (see partialReason).",
    )
    partialReason = serializers.CharField(
        source="partial_reason", read_only=True,
        help_text="What is missing: skipped or truncated tracks, or an abandoned recording.",
    )

    class Meta:
        model = Recording
        fields = [
            "_id", "roomId", "recordingId", "hostName", "status", "createdAt", "updatedAt",
            "url", "duration", "size", "processing", "error", "partial", "partialReason",
        ]

    def get_url(self, obj) -> str | None:
        return delivery_fields(obj, self.context.get("request"))["url"]

    def get_error(self, obj) -> str | None:
        return delivery_fields(obj)["error"]


class RecordingStartResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    msg = serializers.CharField()
    data = RecordingRowSerializer()


# --- files ---------------------------------------------------------------------------------------


class FileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text="multipart/form-data part named `file`.")


class _UploaderFields(serializers.ModelSerializer):
    uploadedBy = serializers.CharField(
        source="uploaded_by_id", allow_null=True, read_only=True,
        help_text="Id of the user who uploaded the file (null once that account is gone).",
    )
    uploadedByName = serializers.SerializerMethodField(help_text="Their name, as shown in the room.")

    def get_uploadedByName(self, obj) -> str | None:
        user = obj.uploaded_by
        return (user.get_full_name() or user.email) if user is not None else None


class UploadedFileSerializer(_UploaderFields):
    originalName = serializers.CharField(source="original_name")
    roomId = serializers.CharField(source="room_id")

    class Meta:
        model = RoomFile
        fields = ["originalName", "filename", "size", "roomId", "path", "uploadedBy", "uploadedByName"]


class FileDetailSerializer(_UploaderFields):
    originalName = serializers.CharField(source="original_name")
    uploadDate = JSDateTimeField(source="upload_date")

    class Meta:
        model = RoomFile
        fields = ["filename", "originalName", "size", "uploadDate", "path", "uploadedBy", "uploadedByName"]


class FileListResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = FileDetailSerializer(many=True)


class FileUploadResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = UploadedFileSerializer()
    msg = serializers.CharField()


class FileDetailResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = FileDetailSerializer()
    msg = serializers.CharField()


# --- transcripts, summaries, speech ---------------------------------------------------------------


class SpeechTokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    region = serializers.CharField()


class TranscriptCreateSerializer(serializers.Serializer):
    meetingId = ObjectIdField()
    userName = serializers.CharField(max_length=150)
    message = serializers.CharField(max_length=10_000, trim_whitespace=True)


class TranscriptEntrySerializer(serializers.ModelSerializer):
    _id = serializers.CharField(source="id")
    meetingId = serializers.CharField(source="meeting_id")
    userName = serializers.CharField(source="user_name")
    createdAt = JSDateTimeField(source="created_at")

    class Meta:
        model = TranscriptEntry
        fields = ["_id", "meetingId", "userName", "message", "createdAt"]


class TranscriptCreateResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = TranscriptEntrySerializer()


class TranscriptListSerializer(serializers.Serializer):
    data = TranscriptEntrySerializer(many=True)


class SummarySerializer(serializers.Serializer):
    summary = serializers.CharField()


class SummaryTaskSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["none", "queued", "running", "done", "failed"])
    error = serializers.CharField(allow_null=True)
    summary = serializers.CharField(allow_null=True)
    source = serializers.CharField(allow_null=True, help_text='"local" or "llm".')
    updatedAt = serializers.DateTimeField(allow_null=True)


# --- reporting -------------------------------------------------------------------------------------


class ReportingFilterSerializer(serializers.Serializer):
    """The seed's reporting filters; an empty value (``sessionType=``) means no filter."""

    domain = serializers.RegexField(
        r"^[A-Za-z0-9.:\[\]-]*$", max_length=253, required=False, allow_blank=True
    )
    sessionType = serializers.RegexField(r"^[A-Za-z0-9_-]*$", max_length=32, required=False, allow_blank=True)
    countryCode = serializers.RegexField(
        r"^([A-Za-z]{2}|Unknown)?$", max_length=8, required=False, allow_blank=True
    )
    countryName = serializers.CharField(max_length=100, required=False, allow_blank=True)
    cityName = serializers.CharField(max_length=100, required=False, allow_blank=True)
    startDateRange = FilterDateTimeField(required=False)
    endDateRange = FilterDateTimeField(required=False)
    userID = serializers.RegexField(r"^[A-Za-z0-9_-]*$", max_length=64, required=False, allow_blank=True)

    def validate(self, attrs):
        start, end = attrs.get("startDateRange"), attrs.get("endDateRange")
        if start and end and start > end:
            raise serializers.ValidationError({"endDateRange": ["Must not be before startDateRange."]})
        return attrs


class CountResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = serializers.IntegerField()


class DomainCountSerializer(serializers.Serializer):
    domain = serializers.CharField()
    count = serializers.IntegerField()


class DayDomainCountsSerializer(serializers.Serializer):
    domainCounts = DomainCountSerializer(many=True)
    date = JSDateTimeField(help_text="The day (UTC midnight).")


class AggregationResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = DayDomainCountsSerializer(many=True)


class TypeCountSerializer(serializers.Serializer):
    sessionType = serializers.CharField()
    totalSessions = serializers.IntegerField()


class StatisticsSerializer(serializers.Serializer):
    totalSessions = serializers.IntegerField()
    totalSessionsByType = TypeCountSerializer(many=True)


class StatisticsResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = StatisticsSerializer()


class LocationKeySerializer(serializers.Serializer):
    city = serializers.CharField()
    region = serializers.CharField()
    country = serializers.CharField()
    country_name = serializers.CharField()


class LocationCountSerializer(serializers.Serializer):
    _id = LocationKeySerializer()
    count = serializers.IntegerField()


class LocationResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = LocationCountSerializer(many=True)


class CityTotalsSerializer(serializers.Serializer):
    _id = serializers.CharField(help_text="City name.")
    totalSessions = serializers.IntegerField()
    totalParticipants = serializers.IntegerField()


class CityTotalsResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = CityTotalsSerializer(many=True)


class MeetingEndSerializer(serializers.Serializer):
    meetingId = serializers.CharField()
    ended = serializers.BooleanField(help_text="False when the meeting had already ended.")
    endedAt = serializers.IntegerField(help_text="Milliseconds since the epoch.")
