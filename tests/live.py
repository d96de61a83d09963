"""Real servers for tests that cross processes: daphne subprocesses sharing the test
database (and, when given, a Redis channel layer) with the test process."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
ARTIFACTS = BASE_DIR / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_url() -> str:
    """A DATABASE_URL naming the test database this process is using right now."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def live_env(extra_env: dict | None = None) -> dict:
    """The environment of a subprocess that must share this test's database, key and files."""
    return {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DJANGO_DEBUG": "false",
        **(extra_env or {}),
    }


@contextmanager
def live_process(args: list[str], *, name: str, extra_env: dict | None = None):
    """Run ``args`` in the project directory with ``live_env``, logging to test-artifacts/;
    terminated (then killed) on exit. Yields the process and its log path."""
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"{name}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            args, cwd=BASE_DIR, env=live_env(extra_env), stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield proc, log_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def worker_command() -> list[str]:
    return [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay",
            "--no-reload"]


@contextmanager
def daphne_server(*, extra_env: dict | None = None, name: str = "daphne"):
    """Start ``daphne portal.asgi:application`` on a free port; yields its base URL."""
    port = free_port()
    args = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "portal.asgi:application"]
    with live_process(args, name=f"{name}-{port}", extra_env=extra_env) as (proc, log_path):
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"daphne exited early; see {log_path}:\n{log_path.read_text()[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"daphne did not start; see {log_path}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", proc
