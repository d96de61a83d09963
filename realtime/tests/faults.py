"""Tools of the fault tests: a private ``redis-server`` on its own free port (never the shared
one), daphne processes that can be killed with SIGKILL and started again on the same port, and
a room client that follows the SDK's reconnect rules (``static/parley/sdk.js``)."""

import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time

import websockets

from tests.live import ARTIFACTS, BASE_DIR, free_port, live_env

REDIS_SERVER = shutil.which("redis-server")

# static/parley/sdk.js: reconnectDelay and the close codes after which it stops.
RECONNECT_BASE_MS = 250
RECONNECT_CAP_MS = 10_000
FINAL_CLOSE_CODES = {4003, 4401, 4403, 4409}


def reconnect_delay(attempt: int) -> float:
    """Seconds before reconnect attempt ``attempt`` (0-based), exactly as the SDK draws it."""
    ceiling = min(RECONNECT_CAP_MS, RECONNECT_BASE_MS * 2 ** min(attempt, 16))
    return (ceiling / 2 + random.random() * ceiling / 2) / 1000  # noqa: S311 - jitter, not secrets


def wait_for_port(port: int, proc: subprocess.Popen, log, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early; see {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on {port}; see {log}") from None
            time.sleep(0.05)


class PrivateRedis:
    """``redis-server`` on a free port, no persistence: a restart comes back empty."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self) -> "PrivateRedis":
        ARTIFACTS.mkdir(exist_ok=True)
        log = ARTIFACTS / f"redis-{self.port}.log"
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--logfile", str(log)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.proc, log)
        return self

    def pause(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()

    def restart_empty(self) -> None:
        self.kill()
        self.start()


class Daphne:
    """``daphne portal.asgi:application`` on a fixed port, killable and restartable."""

    def __init__(self, name: str, env: dict, port: int | None = None):
        self.name = name
        self.env = env
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"
        self.proc = None
        self.starts = 0

    def start(self) -> "Daphne":
        self.starts += 1
        log = ARTIFACTS / f"{self.name}-{self.port}-{self.starts}.log"
        ARTIFACTS.mkdir(exist_ok=True)
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
                 "portal.asgi:application"],
                cwd=BASE_DIR, env=live_env(self.env), stdout=out, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.proc, log)
        return self

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class SdkClient:
    """A room socket client with the SDK's reconnect rules: on a close that is not final it waits
    ``reconnect_delay(attempt)`` and joins again with the same token; ``frames`` gets every frame
    (and ``{"type": "_closed", "code"}`` markers); ``delays`` records every wait."""

    def __init__(self, base_ws: str, room_id: str, token: str):
        self.url = f"{base_ws}/ws/rooms/{room_id}/?token={token}"
        self.frames: asyncio.Queue = asyncio.Queue()
        self.delays: list[float] = []
        self.states: list[dict] = []
        self.seen: list[dict] = []
        self.ws = None
        self.final_code = None
        self._task = None

    @property
    def id(self) -> str:
        return self.states[-1]["you"]["id"]

    async def start(self) -> "SdkClient":
        self._task = asyncio.create_task(self._run())
        await self.next("room_state", timeout=10)
        return self

    async def _run(self) -> None:
        attempt = 0
        while True:
            code = 1006
            try:
                async with websockets.connect(self.url, open_timeout=5, max_size=2**22) as ws:
                    self.ws = ws
                    async for text in ws:
                        frame = json.loads(text)
                        self.seen.append(frame)
                        if frame["type"] == "room_state":
                            self.states.append(frame)
                            attempt = 0
                        await self.frames.put(frame)
            except websockets.ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else 1006
            except (OSError, websockets.InvalidStatus, websockets.InvalidHandshake, TimeoutError):
                code = 1006
            else:
                code = ws.close_code or 1006
            self.ws = None
            await self.frames.put({"type": "_closed", "code": code})
            if code in FINAL_CLOSE_CODES or attempt + 1 >= 40:
                self.final_code = code
                return
            delay = reconnect_delay(attempt)
            self.delays.append(delay)
            attempt += 1
            await asyncio.sleep(delay)

    async def send(self, frame: dict) -> None:
        await self.ws.send(json.dumps(frame))

    async def next(self, kind: str, timeout: float = 5, where=None) -> dict:
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.frames.get()
                if frame["type"] == kind and (where is None or where(frame)):
                    return frame

    def forget(self) -> None:
        """Drop the frames received so far (the next ``next`` waits for a new one)."""
        while not self.frames.empty():
            self.frames.get_nowait()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
