"""The bridge between a native consumer and one Socket.IO connection.

A native consumer talks ASGI (``base_send`` of ``websocket.accept`` / ``websocket.send`` /
``websocket.close``); a ``Bridge`` subclass of it turns those into Socket.IO operations on its
``sid``: a text frame becomes an event named by the frame's ``type`` (or, for clients that asked
for it, the generic ``message`` event), a close before the connection was accepted becomes a
refused connection (``connect_error``), a close after it a ``closing`` event and a disconnect.

Frames sent while the Socket.IO handshake is still running (``room_state`` is sent from the join
itself) wait in ``pending`` and go out right after the server's CONNECT packet
(``servers.Server._handle_connect``), in order, before anything sent later.
"""

import json
import logging

from engineio import packet as eio_packet
from socketio import packet as sio_packet

logger = logging.getLogger(__name__)

#: The generic event carrying a whole ``{type, ...}`` frame, both ways (Socket.IO's ``send()``).
GENERIC = "message"

_last_text: str | None = None
_last_frame: dict | None = None
#: The last frame's Engine.IO packets, by (generic, seconds, namespace): a fan-out to many
#: Socket.IO recipients parses and encodes each frame once, like the native relay.
_packets: dict = {}


def parse(text: str) -> dict:
    """A frame the server encoded; the last one is kept, since a fan-out parses the same text
    once per Socket.IO recipient."""
    global _last_text, _last_frame
    if text is not _last_text:
        _last_frame = json.loads(text)
        _last_text = text
        _packets.clear()
    return _last_frame


def encode_packet(frame: dict, *, generic: bool, seconds: bool, namespace: str):
    """The Engine.IO packet carrying ``frame`` as a Socket.IO event."""
    if seconds:
        frame = in_seconds(frame)
    event = GENERIC if generic else frame["type"]
    encoded = sio_packet.Packet(sio_packet.EVENT, data=[event, frame], namespace=namespace).encode()
    return eio_packet.Packet(eio_packet.MESSAGE, encoded)


def packet_of(frame: dict, *, generic: bool, seconds: bool, namespace: str):
    if frame is not _last_frame:
        return encode_packet(frame, generic=generic, seconds=seconds, namespace=namespace)
    key = (generic, seconds, namespace)
    packet = _packets.get(key)
    if packet is None:
        packet = _packets[key] = encode_packet(frame, generic=generic, seconds=seconds, namespace=namespace)
    return packet


def in_seconds(frame: dict) -> dict:
    """``frame`` with its ``time`` (and its chat history's) in seconds, the seed's unit."""
    if not isinstance(frame.get("time"), int):
        return frame
    frame = {**frame, "time": frame["time"] // 1000}
    if isinstance(frame.get("chat"), list):  # room_state
        frame["chat"] = [{**m, "time": m["time"] // 1000} if isinstance(m.get("time"), int) else m
                         for m in frame["chat"]]
    return frame


class Bridge:
    """Mixin for a native consumer class: ``bridge_open`` instead of ASGI's ``__call__``."""

    wire = None  # never daphne's fast path: the hub sends through base_send

    def bridge_open(self, server, sid: str, scope: dict, *, generic: bool = False,
                    namespace: str = "/", seconds: bool = False) -> None:
        self.sio = server
        self.namespace = namespace
        self.seconds = seconds  # ``time`` in the seed's unit (seconds) instead of milliseconds
        self.sid = sid
        self.scope = scope
        self.generic = generic
        self.channel_layer = None
        self.connected = False         # the CONNECT packet went out
        self.pending: list[dict] = []  # frames sent before it
        self.refused: int | None = None  # close code given before CONNECT
        self.capture: list[dict] | None = None  # frames sent while one client event is handled

    async def base_send(self, message: dict) -> None:
        kind = message["type"]
        if kind == "websocket.send":
            text = message.get("text")
            if text is None:  # no consumer of ours sends binary frames
                return
            frame = parse(text)
            if self.capture is not None:
                self.capture.append(frame)
            if not self.connected:
                self.pending.append(frame)
                return
            await self.emit_frame(frame)
        elif kind == "websocket.close":
            code = message.get("code", 1000)
            if not self.connected:
                self.refused = code
                return
            self.connected = False
            await self.sio.emit("closing", {"code": code}, to=self.sid, namespace=self.namespace)
            await self.sio.disconnect(self.sid, namespace=self.namespace)
        elif kind == "websocket.accept":  # CONNECT is sent by the server once the handler returns
            self.accepted = True

    async def emit_frame(self, frame: dict) -> None:
        packet = packet_of(frame, generic=self.generic, seconds=self.seconds, namespace=self.namespace)
        await self.sio._send_eio_packet(self.eio_sid, packet)

    async def flush(self) -> None:
        """After CONNECT: the frames of the join, then live ones."""
        self.eio_sid = self.sio.manager.eio_sid_from_sid(self.sid, self.namespace)
        while self.pending:
            await self.emit_frame(self.pending.pop(0))
        self.connected = True

    async def handle(self, message: dict) -> list[dict]:
        """One ASGI message through the consumer's own dispatch; the frames it answered with."""
        self.capture = captured = []
        try:
            await self.dispatch(message)
        finally:
            self.capture = None
        return captured
