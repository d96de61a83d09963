"""End to end across processes: a host streams two clips to a real daphne over a real
WebSocket (dropping the connection once and resuming), asks for processing, a real
``db_worker`` renders the MP4, and the file is fetched over HTTP with a range request."""

import asyncio
import json
import time
import urllib.error
import urllib.request

import pytest
import websockets

from meetings.models import Recording
from meetings.recordings_download import delivery_fields
from meetings.tests.recording_support import (
    chunks,
    make_clip,
    media_frame,
    probe,
    room_with_meeting,
    token_for,
)
from tests.live import daphne_server, live_process, worker_command

pytestmark = pytest.mark.django_db(transaction=True)


LIVE_SETTINGS = {"DJANGO_SETTINGS_MODULE": "meetings.tests.recording_live_settings",
                 "PARLEY_TEST_RECORDING_LEASE": "30"}


@pytest.fixture
def server():
    with daphne_server(extra_env=LIVE_SETTINGS, name="recording-daphne") as (url, _proc), \
            live_process(worker_command(), name="recording-live-worker", extra_env=LIVE_SETTINGS):
        yield url.removeprefix("http://")


async def send_track(ws, video_id: str, data: bytes, *, start: int = 0, stop_after: int | None = None) -> int:
    total = start
    for piece in chunks(data[start:], 48 * 1024):
        await ws.send(media_frame(video_id, piece))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert ack == {"type": "ack", "videoId": video_id, "bytes": total + len(piece)}, ack
        total += len(piece)
        if stop_after is not None and total >= stop_after:
            break
    return total


async def command(ws, frame: dict) -> dict:
    await ws.send(json.dumps(frame))
    return json.loads(await asyncio.wait_for(ws.recv(), 10))


async def test_stream_process_and_play_across_processes(server, host, tmp_path):
    room, _ = await asyncio.to_thread(room_with_meeting, host)
    token = await asyncio.to_thread(token_for, room, user=host)
    clips = {
        "cam-1": make_clip(tmp_path / "a.webm", size="320x240", seconds=2),
        "screen-1": make_clip(tmp_path / "b.webm", size="640x360", seconds=2, freq=660),
    }
    url = f"ws://{server}/ws/recording/?token={token}"
    create = {"type": "create-file", "roomId": room.pk, "recordingId": "rec-live"}

    async with websockets.connect(url) as ws:
        assert (await command(ws, {**create, "videoId": "cam-1"}))["bytes"] == 0
        sent = await send_track(ws, "cam-1", clips["cam-1"], stop_after=len(clips["cam-1"]) // 2)
    # The connection dropped halfway; a new one resumes where the acks stopped.
    async with websockets.connect(url) as ws:
        resumed = await command(ws, {**create, "videoId": "cam-1"})
        assert (resumed["bytes"], resumed["resumed"]) == (sent, True)
        await send_track(ws, "cam-1", clips["cam-1"], start=sent)
        assert (await command(ws, {"type": "stop-writing", "videoId": "cam-1"}))["type"] == "file-closed"
        await command(ws, {**create, "videoId": "screen-1"})
        await send_track(ws, "screen-1", clips["screen-1"])
        assert (await command(ws, "screen-1"))["type"] == "file-closed"
        reply = await command(ws, {"type": "process-recording", "roomId": room.pk, "recordingId": "rec-live"})
        assert reply["processing"] == "pending"

    def finished():
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            recording = Recording.objects.get(recording_id="rec-live")
            if recording.processing in ("ready", "failed"):
                return recording
            time.sleep(0.2)
        raise AssertionError("the worker did not finish")

    recording = await asyncio.to_thread(finished)
    assert (recording.processing, recording.error) == ("ready", "")

    link = f"http://{server}{delivery_fields(recording)['url']}"
    part = await asyncio.to_thread(fetch, link, {"Range": "bytes=0-1023"})
    assert part.status == 206 and len(part.body) == 1024
    assert part.headers["Content-Range"] == f"bytes 0-1023/{recording.size}"
    whole = await asyncio.to_thread(fetch, link)
    assert whole.status == 200 and len(whole.body) == recording.size
    (tmp_path / "out.mp4").write_bytes(whole.body)
    info = probe(tmp_path / "out.mp4")
    assert {(s["width"], s["height"]) for s in info["streams"] if s["codec_type"] == "video"} == {(640, 360)}
    assert abs(float(info["format"]["duration"]) - 4.0) <= 0.5
    anonymous = await asyncio.to_thread(fetch, f"http://{server}/recordings/rec-live/file")
    assert anonymous.status == 401


class Fetched:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body


def fetch(url: str, headers: dict | None = None) -> Fetched:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Fetched(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        return Fetched(exc.code, exc.headers, exc.read())
