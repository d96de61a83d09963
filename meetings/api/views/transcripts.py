"""Transcripts and summaries: POST /send-transcript, GET /view-transcript/<meetingId>,
POST /transcription/generate-summary/<meetingId>, GET /meeting/<meetingId>/summary.

All four are Professional features. After a downgrade, what was stored stays readable: the
two GETs answer with existing transcripts and summaries on any plan, and ``plan_required``
only where there is nothing stored (docs/plans.md)."""

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from meetings.api import serializers as s
from meetings.api.views.base import MeetAPIView, errors, path_id
from meetings.models import MeetingSummary
from meetings.selectors import meeting_get_for_member, transcript_for_meeting, user_is_tenant_staff
from meetings.services.content import (
    EmptyTranscript,
    TranscriptsOff,
    summary_generate,
    summary_request,
    transcript_line_add,
)
from portal.api import Conflict
from portal.plans.catalogue import plan_require


class TranscriptSendView(MeetAPIView):
    plan_feature = "transcripts"

    @extend_schema(
        operation_id="transcript_send",
        summary="Send transcript",
        tags=["transcripts"],
        description="Stored only while the meeting keeps a transcript (`transcriptEnabled`, or its "
        "host sent `start-transcript` in the room) — the rule the room socket's `transcript` follows; "
        "409 otherwise.",
        request=s.TranscriptCreateSerializer,
        responses={201: s.TranscriptCreateResponseSerializer, **errors(400, 404, 409, plan=True)},
        examples=[
            OpenApiExample(
                "Seed example", request_only=True,
                value={
                    "meetingId": "68cd413466eab302c9f078cd", "userName": "Haseeb Stats", "message": "Hello.",
                },
            )
        ],
    )
    def post(self, request):
        v = self.validated(s.TranscriptCreateSerializer)
        meeting = meeting_get_for_member(user=request.user, meeting_id=v["meetingId"])
        try:
            entry = transcript_line_add(meeting=meeting, user_name=v["userName"], message=v["message"])
        except TranscriptsOff as exc:
            raise Conflict(str(exc)) from None
        return Response(
            {"success": True, "data": s.TranscriptEntrySerializer(entry).data}, status=status.HTTP_201_CREATED
        )


class TranscriptView(MeetAPIView):
    plan_feature = "transcripts"
    plan_reads_existing = True

    @extend_schema(
        operation_id="transcript_view",
        summary="View transcript",
        description="The meeting's transcript in the order it was spoken.",
        tags=["transcripts"],
        responses={200: s.TranscriptListSerializer, **errors(404, plan=True)},
    )
    def get(self, request, meeting_id: str):
        meeting = meeting_get_for_member(user=request.user, meeting_id=path_id(meeting_id))
        entries = list(transcript_for_meeting(user=request.user, meeting=meeting))
        plan_require(request.tenant, self.plan_feature, existing=bool(entries))
        return Response({"data": s.TranscriptEntrySerializer(entries, many=True).data})


class SummaryGenerateView(MeetAPIView):
    plan_feature = "summaries"

    @extend_schema(
        operation_id="summary_generate",
        summary="Generate transcript summary",
        description="Summarises the transcript now (the local summariser, or the configured "
        "OpenAI-compatible endpoint) and marks the meeting `summaryGenerated`. Only the meeting's host "
        "(or tenant staff); 404 when the meeting has no transcript yet.",
        tags=["transcripts"],
        request=None,
        responses={200: s.MsgSerializer, **errors(403, 404, plan=True)},
    )
    def post(self, request, meeting_id: str):
        meeting = meeting_get_for_member(user=request.user, meeting_id=path_id(meeting_id))
        if meeting.host_id != request.user.pk and not user_is_tenant_staff(request.user):
            raise PermissionDenied("Only the meeting's host may generate its summary.")
        try:
            summary_generate(meeting=meeting)
        except EmptyTranscript as exc:
            raise Http404(str(exc)) from None
        return Response({"msg": "Summary Generated Successfully."})


class SummaryView(MeetAPIView):
    plan_feature = "summaries"
    plan_reads_existing = True

    @extend_schema(
        operation_id="summary_get",
        summary="Get transcript summary",
        tags=["transcripts"],
        responses={200: s.SummarySerializer, **errors(404, plan=True)},
    )
    def get(self, request, meeting_id: str):
        meeting = meeting_get_for_member(user=request.user, meeting_id=path_id(meeting_id))
        summary = MeetingSummary.objects.for_tenant(request.user.tenant).filter(meeting=meeting).first()
        plan_require(request.tenant, self.plan_feature, existing=summary is not None)
        if summary is None:
            raise Http404("No summary has been generated for this meeting.")
        return Response({"summary": summary.text})


class SummaryTaskView(MeetAPIView):
    """The meeting page's summary: its state (GET) and "Generate summary" (POST), which queues
    the summariser on the task queue instead of making the browser wait (docs/meetings.md)."""

    plan_feature = "summaries"
    plan_reads_existing = True

    @staticmethod
    def body(meeting) -> dict:
        summary = MeetingSummary.objects.filter(tenant_id=meeting.tenant_id, meeting=meeting).first()
        return {
            "status": meeting.summary_status or ("done" if summary else "none"),
            "error": meeting.summary_error or None,
            "summary": summary.text if summary else None,
            "source": summary.source if summary else None,
            "updatedAt": summary.updated_at if summary else None,
        }

    def meeting(self, request, meeting_id: str):
        meeting = meeting_get_for_member(user=request.user, meeting_id=path_id(meeting_id))
        if meeting.host_id != request.user.pk and not user_is_tenant_staff(request.user):
            raise Http404("Meeting not found.")
        return meeting

    @extend_schema(
        operation_id="summary_task_get", summary="Summary and the state of its generation",
        description="`status`: none, queued, running, done or failed (`error` says why). For the "
        "meeting's host or tenant staff.",
        tags=["transcripts"], responses={200: s.SummaryTaskSerializer, **errors(404, plan=True)},
    )
    def get(self, request, meeting_id: str):
        meeting = self.meeting(request, meeting_id)
        body = self.body(meeting)
        plan_require(request.tenant, self.plan_feature, existing=body["summary"] is not None)
        return Response(body)

    @extend_schema(
        operation_id="summary_task_start", summary="Generate the summary in the background",
        description="Queues the summariser (202); poll GET for the result. 404 without a transcript.",
        tags=["transcripts"], request=None,
        responses={202: s.SummaryTaskSerializer, **errors(404, plan=True)},
    )
    def post(self, request, meeting_id: str):
        meeting = self.meeting(request, meeting_id)
        try:
            summary_request(meeting=meeting)
        except EmptyTranscript as exc:
            raise Http404(str(exc)) from None
        meeting.refresh_from_db()
        return Response(self.body(meeting), status=status.HTTP_202_ACCEPTED)
