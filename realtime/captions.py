"""The captions socket: ``/ws/captions/<roomId>/?token=<room token>&participant=<id>``.

A speaker's browser streams its own microphone here as binary frames of 16 kHz mono
signed 16-bit little-endian PCM. The server cuts the stream into utterances
(``meetings.speech.segmenter``), recognises each off the event loop
(``meetings.speech.engines``: PocketSphinx processes or an OpenAI-compatible endpoint) and
sends every line into the room as the speaker's ``transcript`` event — through the room
socket's registry (``realtime.dispatch.handle_frame``), so relay and persistence follow the
same rules as a ``transcript`` frame the speaker typed. The speaker gets its own lines back
here as ``caption`` frames (``transcript`` goes to the *others*).

The handshake is the room socket's (origin, token bound to tenant and room, revocation),
plus: ``participant`` must be the speaker's own live room connection (same token), so
nobody can caption as someone else; viewers may not caption. See docs/captions.md.
"""

import asyncio
import json
import logging
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from django.conf import settings

from meetings.speech import SAMPLE_BYTES, SAMPLE_RATE
from meetings.speech.engines import Overloaded, RecogniserError, get_engine
from meetings.tokens import InvalidRoomToken, room_token_read
from portal.plans.catalogue import PlanRequired, plan_allows
from portal.tenancy import allowed_origin
from realtime.consumers import (
    CLOSE_ORIGIN,
    CLOSE_REMOVED,
    CLOSE_TOKEN,
    _FrameConsumer,
    _join_context,
    _latest_meeting_id,
    query_token,
)
from realtime.dispatch import handle_frame
from realtime.frames import encode, now_ms
from realtime.groups import room_key
from realtime.hub import get_hub
from realtime.store import get_store

logger = logging.getLogger(__name__)

CLOSE_NOT_SPEAKER = 4403   # viewer, or not the token's own room connection
CLOSE_BUSY = 4429          # CAPTIONS_MAX_STREAMS reached in this process
CLOSE_UNAVAILABLE = 4503   # no recogniser on this server
REALTIME_BYTES_PER_SECOND = SAMPLE_RATE * SAMPLE_BYTES
_streams = 0               # open captions sockets in this process


class AudioBucket:
    """A byte bucket refilled at twice real time, holding eight seconds of audio: a client that
    reconnects may catch up, one that floods is told so and its excess is dropped."""

    def __init__(self):
        self.capacity = 8 * REALTIME_BYTES_PER_SECOND
        self.level = float(self.capacity)
        self.stamp = time.monotonic()
        self.warned_at = 0.0

    def take(self, n: int) -> bool:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.stamp) * 2 * REALTIME_BYTES_PER_SECOND)
        self.stamp = now
        if n > self.level:
            return False
        self.level -= n
        return True

    def should_warn(self) -> bool:
        now = time.monotonic()
        if now - self.warned_at >= 1:
            self.warned_at = now
            return True
        return False


class CaptionsConsumer(_FrameConsumer):
    counted = False
    pump: asyncio.Task | None = None

    async def websocket_connect(self, message):
        global _streams
        tenant = self.scope["tenant"]
        self.tenant = tenant  # with its plan as of this handshake (realtime.dispatch)
        self.tenant_id = tenant.id
        self.room_id = self.scope["url_route"]["kwargs"]["room_id"]
        if not allowed_origin(self.scope):
            return await self.refuse(CLOSE_ORIGIN)
        try:
            grant = room_token_read(query_token(self.scope), tenant_id=tenant.id, room_id=self.room_id)
        except InvalidRoomToken:
            return await self.refuse(CLOSE_TOKEN)
        context = await database_sync_to_async(_join_context)(
            tenant=tenant, room_id=self.room_id, grant=grant
        )
        if context is None:
            return await self.refuse(CLOSE_TOKEN)
        self.room = context[0]
        if grant.role == "viewer":
            return await self.refuse(CLOSE_NOT_SPEAKER)
        self.key = room_key(tenant_id=tenant.id, room_id=self.room_id)
        self.store = get_store()
        self.pid = _query(self.scope, "participant")
        entry = await self.store.get(self.key, self.pid) if self.pid else None
        if entry is None or entry.get("jti") != grant.jti:
            return await self.refuse(CLOSE_NOT_SPEAKER)
        if not plan_allows(tenant, "captions"):
            # Said once, as the other sockets say it; audio sent anyway is ignored.
            await self.base_send({"type": "websocket.accept"})
            refused = PlanRequired(tenant=tenant, feature="captions")
            return await self.send_error(refused.code, refused.detail, plan=refused.required.code,
                                         feature="captions")
        self.engine = get_engine()
        if self.engine is None:
            return await self.refuse(CLOSE_UNAVAILABLE)
        if _streams >= settings.CAPTIONS_MAX_STREAMS:
            return await self.refuse(CLOSE_BUSY)
        _streams += 1
        self.counted = True
        self.username = entry.get("username") or grant.name
        self.role = grant.role
        self.hub = get_hub()
        self.max_bytes = settings.CAPTIONS_MAX_FRAME_BYTES
        self.bucket = AudioBucket()
        from meetings.speech.segmenter import Segmenter

        self.segmenter = Segmenter(max_seconds=settings.CAPTIONS_MAX_UTTERANCE_SECONDS)
        self.utterances: asyncio.Queue = asyncio.Queue(maxsize=settings.CAPTIONS_BACKLOG)
        await self.base_send({"type": "websocket.accept"})
        self.pump = asyncio.create_task(self._pump())
        asyncio.create_task(self.engine.warm_up())
        await self.reply({
            "type": "captions-ready", "engine": self.engine.name, "sampleRate": SAMPLE_RATE,
            "maxFrameBytes": self.max_bytes, "id": self.pid, "username": self.username,
        })

    async def websocket_receive(self, message):
        if self.pump is None:
            return
        data = message.get("bytes")
        if data is None:
            return await self._command(message.get("text") or "")
        if len(data) > self.max_bytes:
            return await self.send_error(
                "frame_too_large", f"Audio frames are limited to {self.max_bytes} bytes."
            )
        if not data or len(data) % SAMPLE_BYTES:
            return await self.send_error("bad_frame", "Audio frames carry whole 16-bit samples.")
        if not self.bucket.take(len(data)):
            if self.bucket.should_warn():
                await self.send_error("rate_limited", "Audio arrives faster than it can be spoken.")
            return
        for utterance in self.segmenter.feed(data):
            self._queue(utterance)

    async def _command(self, text: str):
        try:
            frame = json.loads(text)
        except ValueError:
            return await self.send_error("invalid_json", "Text frames are JSON commands.")
        kind = frame.get("type") if isinstance(frame, dict) else None
        if kind != "flush":
            detail = 'The only command is {"type": "flush"}; audio is binary.'
            return await self.send_error("unknown_type", detail)
        utterance = self.segmenter.flush()
        if utterance:
            self._queue(utterance)

    def _queue(self, utterance: bytes) -> None:
        try:
            self.utterances.put_nowait(utterance)
        except asyncio.QueueFull:
            asyncio.create_task(self.send_error("overloaded", "Captions are behind; a line was dropped."))

    async def _pump(self):
        """Recognise this speaker's utterances one at a time, in order."""
        while True:
            utterance = await self.utterances.get()
            try:
                text = await self.engine.transcribe(utterance)
            except Overloaded as exc:
                await self.send_error("overloaded", str(exc))
                continue
            except RecogniserError as exc:
                await self.send_error("recogniser_failed", str(exc))
                continue
            except Exception:
                logger.exception("captions: recognition failed in room %s", self.room_id)
                await self.send_error("recogniser_failed", "The recogniser failed on this line.")
                continue
            text = " ".join(text.split())[:5000]
            if text:
                await self._emit(text[0].upper() + text[1:])

    async def _emit(self, text: str) -> None:
        if await self.store.get(self.key, self.pid) is None:
            # The speaker left the room or was removed: its voice is no longer captioned.
            await self.base_send({"type": "websocket.close", "code": CLOSE_REMOVED})
            self.pump.cancel()
            return
        await handle_frame(self, {"type": "transcript", "msg": text})
        await self.reply({"type": "caption", "id": self.pid, "username": self.username, "msg": text,
                          "time": now_ms()})

    async def websocket_disconnect(self, message):
        global _streams
        if self.pump is not None:
            self.pump.cancel()
            self.pump = None
        if self.counted:
            _streams -= 1
            self.counted = False
        raise StopConsumer()

    # --- what handle_frame needs of a connection ------------------------------------------
    async def reply(self, frame: dict) -> None:
        await self.base_send({"type": "websocket.send", "text": encode(frame)})

    async def meeting_id(self) -> str | None:
        meeting_id = (await self.store.meta(self.key)).get("meetingId")
        if meeting_id is None:
            meeting_id = await database_sync_to_async(_latest_meeting_id)(self.room)
        return meeting_id


def _query(scope, name: str) -> str:
    value = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name, [""])[0]
    return value[:64]
