"""Rooms (where people meet), meetings (a scheduled or ad-hoc use of a room),
revoked room tokens and bans (participants removed by a host)."""

import secrets

from django.conf import settings
from django.db import models

from portal.tenancy import TenantOwnedModel


def new_invite_code() -> str:
    return secrets.token_urlsafe(12)


class Room(TenantOwnedModel):
    class Type(models.TextChoices):
        MEETING = "meeting"
        CONFERENCE = "conference"
        WEBINAR = "webinar"
        LIVE = "live"

    name = models.CharField(max_length=200)
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.MEETING)
    p2p = models.BooleanField(default=True)
    max_participants = models.PositiveIntegerField(null=True, blank=True)
    is_private = models.BooleanField(default=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rooms")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "owner", "created_at"], name="room_tenant_owner_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def has_audience(self) -> bool:
        """Webinars and live rooms have viewers who must ask to speak."""
        return self.type in (self.Type.WEBINAR, self.Type.LIVE)


class SummaryStatus(models.TextChoices):
    NONE = "", "none"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Meeting(TenantOwnedModel):
    title = models.CharField(max_length=200)
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meetings")
    room = models.ForeignKey(Room, on_delete=models.SET_NULL, null=True, blank=True, related_name="meetings")
    transcript_enabled = models.BooleanField(default=False)
    summary_generated = models.BooleanField(default=False)
    recording_ids = models.JSONField(default=list, blank=True)
    scheduled_start = models.DateTimeField(null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    invite_code = models.CharField(max_length=32, unique=True, default=new_invite_code, editable=False)
    # Lifecycle (meetings.services.lifecycle): the first join starts it, the last leave or a
    # host's "end meeting for all" ends it; a join after that opens it again.
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Set when a host ends the meeting for everyone (``end-meeting`` or REST ``/meetings/<id>/end``,
    # meetings.services.lifecycle.meeting_close): unlike ``ended_at`` (also set when the last
    # person leaves, cleared by the next join), it is final — the room takes no more joins.
    closed_at = models.DateTimeField(null=True, blank=True)
    # The "Generate summary" task's progress, for the meeting page.
    summary_status = models.CharField(max_length=16, choices=SummaryStatus.choices, blank=True, default="")
    summary_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "host", "created_at"], name="meeting_tenant_host_idx"),
            models.Index(fields=["tenant", "room"], name="meeting_tenant_room_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def state(self) -> str:
        """"cancelled", "ended" (it ran and everyone left, or a host ended it), "live" or "upcoming"."""
        if self.cancelled_at is not None:
            return "cancelled"
        if self.ended_at is not None:
            return "ended"
        if self.started_at is not None:
            return "live"
        return "upcoming"


class RoomTokenRevocation(TenantOwnedModel):
    """A room token (by its ``jti``) that may not join again: its holder was removed."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="revocations")
    jti = models.CharField(max_length=64)
    reason = models.CharField(max_length=64, default="removed")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "room", "jti"], name="revocation_unique_jti")
        ]


class RoomBan(TenantOwnedModel):
    """A person a host removed from a room: ``subject`` is who the room token named —
    ``u:<user id>`` for a signed-in user, ``g:<guest id>`` for an invite-link guest (a random
    id kept in their browser session). The invite link and the room socket refuse them."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="bans")
    subject = models.CharField(max_length=80)
    name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "room", "subject"], name="ban_unique_subject")
        ]
