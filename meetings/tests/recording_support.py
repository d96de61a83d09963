"""Helpers shared by the recording tests: clips made with ffmpeg like a browser's
MediaRecorder (WebM VP8+Opus, streamed so without a duration), the recording socket app,
media frames, and ffprobe checks."""

import json
import subprocess
from pathlib import Path

from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import path

from meetings.services.rooms import meeting_create, room_create
from meetings.tokens import room_token_mint
from portal.tenancy import TenantASGIMiddleware
from realtime.recording import RecordingConsumer

recording_app = TenantASGIMiddleware(URLRouter([path("ws/recording/", RecordingConsumer.as_asgi())]))


def make_clip(out: Path, *, size: str, seconds: float = 2, freq: int = 440, audio=True, video=True) -> bytes:
    """A small WebM clip (VP8 + Opus), written as a stream like MediaRecorder's."""
    inputs, codecs = [], []
    if video:
        inputs += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate=15:duration={seconds}"]
        codecs += ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "16", "-b:v", "300k"]
    if audio:
        inputs += ["-f", "lavfi", "-i", f"sine=frequency={freq}:duration={seconds}"]
        codecs += ["-c:a", "libopus"]
    data = subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", *inputs, *codecs, "-f", "webm", "pipe:1"],
        check=True, capture_output=True, timeout=60,
    ).stdout
    out.write_bytes(data)
    return data


def probe(path) -> dict:
    raw = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries",
         "format=duration,format_name:stream=codec_type,codec_name,width,height", "-of", "json", str(path)],
        check=True, capture_output=True, timeout=60,
    ).stdout
    return json.loads(raw)


def decodes_cleanly(path) -> bool:
    result = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"], capture_output=True, timeout=120
    )
    return result.returncode == 0 and not result.stderr.strip()


def media_frame(video_id: str, chunk: bytes) -> bytes:
    vid = video_id.encode()
    return len(vid).to_bytes(2, "big") + vid + chunk


def chunks(data: bytes, size: int):
    return [data[i:i + size] for i in range(0, len(data), size)]


def token_for(room, *, role="host", name="Alice", user=None) -> str:
    return room_token_mint(
        tenant_id=room.tenant_id, room_id=room.pk, role=role, name=name, user_id=user.pk if user else None
    )


def socket(token: str, host: bytes = b"localhost", app=None) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        app or recording_app, f"/ws/recording/?token={token}", headers=[(b"host", host)]
    )


def room_with_meeting(owner, name="Standup"):
    room = room_create(owner=owner, name=name)
    meeting = meeting_create(host=owner, title=name, room=room)
    return room, meeting


async def stream(comm, video_id: str, data: bytes, *, size: int = 16 * 1024, start: int = 0) -> int:
    """Send ``data`` in chunks (the track holding ``start`` bytes already), awaiting each ack;
    return the last acknowledged total."""
    total = start
    for piece in chunks(data, size):
        await comm.send_to(bytes_data=media_frame(video_id, piece))
        reply = await comm.receive_json_from(timeout=10)
        assert reply == {"type": "ack", "videoId": video_id, "bytes": total + len(piece)}, reply
        total += len(piece)
    return total
