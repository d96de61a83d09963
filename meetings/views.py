"""Browser pages of the meetings app: schedule a meeting, its invite page, guest join and
the meeting room (a page built on the JavaScript SDK in ``static/parley/sdk.js``).

A room page carries a *room* token minted here, server-side, for one room, one role and
one display name; a login JWT never reaches a page.
"""

import re
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from meetings.forms import GuestJoinForm, InviteForm, MeetingEditForm, MeetingScheduleForm
from meetings.models import Meeting, RoomFile
from meetings.recordings_download import recording_file_url
from meetings.selectors import (
    meeting_get_by_invite,
    meeting_get_for_user,
    meeting_record,
    user_is_tenant_staff,
)
from meetings.services.invitations import invitations_send, meeting_ics, parse_invitees
from meetings.services.rooms import (
    MeetingClosed,
    guest_token_issue,
    meeting_cancel,
    meeting_reschedule,
    meeting_schedule,
    room_is_banned,
    room_token_issue,
)
from meetings.speech.engines import engine_name
from portal.plans.catalogue import PlanRequired, plan_allows, plan_summary
from portal.plans.web import plan_feature
from realtime.media.ice import ice_servers


def _no_tenant_page(request):
    """A platform superuser belongs to no site, and meetings belong to a site."""
    return render(request, "meetings/no_tenant.html", status=403)

GUEST_TOKEN_SESSION_KEY = "parley.guest-room-tokens"
GUEST_ID_SESSION_KEY = "parley.guest-id"

CLOSED_TEXT = {
    "ended": ("This meeting has ended", "The host ended this meeting for everyone."),
    "banned": ("You can't rejoin this meeting", "The host removed you from this meeting."),
}


def _guest_identity(request) -> str:
    """Who is following an invite link: the signed-in user, or a guest id kept in the session."""
    if request.user.is_authenticated:
        return f"u:{request.user.pk}"
    guest = request.session.get(GUEST_ID_SESSION_KEY)
    if not guest:
        guest = request.session[GUEST_ID_SESSION_KEY] = secrets.token_hex(12)
    return f"g:{guest}"


def _closed(request, meeting: Meeting, reason: str):
    title, text = CLOSED_TEXT[reason]
    return render(request, "meetings/closed.html", {"meeting": meeting, "title": title, "text": text},
                  status=403 if reason == "banned" else 410)


PREVIEW_MAX_BYTES = 10 * 1024 * 1024


@plan_feature("meetings")
@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request):
    if request.user.tenant_id is None:
        return _no_tenant_page(request)
    form = MeetingScheduleForm(request.POST or None)
    if form.is_bound:
        form.fields["scheduled_start"].widget.attrs.pop("data-utc", None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = meeting_schedule(
                host=request.user, title=data["title"], scheduled_start=data["scheduled_start"],
                duration_minutes=data["duration_minutes"], transcript_enabled=data["transcript_enabled"],
                is_private=data["is_private"], room_type=data["room_type"],
            )
        except PlanRequired as exc:
            form.add_error("transcript_enabled", exc.detail)
        else:
            return redirect("meeting-detail", meeting_id=meeting.pk)
    return render(request, "meetings/new.html", {"form": form})


@plan_feature("meetings")
@never_cache
@login_required
def meeting_detail(request, meeting_id: str):
    """The meeting's page: before it, the invite; after it, its record (docs/meetings.md)."""
    meeting = meeting_get_for_user(user=request.user, meeting_id=meeting_id)
    record = meeting_record(meeting=meeting)
    for recording in record["recordings"]:
        recording.play_url = recording_file_url(recording, request)
    for room_file in record["files"]:
        room_file.is_image = room_file.original_name.lower().endswith(IMAGE_NAMES)
    tenant = request.tenant
    context = {
        "meeting": meeting, "invite_url": _invite_url(request, meeting), **record,
        "invite_form": InviteForm(), "is_host": meeting.host_id == request.user.pk,
        "may_summarise": plan_allows(tenant, "summaries") and bool(record["transcript"]),
        "show_transcript": plan_allows(tenant, "transcripts") or bool(record["transcript"]),
        "show_summary": plan_allows(tenant, "summaries") or record["summary"] is not None,
    }
    return render(request, "meetings/detail.html", context)


def _invite_url(request, meeting: Meeting) -> str:
    return request.build_absolute_uri(reverse("meeting-join", args=[meeting.invite_code]))


_IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
                (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))
IMAGE_NAMES = (".png", ".jpg", ".jpeg", ".gif")


def _image_type(head: bytes) -> str | None:
    return next((kind for magic, kind in _IMAGE_MAGIC if head.startswith(magic)), None)


@plan_feature("files")
@login_required
def meeting_file_preview(request, meeting_id: str, file_id: str):
    """A raster image among the meeting's files (e.g. the saved whiteboard), inline, for the
    page's preview: only PNG, JPEG or GIF by their first bytes, whatever the upload claimed."""
    meeting = meeting_get_for_user(user=request.user, meeting_id=meeting_id)
    room_file = None
    if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", file_id):
        room_file = RoomFile.objects.filter(tenant_id=meeting.tenant_id, room_id=meeting.room_id,
                                            pk=file_id).first()
    if room_file is None:
        raise Http404("File not found.")
    try:
        with default_storage.open(room_file.path, "rb") as handle:
            data = handle.read(PREVIEW_MAX_BYTES + 1)
    except OSError:
        raise Http404("File not found.") from None
    kind = _image_type(data[:8])
    if kind is None or len(data) > PREVIEW_MAX_BYTES:
        raise Http404("No preview for this file.")
    response = HttpResponse(data, content_type=kind)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=300"
    return response


@plan_feature("meetings")
@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request, meeting_id: str):
    """Edit or reschedule a meeting (its host or tenant staff)."""
    meeting = meeting_get_for_user(user=request.user, meeting_id=meeting_id)
    initial = {"title": meeting.title, "scheduled_start": meeting.scheduled_start,
               "duration_minutes": meeting.duration_minutes or 60,
               "transcript_enabled": meeting.transcript_enabled}
    form = MeetingEditForm(request.POST or None, initial=initial)
    if form.is_bound:
        form.fields["scheduled_start"].widget.attrs.pop("data-utc", None)
    if request.method == "POST" and form.is_valid():
        try:
            fields = {k: v for k, v in form.cleaned_data.items() if k != "time_zone"}
            meeting_reschedule(meeting=meeting, **fields)
        except PlanRequired as exc:
            form.add_error("transcript_enabled", exc.detail)
        else:
            messages.success(request, "Meeting updated.")
            return redirect("meeting-detail", meeting_id=meeting.pk)
    return render(request, "meetings/edit.html", {"form": form, "meeting": meeting})


@plan_feature("meetings")
@login_required
@require_POST
def meeting_cancel_view(request, meeting_id: str):
    meeting = meeting_get_for_user(user=request.user, meeting_id=meeting_id)
    meeting_cancel(meeting=meeting)
    messages.success(request, "Meeting cancelled.")
    return redirect("meeting-detail", meeting_id=meeting.pk)


@plan_feature("meetings")
@login_required
@require_POST
def meeting_invite(request, meeting_id: str):
    """Email the invite link with a calendar file (.ics) to the addresses given."""
    meeting = meeting_get_for_user(user=request.user, meeting_id=meeting_id)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            emails = parse_invitees(form.cleaned_data["emails"])
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            sent = invitations_send(meeting=meeting, emails=emails, invite_url=_invite_url(request, meeting),
                                    sender=request.user)
            messages.success(request, f"Invitation sent to {sent} {'person' if sent == 1 else 'people'}.")
    else:
        messages.error(request, "Enter at least one email address.")
    return redirect("meeting-detail", meeting_id=meeting.pk)


@plan_feature("meetings")
@login_required
def meeting_calendar(request, meeting_id: str):
    """The meeting as a calendar file, to add it to one's own calendar."""
    meeting = meeting_get_for_user(user=request.user, meeting_id=meeting_id)
    ics = meeting_ics(meeting, invite_url=_invite_url(request, meeting), organizer_email=meeting.host.email,
                      method="PUBLISH")
    response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    return response


@plan_feature("analytics")
@login_required
def analytics(request):
    """Charts and tables of the five reports (the /reporting/... endpoints, called by the page)."""
    if request.user.tenant_id is None:
        return _no_tenant_page(request)
    return render(request, "meetings/analytics.html", {
        "is_staff": user_is_tenant_staff(request.user),
        "advanced": plan_allows(request.tenant, "advanced_analytics"),
    })


def _meeting_with_room(request, meeting_id: str):
    """The user's meeting, for the ways into its room (pre-join and the room itself)."""
    meeting = meeting_get_for_user(user=request.user, meeting_id=meeting_id)
    if meeting.room is None:
        raise Http404("This meeting has no room.")
    return meeting


@plan_feature("meetings")
@never_cache
@login_required
def meeting_room(request, meeting_id: str):
    """The host's way in: a host token for the meeting's room."""
    meeting = _meeting_with_room(request, meeting_id)
    if meeting.closed_at is not None:
        return _closed(request, meeting, "ended")
    token = room_token_issue(
        actor=request.user, room=meeting.room, role="host", user_name=_display_name(request.user)
    )
    return _render_room(request, meeting=meeting, token=token, role="host",
                        name=_display_name(request.user),
                        leave_url=reverse("meeting-detail", args=[meeting.pk]))


@plan_feature("meetings")
@never_cache
@login_required
def meeting_prejoin(request, meeting_id: str):
    """The host's pre-join step: camera preview and device choice, then the room."""
    meeting = _meeting_with_room(request, meeting_id)
    if meeting.closed_at is not None:
        return _closed(request, meeting, "ended")
    return render(request, "meetings/prejoin.html", {"meeting": meeting, "name": _display_name(request.user)})


@plan_feature("meetings")
@never_cache
@require_http_methods(["GET", "POST"])
def meeting_join(request, invite_code: str):
    """The invite link: ask for a name, mint a token for this meeting's room only."""
    meeting = meeting_get_by_invite(tenant=request.tenant, invite_code=invite_code)
    if meeting.room.is_private and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    guest = _guest_identity(request)
    if meeting.closed_at is not None:
        return _closed(request, meeting, "ended")
    if room_is_banned(tenant_id=meeting.tenant_id, room_id=meeting.room_id, subjects=[guest]):
        return _closed(request, meeting, "banned")
    initial = {"user_name": _display_name(request.user)} if request.user.is_authenticated else None
    form = GuestJoinForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            token = guest_token_issue(meeting=meeting, user_name=form.cleaned_data["user_name"], guest=guest)
        except MeetingClosed as exc:
            return _closed(request, meeting, exc.reason)
        tokens = request.session.get(GUEST_TOKEN_SESSION_KEY, {})
        tokens[invite_code] = {"token": token, "name": form.cleaned_data["user_name"]}
        request.session[GUEST_TOKEN_SESSION_KEY] = tokens
        return redirect("meeting-join-room", invite_code=invite_code)
    return render(request, "meetings/join.html", {"meeting": meeting, "form": form})


@plan_feature("meetings")
@never_cache
def meeting_join_room(request, invite_code: str):
    meeting = meeting_get_by_invite(tenant=request.tenant, invite_code=invite_code)
    joined = request.session.get(GUEST_TOKEN_SESSION_KEY, {}).get(invite_code)
    if meeting.closed_at is not None:
        return _closed(request, meeting, "ended")
    guest = _guest_identity(request)
    if room_is_banned(tenant_id=meeting.tenant_id, room_id=meeting.room_id, subjects=[guest]):
        return _closed(request, meeting, "banned")
    if not joined:
        return redirect("meeting-join", invite_code=invite_code)
    role = "viewer" if meeting.room.has_audience else "participant"
    return _render_room(request, meeting=meeting, token=joined["token"], role=role, name=joined["name"],
                        leave_url=reverse("meeting-join", args=[invite_code]))


def _display_name(user) -> str:
    if not user.is_authenticated:
        return ""
    return (user.full_name or user.email).strip()


def _render_room(request, *, meeting: Meeting, token: str, role: str, name: str, leave_url: str):
    room = meeting.room
    config = {
        "token": token,
        "roomId": room.pk,
        "roomType": room.type,
        "role": role,
        "name": name,
        "meetingId": meeting.pk,
        "title": meeting.title,
        "iceServers": ice_servers(label=f"page-{meeting.pk}"),
        "leaveUrl": leave_url,
        "inviteUrl": request.build_absolute_uri(reverse("meeting-join", args=[meeting.invite_code])),
        "filesUrl": reverse("api-room-files", args=[room.pk]),
        "uploadUrl": reverse("api-room-file-upload", args=[room.pk]),
        "captions": {"engine": engine_name()},
        # Feature modules show "Part of Professional" for what the plan lacks (docs/frontend.md).
        "plan": plan_summary(request.tenant),
    }
    response = render(request, "meetings/room.html", {"meeting": meeting, "config": config})
    response["Referrer-Policy"] = "no-referrer"
    return response
