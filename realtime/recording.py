"""The seed's "Recording Server Socket": ``/ws/recording/?token=<host room token>``.

Text frames are JSON commands (``create-file``, ``stop-writing``, ``process-recording``);
binary frames carry media: a 2-byte big-endian length N, N bytes of UTF-8 ``videoId``, then
the chunk. Every chunk is answered with ``{"type": "ack", "videoId", "bytes"}`` (the track's
total) once it is on disk, or with an ``error`` frame; the socket stays open either way.
The work is done by ``meetings.recording_pipeline``; this consumer parses and replies.
"""

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from meetings import recording_pipeline as pipeline
from meetings.services.rooms import room_token_is_revoked
from meetings.tokens import InvalidRoomToken, room_token_read
from portal.plans.catalogue import PlanRequired, plan_allows
from portal.tenancy import allowed_origin
from realtime.consumers import query_token

CLOSE_UNAUTHORISED = 4401
CLOSE_FORBIDDEN = 4403


class RecordingConsumer(AsyncWebsocketConsumer):
    plan_feature = "recording"  # checked on every frame against the plan the socket joined with

    async def connect(self):
        tenant = self.scope.get("tenant")
        if tenant is None or not allowed_origin(self.scope):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        try:
            grant = room_token_read(query_token(self.scope), tenant_id=tenant.id)
        except InvalidRoomToken:
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        if not grant.is_host or await database_sync_to_async(room_token_is_revoked)(grant=grant):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.grant = grant
        self.tenant = tenant
        self.tracks: dict[str, str] = {}  # videoId → track pk, for tracks opened on this socket
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None):
        if not plan_allows(self.tenant, self.plan_feature):
            refused = PlanRequired(tenant=self.tenant, feature=self.plan_feature)
            await self.send_json({"type": "error", "code": refused.code, "detail": refused.detail,
                                  "plan": refused.required.code, "feature": self.plan_feature})
            return
        try:
            if bytes_data is not None:
                await self.chunk(bytes_data)
            else:
                await self.command(text_data or "")
        except pipeline.IngestRefused as exc:
            await self.error(exc.code, exc.detail)

    async def command(self, text: str):
        try:
            frame = json.loads(text)
        except ValueError:
            raise pipeline.IngestRefused("bad-json", "Text frames must be JSON.") from None
        if isinstance(frame, str):  # the seed's bare stop-writing payload: "cam-1"
            frame = {"type": "stop-writing", "videoId": frame}
        if not isinstance(frame, dict):
            raise pipeline.IngestRefused("bad-request", "A frame is a JSON object with a type.")
        handler = self.COMMANDS.get(frame.get("type"))
        if handler is None:
            raise pipeline.IngestRefused("unknown-type", f"Unknown frame type {frame.get('type')!r}.")
        try:
            await handler(self, frame)
        except pipeline.IngestRefused as exc:
            video_id = frame.get("videoId")
            await self.error(exc.code, exc.detail, video_id if isinstance(video_id, str) else None)

    async def create_file(self, frame: dict):
        track = await database_sync_to_async(pipeline.track_open)(
            grant=self.grant, room_id=frame.get("roomId"), recording_id=frame.get("recordingId"),
            video_id=frame.get("videoId"),
        )
        self.tracks[track.video_id] = track.pk
        await self.send_json({
            "type": "file-created", "recordingId": track.recording_id, "videoId": track.video_id,
            "bytes": track.bytes, "resumed": track.resumed,
        })

    async def stop_writing(self, frame: dict):
        video_id = frame.get("videoId", frame.get("data", frame.get("payload")))
        if isinstance(video_id, dict):
            video_id = video_id.get("videoId")
        video_id, size = await database_sync_to_async(pipeline.track_close)(
            grant=self.grant, video_id=video_id, track_pk=self.tracks.get(str(video_id or "").strip()),
        )
        self.tracks.pop(video_id, None)
        await self.send_json({"type": "file-closed", "videoId": video_id, "bytes": size})

    async def process_recording(self, frame: dict):
        recording = await database_sync_to_async(pipeline.recording_process_request)(
            grant=self.grant, room_id=frame.get("roomId"), recording_id=frame.get("recordingId"),
        )
        self.tracks.clear()
        await self.send_json({
            "type": "processing", "recordingId": recording.recording_id, "processing": recording.processing,
        })

    COMMANDS = {
        "create-file": create_file,
        "stop-writing": stop_writing,
        "process-recording": process_recording,
    }

    async def chunk(self, data: bytes):
        if len(data) < 2:
            raise pipeline.IngestRefused("bad-frame", "A media frame starts with a 2-byte videoId length.")
        length = int.from_bytes(data[:2], "big")
        try:
            video_id = data[2:2 + length].decode("utf-8") if len(data) >= 2 + length else None
        except UnicodeDecodeError:
            video_id = None
        if not video_id:
            raise pipeline.IngestRefused("bad-frame", "A media frame's videoId is missing or not UTF-8.")
        track_pk = self.tracks.get(video_id)
        if track_pk is None:
            await self.error("unknown-track", f"Send create-file for {video_id!r} first.", video_id)
            return
        payload = data[2 + length:]
        if not payload:
            await self.error("empty-chunk", "A media frame carries no bytes.", video_id)
            return
        try:
            total = await database_sync_to_async(pipeline.track_append)(
                tenant_id=self.grant.tenant_id, track_pk=track_pk, chunk=payload
            )
        except pipeline.IngestRefused as exc:
            if exc.code in pipeline.RESUME_CODES:
                # Nothing after the refused chunk may be stored before it: this connection's
                # further chunks of the track are refused until the client resumes it
                # (create-file answers with the bytes the server holds; the SDK reconnects).
                self.tracks.pop(video_id, None)
            await self.error(exc.code, exc.detail, video_id)
            return
        await self.send_json({"type": "ack", "videoId": video_id, "bytes": total})

    async def error(self, code: str, detail: str, video_id: str | None = None):
        frame = {"type": "error", "code": code, "detail": detail}
        if video_id is not None:
            frame["videoId"] = video_id
        await self.send_json(frame)

    async def send_json(self, frame: dict):
        await self.send(text_data=json.dumps(frame))
