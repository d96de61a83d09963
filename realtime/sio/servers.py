"""The three Socket.IO servers: the room socket, the meet socket and the recording socket.

Each Socket.IO connection is one native consumer (a ``Bridge`` subclass of it) driven through
the consumer's own ``dispatch``: the connect handler runs ``websocket.connect`` (Origin, token,
tenant, room, capacity, the join), each event runs ``websocket.receive`` with the frame as
JSON text (the rate limit, the frame gate, the registry), the disconnect runs the leave.

Events in (room socket): an event named by the frame's ``type`` whose one argument is the seed's
payload (``socket.emit("chat-box", {"msg": "hi"})``), or the generic ``message`` event with the
whole frame (``socket.send({"type": "chat-box", "msg": "hi"})``, also as a JSON string).
Events out: each frame as an event named by its ``type`` (or all of them as ``message`` for a
client that connected with ``frames: "message"``). An event with an ack callback is answered
``{"ok": true}`` or ``{"ok": false, "error": <the error frame>}``; the error frame is also
emitted as ``error``.
"""

import json
import logging
from urllib.parse import parse_qs, urlencode

import socketio
from channels.exceptions import StopConsumer
from django.conf import settings
from socketio.exceptions import ConnectionRefusedError as Refused

from meetings.tokens import InvalidRoomToken, room_token_read
from portal.tenancy import allowed_origin
from realtime.consumers import RoomConsumer
from realtime.frames import encode
from realtime.meet import MeetConsumer
from realtime.recording import RecordingConsumer
from realtime.sio.bridge import GENERIC, Bridge

logger = logging.getLogger(__name__)

#: Why a connection was refused, by the native socket's close code (``connect_error``'s message).
REFUSALS = {
    4003: "removed", 4401: "unauthorised", 4403: "forbidden", 4404: "unknown_site", 4409: "room_full",
    4410: "meeting_ended",
    4500: "internal_error", 4503: "try_later",
}


def _scope_for_origin(scope: dict) -> dict:
    """``allowed_origin`` judges a WebSocket scope: an ``https`` request counts as ``wss``."""
    secure = scope.get("scheme") in ("https", "wss")
    return {**scope, "scheme": "wss" if secure else "ws"}


def cors_allowed(origin, environ) -> bool:
    """Engine.IO's Origin check (every request, polling and WebSocket): the native sockets' rule."""
    return allowed_origin(_scope_for_origin(environ.get("asgi.scope") or {}))


def credential(environ: dict, auth, name: str) -> str:
    """``name`` from the Socket.IO ``auth`` payload, else from the query string."""
    if isinstance(auth, dict) and isinstance(auth.get(name), str):
        return auth[name]
    return parse_qs(environ.get("QUERY_STRING", "")).get(name, [""])[0]


def native_scope(environ: dict, *, token: str, path: str, **route) -> dict:
    """The ASGI scope the native consumer would have had for this connection."""
    scope = _scope_for_origin(environ["asgi.scope"])
    return {**scope, "type": "websocket", "path": path, "query_string": urlencode({"token": token}).encode(),
            "url_route": {"args": (), "kwargs": route}}


def wants_generic(environ: dict, auth) -> bool:
    return credential(environ, auth, "frames") == GENERIC


def wants_seconds(environ: dict, auth) -> bool:
    """The seed's ``time`` is in seconds; ``timeUnit: "ms"`` asks for Parley's milliseconds."""
    return credential(environ, auth, "timeUnit") != "ms"


class Server(socketio.AsyncServer):
    """An AsyncServer whose connections are bridged consumers (``self.conns``, by sid)."""

    def __init__(self, *, max_bytes: int):
        super().__init__(async_mode="asgi", async_handlers=False, cors_allowed_origins=cors_allowed,
                         max_http_buffer_size=max_bytes, transports=["polling", "websocket"])
        self.conns: dict[str, Bridge] = {}

    async def _handle_connect(self, eio_sid, namespace, data):
        # The frames the join sent (room_state...) go out after the CONNECT packet, not before.
        await super()._handle_connect(eio_sid, namespace, data)
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace or "/")
        conn = self.conns.get(sid) if sid is not None else None
        if conn is None:
            return
        if self.manager.is_connected(sid, namespace or "/"):
            await conn.flush()
        else:  # gone while joining
            await self.drop(sid)

    async def open(self, conn: Bridge, sid: str) -> None:
        """Run the native handshake; ``Refused`` (``connect_error``) unless it accepted."""
        await conn.handle({"type": "websocket.connect"})
        if conn.refused is not None or not getattr(conn, "accepted", False):
            code = conn.refused or 4500
            raise Refused(REFUSALS.get(code, "refused"), {"code": code})
        self.conns[sid] = conn

    async def drop(self, sid: str) -> None:
        conn = self.conns.pop(sid, None)
        if conn is None:
            return
        conn.connected = False
        try:
            await conn.dispatch({"type": "websocket.disconnect", "code": 1000})
        except StopConsumer:  # as the native consumer ends
            return

    async def frame(self, sid: str, text: str | None, *, refusal: tuple | None = None) -> list[dict]:
        """One client frame through the consumer; the frames it answered with."""
        conn = self.conns.get(sid)
        if conn is None:
            return []
        if refusal is not None:
            conn.capture = captured = []
            try:
                await conn.send_error(*refusal)
            finally:
                conn.capture = None
            return captured
        return await conn.handle({"type": "websocket.receive", "text": text})


def frame_text(frame) -> tuple[str | None, tuple[str, str] | None]:
    """(JSON text, None), or (None, an error) for what JSON cannot carry (binary attachments)."""
    try:
        return encode(frame), None
    except (TypeError, ValueError):
        return None, ("binary_not_supported", "This socket takes JSON payloads only (no binary attachments).")


def room_frame(event: str, args: tuple) -> tuple[str | None, tuple[str, str] | None]:
    data = args[0] if args else None
    if event == GENERIC:
        if isinstance(data, str):  # the frame as JSON text, as the native socket takes it
            return data, None
        if not isinstance(data, dict):
            return None, ("invalid_payload", "A 'message' carries one frame: an object with a string 'type'.")
        return frame_text(data)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, ("invalid_payload", f"The payload of '{event[:64]}' is one object.")
    return frame_text({**data, "type": event})


def ack_of(frames: list[dict]) -> dict:
    errors = [f for f in frames if f.get("type") == "error"]
    return {"ok": False, "error": errors[0]} if errors else {"ok": True}


# --- the room socket ------------------------------------------------------------------------

class SioRoomConsumer(Bridge, RoomConsumer):
    pass


room_server = Server(max_bytes=2 * settings.WS_MAX_FRAME_BYTES + 1024)


def serve_room(server: Server, namespace: str = "/") -> None:
    """The room socket's handlers, on ``namespace`` of ``server``."""

    async def connect(sid, environ, auth=None):
        tenant = environ["asgi.scope"]["tenant"]
        token, room_id = credential(environ, auth, "token"), credential(environ, auth, "roomId")
        if not room_id:  # the room token names its room
            try:
                room_id = room_token_read(token, tenant_id=tenant.id).room_id
            except InvalidRoomToken:
                room_id = "-"
        conn = SioRoomConsumer()
        scope = native_scope(environ, token=token, path=f"/ws/rooms/{room_id}/", room_id=room_id)
        conn.bridge_open(server, sid, scope, generic=wants_generic(environ, auth), namespace=namespace,
                         seconds=wants_seconds(environ, auth))
        await server.open(conn, sid)

    async def disconnect(sid, reason=None):
        await server.drop(sid)

    async def room_event(event, sid, *args):
        text, refusal = room_frame(event, args)
        return ack_of(await server.frame(sid, text, refusal=refusal))

    server.on("connect", connect, namespace=namespace)
    server.on("disconnect", disconnect, namespace=namespace)
    server.on("*", room_event, namespace=namespace)


serve_room(room_server)


# --- the meet socket --------------------------------------------------------------------------

class SioMeetConsumer(Bridge, MeetConsumer):
    pass


meet_server = Server(max_bytes=2 * settings.WS_MAX_FRAME_BYTES + 1024)


@meet_server.event
async def connect(sid, environ, auth=None):  # noqa: F811 (one handler per server)
    conn = SioMeetConsumer()
    conn.bridge_open(meet_server, sid, native_scope(environ, token=credential(environ, auth, "token"),
                                                    path="/ws/meet/"), generic=wants_generic(environ, auth))
    await meet_server.open(conn, sid)


@meet_server.event
async def disconnect(sid, reason=None):  # noqa: F811
    await meet_server.drop(sid)


@meet_server.on("*")
async def meet_event(event, sid, *args):
    """``room.join`` (or ``message`` with the frame); answered with ``room.joined`` or ``error``,
    as an event and through the ack."""
    data = args[0] if args else None
    if event != GENERIC:
        data = {**data, "type": event} if isinstance(data, dict) else {"type": event}
    text, refusal = (data, None) if isinstance(data, str) else frame_text(data)
    frames = await meet_server.frame(sid, text, refusal=refusal)
    return frames[-1] if frames else None


# A client given the seed's URL as is (``io("wss://host/erizocontroller/socket.io")``) connects
# to the default path ``/socket.io/`` with the namespace ``/erizocontroller/socket.io``: the
# room socket answers there too (and on ``/erizocontroller``).
for _namespace in ("/erizocontroller", "/erizocontroller/socket.io"):
    serve_room(meet_server, _namespace)


# --- the recording socket -------------------------------------------------------------------

class SioRecordingConsumer(Bridge, RecordingConsumer):
    pass


recording_server = Server(max_bytes=settings.RECORDING_MAX_CHUNK_BYTES + 64 * 1024)


@recording_server.event
async def connect(sid, environ, auth=None):  # noqa: F811
    conn = SioRecordingConsumer()
    conn.bridge_open(recording_server, sid, native_scope(
        environ, token=credential(environ, auth, "token"), path="/ws/recording/"),
        generic=wants_generic(environ, auth))
    await recording_server.open(conn, sid)


@recording_server.event
async def disconnect(sid, reason=None):  # noqa: F811
    await recording_server.drop(sid)


def media_frame(data) -> bytes | None:
    """``stream``'s ``{"data": <binary>, "videoId"}`` as the native socket's binary frame."""
    if not isinstance(data, dict):
        return None
    chunk, video_id = data.get("data"), data.get("videoId")
    if not isinstance(chunk, bytes | bytearray) or not isinstance(video_id, str):
        return None
    name = video_id.encode("utf-8", "surrogatepass")
    if len(name) > 0xFFFF:
        return None
    return len(name).to_bytes(2, "big") + name + bytes(chunk)


@recording_server.on("*")
async def recording_event(event, sid, *args):
    """``create-file``, ``stream``, ``stop-writing`` (a bare video id), ``process-recording``:
    each answered with the native socket's reply frame, as an event and through the ack."""
    conn = recording_server.conns.get(sid)
    if conn is None:
        return None
    data = args[0] if args else None
    if event == "stream":
        chunk = media_frame(data)
        if chunk is None:
            conn.capture = captured = []
            try:
                await conn.error("bad-frame", "'stream' carries {\"data\": <binary>, \"videoId\": <string>}.")
            finally:
                conn.capture = None
            return captured[-1]
        message = {"type": "websocket.receive", "bytes": chunk}
    else:
        if event == GENERIC:
            frame = data
        elif isinstance(data, dict):
            frame = {**data, "type": event}
        elif isinstance(data, str) and event == "stop-writing":
            frame = {"type": event, "videoId": data}
        else:
            frame = {"type": event}
        try:
            text = frame if isinstance(frame, str) else json.dumps(frame)
        except (TypeError, ValueError):
            text = "null"
        message = {"type": "websocket.receive", "text": text}
    frames = await conn.handle(message)
    return frames[-1] if frames else None
