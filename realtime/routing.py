"""WebSocket URL map (room socket, meet socket, recording socket, captions socket)."""

from django.urls import path

from realtime.captions import CaptionsConsumer
from realtime.consumers import RoomConsumer
from realtime.meet import MeetConsumer
from realtime.recording import RecordingConsumer

websocket_urlpatterns: list = [
    path("ws/rooms/<str:room_id>/", RoomConsumer.as_asgi()),
    path("ws/meet/", MeetConsumer.as_asgi()),
    path("ws/recording/", RecordingConsumer.as_asgi()),
    path("ws/captions/<str:room_id>/", CaptionsConsumer.as_asgi()),
]
