"""Browser pages of the meetings app."""

from django.urls import path

import portal.converters  # noqa: F401 - registers <id:> and <recid:>
from meetings import views

urlpatterns: list = [
    path("meetings/new", views.meeting_new, name="meeting-new"),
    path("meetings/<id:meeting_id>", views.meeting_detail, name="meeting-detail"),
    path("meetings/<id:meeting_id>/room", views.meeting_room, name="meeting-room"),
    path("join/<id:invite_code>", views.meeting_join, name="meeting-join"),
    path("join/<id:invite_code>/room", views.meeting_join_room, name="meeting-join-room"),
]
