"""Analytics: a session is one live occurrence of a room, from its first join to its
last leave; its participants are recorded with their location."""

from django.conf import settings
from django.db import models

from meetings.models.rooms import Room
from portal.tenancy import TenantOwnedModel

UNKNOWN = "Unknown"


class AnalyticsSession(TenantOwnedModel):
    room = models.ForeignKey(Room, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions")
    session_type = models.CharField(max_length=32)
    domain = models.CharField(max_length=253)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    city = models.CharField(max_length=100, default=UNKNOWN)
    region = models.CharField(max_length=100, default=UNKNOWN)
    country_code = models.CharField(max_length=8, default=UNKNOWN)
    country_name = models.CharField(max_length=100, default=UNKNOWN)
    # How many took part (participations), kept by participant_joined: the reports by city sum
    # it instead of joining every participant row (docs/benchmarks.md, "Analytics reports").
    participant_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "started_at"], name="session_tenant_start_idx"),
            models.Index(fields=["tenant", "host", "started_at"], name="session_tenant_host_idx"),
            models.Index(fields=["tenant", "room", "ended_at"], name="session_tenant_room_idx"),
        ]


class SessionParticipant(TenantOwnedModel):
    session = models.ForeignKey(AnalyticsSession, on_delete=models.CASCADE, related_name="participants")
    participant_id = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    city = models.CharField(max_length=100, default=UNKNOWN)
    region = models.CharField(max_length=100, default=UNKNOWN)
    country_code = models.CharField(max_length=8, default=UNKNOWN)
    country_name = models.CharField(max_length=100, default=UNKNOWN)
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "session", "joined_at"], name="participant_tenant_idx")]
