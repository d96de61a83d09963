"""Reads that depend on who is asking. Missing and not-yours are the same 404."""

from datetime import timedelta

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from meetings.models import Meeting, Room


def user_is_tenant_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_staff and user.tenant_id is not None)


def room_get(*, tenant, room_id: str) -> Room:
    """Any room of the tenant (tokens and sockets decide what a caller may do in it)."""
    room = Room.objects.for_tenant(tenant).filter(pk=room_id).first()
    if room is None:
        raise Http404("Room not found.")
    return room


def room_get_for_user(*, user, room_id: str) -> Room:
    """A room the user may manage: its owner, or staff of its tenant."""
    qs = Room.objects.for_tenant(user.tenant)
    if not user_is_tenant_staff(user):
        qs = qs.filter(owner=user)
    room = qs.filter(pk=room_id).first()
    if room is None:
        raise Http404("Room not found.")
    return room


def meeting_get_for_user(*, user, meeting_id: str) -> Meeting:
    """A meeting the user hosts (or any of the tenant's, for tenant staff)."""
    qs = Meeting.objects.for_tenant(user.tenant).select_related("room", "host")
    if not user_is_tenant_staff(user):
        qs = qs.filter(host=user)
    meeting = qs.filter(pk=meeting_id).first()
    if meeting is None:
        raise Http404("Meeting not found.")
    return meeting


def dashboard_meetings(*, user) -> dict:
    """The user's meetings split into upcoming (or running) and past."""
    now = timezone.now()
    qs = Meeting.objects.for_tenant(user.tenant).filter(host=user).select_related("room")
    upcoming = qs.filter(Q(scheduled_start__gte=now - timedelta(hours=12)) | Q(scheduled_start=None))
    past = qs.exclude(pk__in=upcoming.values("pk"))
    return {
        "upcoming": list(upcoming.order_by("scheduled_start", "-created_at")[:50]),
        "past": list(past.order_by("-scheduled_start")[:50]),
    }
