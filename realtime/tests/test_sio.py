"""The Socket.IO transport (realtime.sio) against a live daphne, with python-socketio's client:
a Socket.IO client and a native client in one room, refusals (token, tenant, Origin), the meet
socket's ``room.join``, and a recording streamed over the recording socket until it plays.

The Node client (``socket.io-client``) is tested in tests/sdk/test_sio_node.py."""

import asyncio
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
import socketio
import websockets
from channels.db import database_sync_to_async as db
from django.core.files.storage import default_storage

from meetings.models import Recording
from meetings.recording_pipeline import recording_process
from meetings.services.rooms import meeting_create, room_create
from meetings.tests.recording_support import chunks, decodes_cleanly, make_clip, probe, room_with_meeting
from meetings.tokens import room_token_mint
from portal.accounts.tokens import login_token_for
from realtime.protocol import REGISTRY
from realtime.tests.test_events import payload
from realtime.tests.test_idor import EVENTS, may_send
from tests.live import daphne_server

pytestmark = pytest.mark.django_db(transaction=True)

ROOM_PATH = "/erizocontroller/socket.io"
MEET_PATH = "/socket.io"
RECORDING_PATH = "/recording/socket.io"
NODE_TEST = Path(__file__).resolve().parents[2] / "tests" / "sdk" / "sio.test.mjs"


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("sio-media")
    env = {"MEDIA_ROOT": str(media)}
    with django_db_blocker.unblock(), daphne_server(name="sio", extra_env=env) as (url, _):
        yield url, media


@pytest.fixture
def live(server):
    return server[0]


class SioPeer:
    """A python-socketio client that records every event it gets."""

    def __init__(self):
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue = asyncio.Queue()
        self.client.on("*", self._event)
        self.refusal = None
        self.client.on("connect_error", self._refused)

    async def _refused(self, data):
        self.refusal = data

    async def _event(self, event, *args):
        await self.events.put((event, args[0] if args else None))

    async def connect(self, base: str, path: str, *, transports=("websocket",), headers=None, **auth):
        await self.client.connect(base, socketio_path=path, auth=auth, transports=list(transports),
                                  headers=headers or {}, wait_timeout=5)
        return self

    async def next(self, event: str, timeout: float = 5, match=lambda data: True):
        async with asyncio.timeout(timeout):
            while True:
                name, data = await self.events.get()
                if name == event and match(data):
                    return data


async def native(base: str, room, token: str):
    ws = await websockets.connect(f"{base.replace('http', 'ws')}/ws/rooms/{room.pk}/?token={token}")
    state = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert state["type"] == "room_state"
    return ws, state


async def native_next(ws, kind: str, timeout: float = 5) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind:
                return frame


def mint(room, role, name):
    return room_token_mint(tenant_id=room.tenant_id, room_id=room.pk, role=role, name=name)


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_socketio_and_native_clients_share_a_room(live, host, transport):
    room = await db(room_create)(owner=host, name="Mixed")
    ws, _ = await native(live, room, mint(room, "host", "Alice"))
    bob = await SioPeer().connect(live, ROOM_PATH, transports=[transport],
                                  token=mint(room, "participant", "Bob"))
    state = await bob.next("room_state")
    assert state["you"]["username"] == "Bob" and len(state["participants"]) == 2
    bob_id = state["you"]["id"]
    while (await native_next(ws, "room_connected"))["id"] != bob_id:
        pass

    # chat both ways, with the server's identity on it
    assert await bob.client.call("chat-box", {"msg": "hi from sio"}, timeout=5) == {"ok": True}
    chat = await native_next(ws, "chat-box")
    assert (chat["msg"], chat["id"], chat["username"]) == ("hi from sio", bob_id, "Bob")
    await ws.send(json.dumps({"type": "chat-box", "msg": "hi from native"}))
    got = await bob.next("chat-box")
    assert got["msg"] == "hi from native"
    # time in the seed's unit (seconds) on Socket.IO; the native socket's is milliseconds
    assert abs(got["time"] - time.time()) < 60 and chat["time"] > 10**12
    assert abs(state["time"] - time.time()) < 60
    # stored: chat-ack for a clientId, as on the native socket
    await bob.client.emit("chat-box", {"msg": "acked", "clientId": "c-1"})
    assert (await bob.next("chat-ack"))["clientId"] == "c-1"
    assert (await native_next(ws, "chat-box"))["msg"] == "acked"
    # the generic event carries a whole frame
    await bob.client.send({"type": "chat-box", "msg": "sent the seed's way"})
    assert (await native_next(ws, "chat-box"))["msg"] == "sent the seed's way"

    # a host control from the native host reaches the Socket.IO participant
    await ws.send(json.dumps({"type": "mute-participant", "userId": bob_id}))
    assert (await bob.next("mute-participant"))["userId"] == bob_id
    # and one from the participant is refused: an error event, and the ack
    answer = await bob.client.call("mute-all-participants", {}, timeout=5)
    assert answer["ok"] is False and answer["error"]["code"] == "forbidden"
    assert (await bob.next("error"))["code"] == "forbidden"
    # bad input: an error, the connection stays
    answer = await bob.client.call("chat-box", "not an object", timeout=5)
    assert answer["error"]["code"] == "invalid_payload"
    answer = await bob.client.call("chat-box", {"msg": b"\x00binary"}, timeout=5)
    assert answer["error"]["code"] == "binary_not_supported"
    assert (await bob.client.call("no-such-event", {}, timeout=5))["error"]["code"] == "unknown_type"

    if transport == "websocket":
        await bob.client.disconnect()
        assert (await native_next(ws, "room_disconnected"))["id"] == bob_id
    else:  # removed by the host: told why, then disconnected by the server
        await ws.send(json.dumps({"type": "remove-participant", "userId": bob_id}))
        assert await bob.next("closing") == {"code": 4003}
        assert (await native_next(ws, "room_disconnected"))["id"] == bob_id
        async with asyncio.timeout(5):
            while bob.client.connected:
                await asyncio.sleep(0.05)
    await ws.close()


async def test_refusals_come_back_as_connect_errors(live, host, outsider):
    room = await db(room_create)(owner=host, name="Guarded")
    beta_room = await db(room_create)(owner=outsider, name="Beta")

    async def refused(path=ROOM_PATH, headers=None, **auth):
        peer = SioPeer()
        with pytest.raises(socketio.exceptions.ConnectionError) as caught:
            await peer.connect(live, path, headers=headers, **auth)
        return json.dumps(peer.refusal) if peer.refusal else str(caught.value)

    assert "unauthorised" in await refused(token="forged")
    # a token of another room, and one of another tenant (on this tenant's host)
    other = await db(room_create)(owner=host, name="Other")
    assert "unauthorised" in await refused(token=mint(room, "host", "A"), roomId=other.pk)
    assert "unauthorised" in await refused(token=mint(beta_room, "host", "C"))
    # a foreign Origin: Engine.IO refuses the handshake itself
    assert await refused(token=mint(room, "host", "A"), headers={"Origin": "https://evil.example"})
    # a tenant-A token on tenant B's host
    assert "unauthorised" in await refused(token=mint(room, "host", "A"), headers={"Host": "beta.test"})
    assert "unauthorised" in await refused(MEET_PATH, token="forged")
    # an unknown site: no Engine.IO session at all (404, as every path of an unknown host)
    for path in (ROOM_PATH, MEET_PATH, RECORDING_PATH):
        url = f"{live}{path}/?EIO=4&transport=polling"
        request = urllib.request.Request(url, headers={"Host": "nowhere.test"})
        with pytest.raises(urllib.error.HTTPError) as caught:
            await asyncio.to_thread(urllib.request.urlopen, request, timeout=5)
        assert caught.value.code == 404
    assert "forbidden" in await refused(RECORDING_PATH, token=mint(room, "participant", "P"))


async def test_meet_socket_room_join(live, host):
    room = await db(room_create)(owner=host, name="Meet")
    peer = await SioPeer().connect(live, MEET_PATH, token=await db(login_token_for)(host))
    joined = await peer.client.call("room.join", {"roomId": room.pk, "sessionType": "viewer",
                                                  "ip": "192.168.0.100"}, timeout=5)
    assert joined == {"type": "room.joined", "roomId": room.pk, "sessionType": "viewer"}
    assert (await peer.next("room.joined"))["roomId"] == room.pk
    refused = await peer.client.call("room.join", {"roomId": "nope"}, timeout=5)
    assert refused["type"] == "error" and refused["code"] == "not_found"
    await peer.client.disconnect()


async def test_recording_over_socketio_plays(server, host, tmp_path, settings):
    live, media = server  # the files are where the server wrote them
    settings.RECORDING_X264_PRESET = "ultrafast"
    settings.MEDIA_ROOT = media
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(media)}}}
    room, _ = await db(room_with_meeting)(host)
    clip = make_clip(tmp_path / "a.webm", size="320x240", seconds=1)
    peer = await SioPeer().connect(live, RECORDING_PATH, token=mint(room, "host", "Alice"))
    call = peer.client.call
    created = await call("create-file", {"roomId": room.pk, "recordingId": "rec-sio", "videoId": "cam-1"})
    assert created["type"] == "file-created" and created["bytes"] == 0
    total = 0
    for piece in chunks(clip, 32 * 1024):
        total += len(piece)
        assert await call("stream", {"data": piece, "videoId": "cam-1"}) == {
            "type": "ack", "videoId": "cam-1", "bytes": total}
    refused = await call("stream", {"data": "not binary", "videoId": "cam-1"})
    assert refused["code"] == "bad-frame"
    closed = await call("stop-writing", "cam-1")  # the seed's bare video id
    assert closed == {"type": "file-closed", "videoId": "cam-1", "bytes": total}
    processing = await call("process-recording", {"roomId": room.pk, "recordingId": "rec-sio"})
    assert processing["processing"] == "pending"
    await peer.client.disconnect()

    recording = await db(Recording.objects.get)(recording_id="rec-sio")
    await db(recording_process)(recording_pk=recording.pk)
    recording = await db(Recording.objects.get)(pk=recording.pk)
    assert (recording.processing, recording.error) == ("ready", "")
    path = Path(default_storage.path(recording.file))
    assert [s["codec_name"] for s in probe(path)["streams"] if s["codec_type"] == "video"] == ["h264"]
    assert decodes_cleanly(path)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node (npm's runtime; make install needs it)")
async def test_official_socketio_client(server, host, outsider, tmp_path, settings):
    """tests/sdk/sio.test.mjs: socket.io-client (npm) in a room with a native client, refusals,
    room.join, and a recording streamed over the recording socket — processed here until it plays."""
    live, media = server
    settings.RECORDING_X264_PRESET = "ultrafast"
    settings.MEDIA_ROOT = media
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(media)}}}
    room, _ = await db(room_with_meeting)(host)
    beta_room = await db(room_create)(owner=outsider, name="Beta")
    make_clip(tmp_path / "clip.webm", size="320x240", seconds=1)
    env = {
        "base": live, "roomId": room.pk, "clip": str(tmp_path / "clip.webm"),
        "hostToken": mint(room, "host", "Alice"), "participantToken": mint(room, "participant", "Bob"),
        "viewerToken": mint(room, "viewer", "Vic"), "otherTenantToken": mint(beta_room, "host", "Charlie"),
        "loginToken": await db(login_token_for)(host),
    }
    result = await asyncio.to_thread(
        subprocess.run, ["node", "--test", str(NODE_TEST)], capture_output=True, text=True, timeout=90,
        cwd=NODE_TEST.parent, env={**os.environ, "SIO_TEST": json.dumps(env)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout and "# pass 6" in result.stdout, result.stdout

    recording = await db(Recording.objects.get)(recording_id="rec-node")
    await db(recording_process)(recording_pk=recording.pk)
    recording = await db(Recording.objects.get)(pk=recording.pk)
    assert (recording.processing, recording.error) == ("ready", "")
    assert decodes_cleanly(Path(default_storage.path(recording.file)))


@pytest.mark.parametrize("role", ["viewer", "participant"])
async def test_every_event_is_checked_as_on_the_native_socket(live, host, role):
    """The IDOR matrix's role rules (test_idor.WHO_MAY_SEND), over Socket.IO: what the role may not
    send is refused (error event and ack) and reaches nobody; what it may send is not refused."""
    room = await db(room_create)(owner=host, name="Matrix")
    meeting = await db(meeting_create)(host=host, title="Matrix", room=room)
    ws, state = await native(live, room, mint(room, "host", "Alice"))
    peer = await SioPeer().connect(live, ROOM_PATH, token=mint(room, role, "Mallory"))
    me = (await peer.next("room_state"))["you"]["id"]
    cast = {"viewer": SimpleNamespace(id=state["you"]["id"])}  # the target: someone in the room
    refused = []
    for name in EVENTS:
        frame = payload(REGISTRY[name], cast, meeting)
        answer = await peer.client.call(frame.pop("type"), frame, timeout=5)
        if not answer["ok"] and answer["error"]["code"] == "forbidden":
            refused.append(name)
    assert refused == [name for name in EVENTS if not may_send(name, role)]
    # nothing refused reached the host: everything before the sentinel is checked
    await peer.client.call("chat-box", {"msg": "sentinel"}, timeout=5)
    seen = []
    async with asyncio.timeout(5):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "chat-box" and frame.get("msg") == "sentinel":
                break
            if frame.get("id") == me:
                seen.append(frame["type"])
    assert not set(seen) & set(refused), seen
    await peer.client.disconnect()
    await ws.close()


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
async def test_across_two_processes_on_redis(host):
    """A Socket.IO client on one daphne, a native client on another: presence, chat, strokes and
    a host control cross through the hubs' channel layer."""
    room = await db(room_create)(owner=host, name="Cross")
    with daphne_server(name="sio-a") as (a, _), daphne_server(name="sio-b") as (b, _):
        bob = await SioPeer().connect(a, ROOM_PATH, token=mint(room, "participant", "Bob"))
        bob_id = (await bob.next("room_state"))["you"]["id"]
        ws, state = await native(b, room, mint(room, "host", "Alice"))
        assert bob_id in {p["id"] for p in state["participants"]}
        await bob.next("room_connected", match=lambda f: f["id"] == state["you"]["id"])
        await bob.client.emit("chat-box", {"msg": "from A"})
        assert (await native_next(ws, "chat-box"))["msg"] == "from A"
        await ws.send(json.dumps({"type": "sendDrawingData", "msg": {"drawingType": "mousemove",
                                                                     "payload": {"pos": {"x": 3}}}}))
        assert (await bob.next("sendDrawingData"))["msg"]["payload"] == {"pos": {"x": 3}}
        await ws.send(json.dumps({"type": "mute-participant", "userId": bob_id}))
        assert (await bob.next("mute-participant"))["userId"] == bob_id
        await bob.client.disconnect()
        assert (await native_next(ws, "room_disconnected"))["id"] == bob_id
        await ws.close()
