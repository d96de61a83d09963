"""Browser pages of the meetings app."""

from django.urls import path

import portal.converters  # noqa: F401 - registers <id:> and <recid:>
from meetings import views

urlpatterns: list = [
    path("meetings/new", views.meeting_new, name="meeting-new"),
    path("meetings/<id:meeting_id>", views.meeting_detail, name="meeting-detail"),
    path("meetings/<id:meeting_id>/room", views.meeting_room, name="meeting-room"),
    path("meetings/<id:meeting_id>/prejoin", views.meeting_prejoin, name="meeting-prejoin"),
    path("meetings/<id:meeting_id>/edit", views.meeting_edit, name="meeting-edit"),
    path("meetings/<id:meeting_id>/cancel", views.meeting_cancel_view, name="meeting-cancel"),
    path("meetings/<id:meeting_id>/invite", views.meeting_invite, name="meeting-invite"),
    path("meetings/<id:meeting_id>/calendar.ics", views.meeting_calendar, name="meeting-calendar"),
    path("meetings/<id:meeting_id>/files/<id:file_id>/preview", views.meeting_file_preview,
         name="meeting-file-preview"),
    path("analytics", views.analytics, name="analytics"),
    path("join/<id:invite_code>", views.meeting_join, name="meeting-join"),
    path("join/<id:invite_code>/room", views.meeting_join_room, name="meeting-join-room"),
]
