"""POST /recording/start, POST /recording/stop, GET /recordings/list."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response

from meetings.api import serializers as s
from meetings.api.views.base import MeetAPIView, errors
from meetings.selectors import recording_get_for_user, recordings_for_user, room_get_for_user
from meetings.services.recordings import RecordingConflict, recording_start, recording_stop
from portal.api import Conflict


class RecordingStartView(MeetAPIView):
    plan_feature = "recording"

    @extend_schema(
        operation_id="recording_start",
        summary="Start recording",
        description="Only the room's owner (or tenant staff). 409 when the `recordingId` is taken or "
        "the room is already recording.",
        tags=["recordings"],
        request=s.RecordingStartSerializer,
        responses={201: s.RecordingStartResponseSerializer, **errors(400, 404, 409, plan=True)},
        examples=[
            OpenApiExample(
                "Seed example", request_only=True,
                value={
                    "roomId": "68affe24fabc0702c5d30c29", "userName": "Haseeb Asif",
                    "streamId": 755961800257348400, "recordingId": "1756364334628_738386",
                    "startTime": 1756364334634, "videoType": "video", "status": "pending",
                },
            )
        ],
    )
    def post(self, request):
        v = self.validated(s.RecordingStartSerializer)
        room = room_get_for_user(user=request.user, room_id=v["roomId"])
        host_name = (v.get("userName") or request.user.full_name)[:150]
        try:
            recording = recording_start(
                room=room, started_by=request.user, recording_id=v["recordingId"], host_name=host_name,
                stream_id=v.get("streamId", ""),
                video_type=v.get("videoType", ""), start_time=v.get("startTime"),
            )
        except RecordingConflict as exc:
            raise Conflict(str(exc)) from None
        return Response(
            {"success": True, "msg": "Recording started.", "data": s.RecordingRowSerializer(recording).data},
            status=status.HTTP_201_CREATED,
        )


class RecordingStopView(MeetAPIView):
    plan_feature = "recording"

    @extend_schema(
        operation_id="recording_stop",
        summary="Stop recording",
        description="Finds the recording by `recordingId`, or else the running one with `streamId`. "
        "`endTime` may also be spelt ` endTime` (with the seed's leading space). Stopping a stopped "
        "recording is a no-op.",
        tags=["recordings"],
        request=s.RecordingStopSerializer,
        responses={204: None, **errors(400, 404)},
    )
    def post(self, request):
        v = self.validated(s.RecordingStopSerializer)
        recording = recording_get_for_user(
            user=request.user, recording_id=v.get("recordingId"), stream_id=v.get("streamId")
        )
        recording_stop(recording=recording, end_time=v.get("endTime"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RecordingListView(MeetAPIView):
    plan_feature = "recording"

    @extend_schema(
        operation_id="recording_list",
        summary="List recordings",
        description="Recordings of the rooms you own (all of the tenant's for tenant staff), newest first.",
        tags=["recordings"],
        responses={200: s.RecordingRowSerializer(many=True), **errors()},
    )
    def get(self, request):
        rows = recordings_for_user(user=request.user)
        return Response(s.RecordingRowSerializer(rows, many=True, context={"request": request}).data)
