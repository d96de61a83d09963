"""Recordings: a recording of a room is made of tracks (one per ``videoId``) that are
processed into one MP4."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from meetings.models.rooms import Room
from portal.tenancy import TenantOwnedModel


class Recording(TenantOwnedModel):
    class Processing(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        READY = "ready"
        FAILED = "failed"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="recordings")
    recording_id = models.CharField(max_length=100)
    host_name = models.CharField(max_length=150, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    stream_id = models.CharField(max_length=100, blank=True)
    video_type = models.CharField(max_length=32, blank=True)
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    stopped = models.BooleanField(default=False)
    processing = models.CharField(max_length=16, choices=Processing.choices, default=Processing.PENDING)
    error = models.TextField(blank=True)
    # Ready but not everything: a track skipped or cut short, or the recording abandoned by its
    # client and finished from what was acknowledged. ``partial_reason`` says what (no paths).
    partial = models.BooleanField(default=False)
    partial_reason = models.TextField(blank=True)
    file = models.CharField(max_length=512, blank=True)  # storage name of the processed MP4
    duration = models.FloatField(null=True, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "recording_id"], name="recording_unique_id"),
            models.UniqueConstraint(
                fields=["room"], condition=Q(stopped=False), name="recording_one_active_per_room"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "room", "created_at"], name="recording_tenant_room_idx")]


class RecordingTrack(TenantOwnedModel):
    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="tracks")
    video_id = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    path = models.CharField(max_length=512)  # local spool file the chunks are appended to
    bytes = models.BigIntegerField(default=0)
    closed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "recording", "video_id"], name="track_unique_video")
        ]
