"""The production path as `make run-prod` runs it: two daphne processes (``--proxy-headers``,
127.0.0.1) on a private Redis behind nginx rendered from deploy/nginx/ — a browser on each
process in one room, and one recording's chunks over several reconnects through nginx."""

import asyncio
import json
import re
import shutil
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import websockets
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from deploy.nginx.render import render
from meetings.models import RecordingTrack
from meetings.tests.recording_support import media_frame, room_with_meeting, token_for
from realtime.tests.faults import PrivateRedis, wait_for_port
from tests.browser.test_portal_meeting import (
    chat_log,
    join_as_guest,
    join_from_meeting_page,
    log_in,
    schedule,
    send_chat,
)
from tests.live import ARTIFACTS, BASE_DIR, free_port, live_env

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = [
    pytest.mark.nginx,
    pytest.mark.skipif(not Path(NGINX).exists(), reason="no nginx (apt-get install nginx)"),
]


class Stack:
    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self.procs: list[subprocess.Popen] = []
        self.upstreams: list[str] = []

    def spawn(self, args: list[str], name: str, env: dict, port: int) -> None:
        log = ARTIFACTS / f"{name}-{port}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(args, cwd=BASE_DIR, env=live_env(env), stdout=out,
                                    stderr=subprocess.STDOUT)
        self.procs.append(proc)
        wait_for_port(port, proc, log)

    def upstreams_of(self, path_prefix: str, count: int, timeout: float = 10) -> list[str]:
        """The upstream of each logged request under ``path_prefix`` (sockets log when they close)."""
        pattern = re.compile(rf'"GET {re.escape(path_prefix)}\S* HTTP/1.1" \d+ \d+ upstream=(\S+)')
        deadline = time.monotonic() + timeout
        while True:
            log = self.run_dir / "nginx-access.log"
            found = pattern.findall(log.read_text()) if log.exists() else []
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def prod(django_db_setup, django_db_blocker, tmp_path_factory):
    """Base URL of nginx in front of two daphne processes on a private Redis."""
    ARTIFACTS.mkdir(exist_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0)  # nginx serves STATIC_ROOT itself
    redis = PrivateRedis().start()
    stack = Stack(tmp_path_factory.mktemp("nginx"))
    stack.media_root = tmp_path_factory.mktemp("media")  # the processes' shared disk
    env = {"MEDIA_ROOT": str(stack.media_root), "REDIS_URL": redis.url,
           "CHANNEL_PREFIX": f"nginx-{uuid.uuid4().hex[:8]}", "TRUSTED_PROXIES": "127.0.0.1,::1"}
    try:
        with django_db_blocker.unblock():
            for n in (1, 2):
                port = free_port()
                stack.spawn([sys.executable, "-m", "daphne", "--proxy-headers", "-b", "127.0.0.1", "-p",
                             str(port), "portal.asgi:application"], f"prod-daphne{n}", env, port)
                stack.upstreams.append(f"127.0.0.1:{port}")
            port = free_port()
            conf = render(run_dir=stack.run_dir, listen=f"127.0.0.1:{port}", static_root=settings.STATIC_ROOT,
                          upstreams=stack.upstreams)
            stack.spawn([NGINX, "-p", str(stack.run_dir), "-c", str(conf), "-e",
                         str(stack.run_dir / "nginx-error.log"), "-g", "daemon off;"], "prod-nginx", {}, port)
            stack.url = f"http://127.0.0.1:{port}"
            yield stack
    finally:
        stack.stop()
        redis.kill()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_browser_on_each_process_sees_the_others_chat(prod, page, host, new_page, screenshot):
    static = page.request.get(f"{prod.url}/static/parley/room/recording.js")
    assert static.ok and "javascript" in static.headers["content-type"]  # served by nginx itself
    log_in(page, prod.url, host)
    invite = schedule(page, "Across processes")
    join_from_meeting_page(page)
    expect(page.locator("[data-status]")).to_have_text("Connected")
    guest = new_page()
    join_as_guest(guest, invite, "Grace")
    send_chat(page, "Hello from the host's process")
    expect(chat_log(guest)).to_contain_text("Hello from the host's process")
    send_chat(guest, "And hello from the guest's")
    expect(chat_log(page)).to_contain_text("And hello from the guest's")
    screenshot(guest, "nginx-two-processes-guest")
    guest.context.close()
    page.context.close()
    # nginx logs a socket when it closes: the two room sockets were served by different processes.
    rooms = prod.upstreams_of("/ws/rooms/", 2)
    assert len(rooms) >= 2 and set(rooms) == set(prod.upstreams), rooms


@pytest.mark.django_db(transaction=True)
def test_one_recording_stays_on_one_process_across_reconnects(prod, host):
    room, _meeting = room_with_meeting(host)
    token = token_for(room, user=host)
    data = bytes(range(256)) * 160  # 40,960 bytes in 8 chunks, over 4 connections
    pieces = [data[i:i + 5120] for i in range(0, len(data), 5120)]
    url = f"{prod.url.replace('http', 'ws')}/ws/recording/?token={token}"
    before = len(prod.upstreams_of("/ws/recording/", 0, timeout=0))

    async def record():
        sent = 0
        for part in range(4):
            async with websockets.connect(url, origin=prod.url) as ws:
                await ws.send(json.dumps({"type": "create-file", "roomId": room.pk, "recordingId": "rec-np",
                                          "videoId": "cam-1"}))
                created = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert created["type"] == "file-created", created
                assert (created["bytes"], created["resumed"]) == (sent, part > 0)
                for piece in pieces[part * 2:part * 2 + 2]:
                    await ws.send(media_frame("cam-1", piece))
                    ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    sent += len(piece)
                    assert ack == {"type": "ack", "videoId": "cam-1", "bytes": sent}, ack
                if part == 3:
                    await ws.send(json.dumps({"type": "stop-writing", "videoId": "cam-1"}))
                    closed = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    assert closed == {"type": "file-closed", "videoId": "cam-1", "bytes": len(data)}

    with ThreadPoolExecutor(1) as pool:  # Playwright's loop may be running in this thread
        pool.submit(asyncio.run, record()).result()
    track = RecordingTrack.objects.get(recording__recording_id="rec-np", video_id="cam-1")
    assert (prod.media_root / track.path).read_bytes() == data
    served = prod.upstreams_of("/ws/recording/", before + 4)[before:]
    assert len(served) == 4 and len(set(served)) == 1, served  # hashed on the token: one process


@pytest.mark.django_db(transaction=True)
def test_socketio_long_polling_sticks_to_one_process(prod, host):
    """Socket.IO through nginx: an Engine.IO session (long-polling, then the upgrade) stays on the
    process that opened it, and meets a native socket of the same room across processes."""
    import socketio

    from meetings.services.rooms import room_create
    from meetings.tokens import room_token_mint

    room = room_create(owner=host, name="Socket.IO behind nginx")

    def mint(role, name):
        return room_token_mint(tenant_id=room.tenant_id, room_id=room.pk, role=role, name=name)

    async def run():
        got: asyncio.Queue = asyncio.Queue()
        client = socketio.AsyncClient(reconnection=False)
        client.on("*", lambda event, data=None: got.put_nowait((event, data)))
        await client.connect(prod.url, socketio_path="/erizocontroller/socket.io", auth={"token": mint(
            "participant", "Bob")}, transports=["polling"], wait_timeout=10)

        async def next_event(name):
            async with asyncio.timeout(10):
                while True:
                    event, data = await got.get()
                    if event == name:
                        return data

        bob = (await next_event("room_state"))["you"]["id"]
        for n in range(3):  # several long-polls and posts, each through nginx
            await client.call("chat-box", {"msg": f"poll {n}"}, timeout=10)
        url = f"{prod.url.replace('http', 'ws')}/ws/rooms/{room.pk}/?token={mint('host', 'Alice')}"
        async with websockets.connect(url, origin=prod.url) as ws:
            await client.emit("chat-box", {"msg": "to the native socket"})
            async with asyncio.timeout(10):
                while (frame := json.loads(await ws.recv())).get("msg") != "to the native socket":
                    pass
            assert frame["id"] == bob
            await ws.send(json.dumps({"type": "chat-box", "msg": "to Socket.IO"}))
            assert (await next_event("chat-box"))["msg"] == "to Socket.IO"
        await client.eio.disconnect(abort=True)  # (python-engineio's client would wait out a long-poll)

    with ThreadPoolExecutor(1) as pool:  # Playwright's loop may be running in this thread
        pool.submit(asyncio.run, run()).result()
    pattern = re.compile(r'"(?:GET|POST) /erizocontroller/socket\.io/\S*sid=\S* HTTP/1.1" \d+ \d+ '
                         r"upstream=(\S+)")
    served = pattern.findall((prod.run_dir / "nginx-access.log").read_text())
    assert len(served) >= 6 and len(set(served)) == 1, served  # every request of the session: one process
