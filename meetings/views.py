"""Browser pages of the meetings app: schedule a meeting, its invite page, guest join and
the meeting room (a page built on the JavaScript SDK in ``static/parley/sdk.js``).

A room page carries a *room* token minted here, server-side, for one room, one role and
one display name; a login JWT never reaches a page.
"""

import secrets

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from meetings.forms import GuestJoinForm, MeetingScheduleForm
from meetings.models import Meeting
from meetings.selectors import meeting_get_by_invite, meeting_get_for_user
from meetings.services.rooms import (
    MeetingClosed,
    guest_token_issue,
    meeting_schedule,
    room_is_banned,
    room_token_issue,
)
from meetings.speech.engines import engine_name
from portal.plans.catalogue import PlanRequired, plan_summary
from portal.plans.web import plan_feature
from realtime.media.ice import ice_servers

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


@plan_feature("meetings")
@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request):
    form = MeetingScheduleForm(request.POST or None)
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
@login_required
def meeting_detail(request, meeting_id: str):
    meeting = meeting_get_for_user(user=request.user, meeting_id=meeting_id)
    invite_url = request.build_absolute_uri(reverse("meeting-join", args=[meeting.invite_code]))
    return render(request, "meetings/detail.html", {"meeting": meeting, "invite_url": invite_url})


@plan_feature("meetings")
@never_cache
@login_required
def meeting_room(request, meeting_id: str):
    """The host's way in: a host token for the meeting's room."""
    meeting = meeting_get_for_user(user=request.user, meeting_id=meeting_id)
    if meeting.room is None:
        raise Http404("This meeting has no room.")
    if meeting.ended_at is not None:
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
    meeting = meeting_get_for_user(user=request.user, meeting_id=meeting_id)
    if meeting.room is None:
        raise Http404("This meeting has no room.")
    if meeting.ended_at is not None:
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
    if meeting.ended_at is not None:
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
    if meeting.ended_at is not None:
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
