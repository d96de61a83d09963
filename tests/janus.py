"""Real Janus processes for tests: ``scripts/janus-local`` (the repository's configuration) on
a free port with a random API secret, bound to loopback. Skipped when Janus is not installed,
unless ``PARLEY_REQUIRE_JANUS`` (CI) makes that an error."""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.live import ARTIFACTS, BASE_DIR, free_port

JANUS = shutil.which("janus")


def require_janus():
    if JANUS is None:
        if os.environ.get("PARLEY_REQUIRE_JANUS"):
            raise pytest.UsageError("PARLEY_REQUIRE_JANUS is set but janus is not installed")
        pytest.skip("janus is not installed (apt-get install janus janus-tools)")


@dataclass
class Janus:
    url: str
    secret: str
    port: int
    workdir: Path
    proc: subprocess.Popen | None = None

    def start(self) -> "Janus":
        ARTIFACTS.mkdir(exist_ok=True)
        log = open(ARTIFACTS / f"janus-{self.port}.log", "ab")  # noqa: SIM115 - owned by the process
        self.proc = subprocess.Popen(
            [sys.executable, "scripts/janus-local", "--port", str(self.port), f"--secret={self.secret}",
             "--dir", str(self.workdir), "--debug-level", "3"],
            cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"janus exited; see test-artifacts/janus-{self.port}.log")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("janus did not start") from None
                time.sleep(0.1)

    def kill(self) -> None:
        """Kill -9, as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def janus_server(tmp_path: Path, *, secret: str | None = None):
    require_janus()
    port = free_port()
    janus = Janus(url=f"ws://127.0.0.1:{port}/", secret=secret or secrets.token_urlsafe(16), port=port,
                  workdir=tmp_path / f"janus-{port}")
    janus.start()
    try:
        yield janus
    finally:
        janus.stop()
