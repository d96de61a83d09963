"""What a meeting produces besides media: chat, transcript lines, summaries, files."""

from django.conf import settings
from django.db import models

from meetings.models.rooms import Meeting, Room
from portal.tenancy import TenantOwnedModel


class ChatMessage(TenantOwnedModel):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="chat_messages")
    meeting = models.ForeignKey(Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    participant_id = models.CharField(max_length=64)
    username = models.CharField(max_length=150)
    msg = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "room", "created_at"], name="chat_tenant_room_idx")]


class TranscriptEntry(TenantOwnedModel):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="transcript")
    user_name = models.CharField(max_length=150)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "transcript entries"
        indexes = [models.Index(fields=["tenant", "meeting", "created_at"], name="transcript_tenant_idx")]


class MeetingSummary(TenantOwnedModel):
    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="summary")
    text = models.TextField()
    source = models.CharField(max_length=16, default="local")  # "local" or "llm"
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)


class RoomFile(TenantOwnedModel):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="files")
    original_name = models.CharField(max_length=255)
    filename = models.CharField(max_length=255)
    path = models.CharField(max_length=512)
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=127, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    upload_date = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "room", "filename"], name="roomfile_unique_name")
        ]
