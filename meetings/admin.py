"""Admin of the meeting domain; every model is tenant-scoped through TenantScopedAdmin."""

from django.contrib import admin

from meetings import models as m
from portal.admin import TenantScopedAdmin


@admin.register(m.Room)
class RoomAdmin(TenantScopedAdmin):
    list_display = ["name", "type", "owner", "is_private", "max_participants", "created_at"]
    list_filter = ["tenant", "type", "is_private"]
    search_fields = ["name", "id"]
    autocomplete_fields = ["owner"]


@admin.register(m.Meeting)
class MeetingAdmin(TenantScopedAdmin):
    list_display = ["title", "host", "room", "scheduled_start", "transcript_enabled", "created_at"]
    list_filter = ["tenant", "transcript_enabled", "summary_generated"]
    search_fields = ["title", "id"]
    autocomplete_fields = ["host", "room"]


@admin.register(m.Recording)
class RecordingAdmin(TenantScopedAdmin):
    list_display = ["recording_id", "room", "host_name", "stopped", "processing", "duration", "created_at"]
    list_filter = ["tenant", "processing", "stopped"]
    search_fields = ["recording_id", "host_name"]
    autocomplete_fields = ["room"]
    readonly_fields = ["processing", "error", "file", "duration", "size"]


@admin.register(m.RoomFile)
class RoomFileAdmin(TenantScopedAdmin):
    list_display = ["original_name", "room", "size", "upload_date"]
    search_fields = ["original_name", "filename"]
    autocomplete_fields = ["room"]


@admin.register(m.TranscriptEntry)
class TranscriptEntryAdmin(TenantScopedAdmin):
    list_display = ["meeting", "user_name", "message", "created_at"]
    search_fields = ["message", "user_name"]
    autocomplete_fields = ["meeting"]


@admin.register(m.AnalyticsSession)
class AnalyticsSessionAdmin(TenantScopedAdmin):
    list_display = ["room", "session_type", "domain", "city", "country_name", "started_at", "ended_at"]
    list_filter = ["tenant", "session_type", "country_name"]
    autocomplete_fields = ["room", "host"]
