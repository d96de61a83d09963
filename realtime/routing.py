"""WebSocket URL map (room socket, meet socket, recording socket)."""

websocket_urlpatterns: list = []
