"""Where the Socket.IO servers live in the ASGI application (``portal/asgi.py``).

The seed's paths: the room socket at ``/erizocontroller/socket.io/``, the meet socket at
``/socket.io/``, and the recording socket (the seed's port 3304) at ``/recording/socket.io/``.
HTTP (long-polling) and WebSocket requests under them go to Engine.IO, once the Host resolved
to a tenant (an unknown host: HTTP 404, or WebSocket close 4404, as everywhere else).
"""

import json

import socketio
from asgiref.sync import sync_to_async

from portal.tenancy import tenant_for_host
from realtime.sio.servers import meet_server, recording_server, room_server

ROOM_PATH = "/erizocontroller/socket.io/"
MEET_PATH = "/socket.io/"
RECORDING_PATH = "/recording/socket.io/"

ROUTES = [
    (ROOM_PATH, socketio.ASGIApp(room_server, socketio_path=ROOM_PATH.strip("/"))),
    (RECORDING_PATH, socketio.ASGIApp(recording_server, socketio_path=RECORDING_PATH.strip("/"))),
    (MEET_PATH, socketio.ASGIApp(meet_server, socketio_path=MEET_PATH.strip("/"))),
]


class SocketIOMount:
    """Requests under a Socket.IO path go to its server; everything else to ``app``."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            path = scope.get("path", "")
            for prefix, sub in ROUTES:
                if path.startswith(prefix) or path == prefix[:-1]:
                    return await self.tenant(sub, scope, receive, send)
        return await self.app(scope, receive, send)

    async def tenant(self, sub, scope, receive, send):
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1")
        tenant = await sync_to_async(tenant_for_host)(host) if host else None
        if tenant is not None:
            return await sub(dict(scope, tenant=tenant), receive, send)
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 4404})
        body = json.dumps({"success": False, "message": "Not found."}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 404, "headers": headers})
        await send({"type": "http.response.body", "body": body})
