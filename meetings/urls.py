"""Browser pages of the meetings app."""

from django.urls import path

from meetings import views

urlpatterns: list = [
    path("meetings/new", views.meeting_new, name="meeting-new"),
    path("meetings/<str:meeting_id>", views.meeting_detail, name="meeting-detail"),
    path("meetings/<str:meeting_id>/room", views.meeting_room, name="meeting-room"),
    path("meetings/<str:meeting_id>/edit", views.meeting_edit, name="meeting-edit"),
    path("meetings/<str:meeting_id>/cancel", views.meeting_cancel_view, name="meeting-cancel"),
    path("meetings/<str:meeting_id>/invite", views.meeting_invite, name="meeting-invite"),
    path("meetings/<str:meeting_id>/calendar.ics", views.meeting_calendar, name="meeting-calendar"),
    path("meetings/<str:meeting_id>/files/<str:file_id>/preview", views.meeting_file_preview,
         name="meeting-file-preview"),
    path("analytics", views.analytics, name="analytics"),
    path("join/<str:invite_code>", views.meeting_join, name="meeting-join"),
    path("join/<str:invite_code>/room", views.meeting_join_room, name="meeting-join-room"),
]
