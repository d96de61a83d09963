"""Fan-out benchmark: Parley's room socket vs a raw ``websockets`` broadcast server vs
python-socketio, side by side, same load generator, same scenarios.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/run.py                      # all servers, both scenarios
    .venv/bin/python bench/run.py --only parley --redis redis://127.0.0.1:6379/9

The server under test is pinned to CPU 0 and the load generator to CPU 1 (``taskset``),
so "one core for the server" holds. Parley runs under daphne on a throwaway SQLite data
directory (and, with ``--redis``, on the Redis pub/sub channel layer). Not run by CI.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
PY = sys.executable
SCENARIOS = {
    "50x4@200": {"clients": 50, "drawers": 4, "rate": 200},
    "200x1@60": {"clients": 200, "drawers": 1, "rate": 60},
    # Offers ~79k deliveries/s: more than any of the three can do on one core (capacity).
    "100x4@200": {"clients": 100, "drawers": 4, "rate": 200},
    # Chat (issue 12): 200 clients, 4 senders x 50 chats/s (~40k deliveries/s offered).
    "chat200x4@50": {"clients": 200, "drawers": 4, "rate": 50, "kind": "chat"},
    "chat200x4@25": {"clients": 200, "drawers": 4, "rate": 25, "kind": "chat"},
    "chat200x4@100": {"clients": 200, "drawers": 4, "rate": 100, "kind": "chat"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(cpu: int, cmd: list[str]) -> list[str]:
    return ["taskset", "-c", str(cpu), *cmd] if shutil.which("taskset") and os.cpu_count() > 1 else cmd


def wait_port(port: int, proc) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited early")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


SETUP = """
from portal.accounts.models import User
from portal.tenancy import Tenant
from meetings.services.rooms import room_create
from meetings.tokens import room_token_mint
tenant = Tenant.objects.get(slug="default")
user = User.objects.filter(email="bench@example.com").first() or User.objects.create_user(
    "bench@example.com", "bench-password-123", tenant=tenant, first_name="Bench")
room = room_create(owner=user, name="bench")
print(room.pk, room_token_mint(tenant_id=tenant.id, room_id=room.pk, role="participant", name="b",
      ttl_seconds=3600))
"""


STORED = "from meetings.models import ChatMessage; print(ChatMessage.objects.count())"


def parley_env(data_dir: str, redis: str | None, layer: str) -> dict:
    env = {**os.environ, "PARLEY_DATA_DIR": data_dir, "SECRET_KEY": "b" * 64, "DJANGO_DEBUG": "false",
           "WS_RATE_PER_SECOND": "1000", "LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    if redis:
        env["REDIS_URL"] = redis
        env["CHANNEL_PREFIX"] = f"bench{os.getpid()}"
    if layer == "core":
        env["PARLEY_BENCH_CORE_LAYER"] = "1"
    return env


def start(kind: str, args) -> tuple[subprocess.Popen, str, object]:
    port = free_port()
    if kind in ("raw", "socketio"):
        proc = subprocess.Popen(pinned(0, [PY, str(BASE / "bench" / "servers.py"), kind, str(port)]))
        wait_port(port, proc)
        path = "/" if kind == "raw" else "/socket.io/?EIO=4&transport=websocket"
        return proc, f"ws://127.0.0.1:{port}{path}", None
    data_dir = tempfile.mkdtemp(prefix="parley-bench-")
    env = parley_env(data_dir, args.redis, args.layer)
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE, env=env, check=True)
    out = subprocess.run([PY, "manage.py", "shell", "-c", SETUP], cwd=BASE, env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    room_id, token = out[-2], out[-1]
    cmd = [PY, os.environ.get("PARLEY_BENCH_SERVER") or str(BASE / "bench" / "parley_server.py"), str(port)]
    proc = subprocess.Popen(pinned(0, cmd), cwd=BASE, env=env)
    wait_port(port, proc)
    if kind == "parley-sio":
        url = f"ws://127.0.0.1:{port}/erizocontroller/socket.io/?EIO=4&transport=websocket&token={token}"
        return proc, url, data_dir
    return proc, f"ws://127.0.0.1:{port}/ws/rooms/{room_id}/?token={token}", data_dir


def measure(kind: str, scenario: dict, args) -> dict:
    proc, url, data_dir = start(kind, args)
    dialect = kind
    try:
        cmd = [PY, str(BASE / "bench" / "loadgen.py"), dialect, url, "--clients", str(scenario["clients"]),
               "--drawers", str(scenario["drawers"]), "--rate", str(scenario["rate"]),
               "--duration", str(args.duration), "--warmup", str(args.warmup),
               "--kind", scenario.get("kind", "stroke")]
        out = subprocess.run(pinned(1, cmd), check=True, capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        if data_dir and scenario.get("kind") == "chat":  # every chat sent is in the database
            env = parley_env(data_dir, args.redis, args.layer)
            count = subprocess.run([PY, "manage.py", "shell", "-c", STORED], cwd=BASE, env=env, check=True,
                                   capture_output=True, text=True).stdout.split()[-1]
            result["stored"] = int(count)
        return result
    finally:
        proc.terminate()
        proc.wait(10)
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", action="append", choices=["raw", "socketio", "parley", "parley-sio"])
    parser.add_argument("--scenario", action="append", choices=list(SCENARIOS))
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=15,
                        help="seconds between the last join and measuring (join announcements drain)")
    parser.add_argument("--redis", help="run Parley on the Redis channel layer at this URL")
    parser.add_argument("--layer", choices=["pubsub", "core"], default="pubsub")
    args = parser.parse_args()
    kinds = args.only or ["raw", "socketio", "parley"]
    results = {}
    for name in args.scenario or ["50x4@200", "200x1@60"]:
        for kind in kinds:
            r = measure(kind, SCENARIOS[name], args)
            results[(name, kind)] = r
            print(json.dumps({"scenario": name, "server": kind, **r}), flush=True)
    print()
    print("| scenario | server | expected msg/s | delivered msg/s | p50 ms | p99 ms | vs raw | vs socketio "
          "| lost | sent / acked / stored |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (name, kind), r in results.items():
        raw = results.get((name, "raw"), {}).get("delivered_per_s")
        sio = results.get((name, "socketio"), {}).get("delivered_per_s")
        ratio_raw = f"{r['delivered_per_s'] / raw:.2f}x" if raw else "-"
        ratio_sio = f"{r['delivered_per_s'] / sio:.2f}x" if sio else "-"
        print(f"| {name} | {kind} | {r['expected_per_s']} | {r['delivered_per_s']} | {r['p50_ms']} | "
              f"{r['p99_ms']} | {ratio_raw} | {ratio_sio} | {r.get('lost', '-')} | "
              f"{r.get('sent_total', '-')} / {r.get('acked', '-')} / {r.get('stored', '-')} |")


if __name__ == "__main__":
    main()
