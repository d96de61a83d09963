"""POST /meetings/create, POST /meetings/update/<meetingId>, GET /meetings/list/<userId>."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response

from meetings.api import serializers as s
from meetings.api.views.base import MeetAPIView, errors, path_id
from meetings.selectors import (
    meeting_get_for_user,
    meetings_hosted_by,
    room_get_for_user,
    user_is_tenant_staff,
)
from meetings.services.lifecycle import meeting_close
from meetings.services.rooms import meeting_create, meeting_update
from realtime.announce import end_room


def _host_for(actor, host_id: str):
    """The meeting's host: the caller, or (for tenant staff) any user of the tenant."""
    if host_id == actor.pk:
        return actor
    if not user_is_tenant_staff(actor):
        raise PermissionDenied("hostId must be your own user id.")
    host = get_user_model().objects.for_tenant(actor.tenant).filter(pk=host_id).first()
    if host is None:
        raise Http404("User not found.")
    return host


class MeetingCreateView(MeetAPIView):
    plan_feature = "meetings"

    @extend_schema(
        operation_id="meeting_create",
        summary="Create meeting",
        tags=["meetings"],
        request=s.MeetingCreateSerializer,
        responses={201: s.MeetingCreateResponseSerializer, **errors(400, 403, 404, plan=True)},
        examples=[
            OpenApiExample(
                "Seed example", request_only=True,
                value={
                    "title": "My Meeting", "hostId": "67da6b256a7ab89c58666496", "transcriptEnabled": False,
                },
            )
        ],
    )
    def post(self, request):
        v = self.validated(s.MeetingCreateSerializer)
        host = _host_for(request.user, v["hostId"])
        room = room_get_for_user(user=request.user, room_id=v["roomId"]) if v.get("roomId") else None
        meeting = meeting_create(
            host=host, title=v["title"], transcript_enabled=v["transcriptEnabled"], room=room,
            scheduled_start=v.get("scheduledStart"), duration_minutes=v.get("duration"),
        )
        return Response({"meetingId": meeting.pk}, status=status.HTTP_201_CREATED)


class MeetingUpdateView(MeetAPIView):
    plan_feature = "meetings"

    @extend_schema(
        operation_id="meeting_update",
        summary="Update meeting",
        description="Only the meeting's host (or tenant staff). A `recordingId` is appended to the "
        "meeting's `recordingIds`.",
        tags=["meetings"],
        request=s.MeetingUpdateSerializer,
        responses={204: None, **errors(400, 403, 404, plan=True)},
    )
    def post(self, request, meeting_id: str):
        meeting = meeting_get_for_user(user=request.user, meeting_id=path_id(meeting_id))
        v = self.validated(s.MeetingUpdateSerializer)
        if v.get("userId") not in (None, request.user.pk) and not user_is_tenant_staff(request.user):
            raise PermissionDenied("userId must be your own user id.")
        room = room_get_for_user(user=request.user, room_id=v["roomId"]) if v.get("roomId") else None
        meeting_update(
            meeting=meeting, title=v.get("title"), transcript_enabled=v.get("transcriptEnabled"),
            summary_generated=v.get("summaryGenerated"), room=room, recording_id=v.get("recordingId"),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeetingEndView(MeetAPIView):
    plan_feature = "meetings"

    @extend_schema(
        operation_id="meeting_end",
        summary="End meeting for everyone",
        description="Only the meeting's host (or tenant staff). Marks the meeting ended; everyone in "
        "its room gets `meeting-ended` and their sockets close (4410); the invite link and new joins "
        "are refused from then on. Ending an ended meeting is a no-op (`ended: false`). Parley's addition.",
        tags=["meetings"],
        request=None,
        responses={200: s.MeetingEndSerializer, **errors(403, 404, plan=True)},
    )
    def post(self, request, meeting_id: str):
        meeting = meeting_get_for_user(user=request.user, meeting_id=path_id(meeting_id))
        ended = meeting_close(meeting=meeting)
        if ended and meeting.room_id:
            end_room(tenant_id=meeting.tenant_id, room_id=meeting.room_id, meeting_id=meeting.pk,
                     by=(request.user.full_name or request.user.email))
        return Response({"meetingId": meeting.pk, "ended": ended,
                         "endedAt": int(meeting.closed_at.timestamp() * 1000)})


class MeetingListView(MeetAPIView):
    plan_feature = "meetings"

    @extend_schema(
        operation_id="meeting_list",
        summary="List a user's meetings",
        description="The meetings `userId` hosts, newest first: your own, or any user's of your "
        "tenant for tenant staff.",
        tags=["meetings"],
        responses={200: s.MeetingListSerializer, **errors(403, 404)},
    )
    def get(self, request, user_id: str):
        meetings = meetings_hosted_by(user=request.user, host_id=path_id(user_id))
        return Response({"data": s.MeetingSerializer(meetings, many=True).data})
