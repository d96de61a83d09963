"""HTTP benchmark: ``GET /meetings/list/<user>`` (a real REST view: JWT, tenant, database) and a
plain Django JSON view (``/bench/plain``, same middleware, no database), with C concurrent
clients, served by one daphne process or by several behind nginx (deploy/nginx, as
`make run-prod`). The servers are pinned to CPU 0, the load generator (aiohttp) to CPU 1.

    .venv/bin/python bench/http_bench.py --clients 50 --duration 8 --workers 1 --workers 2

Prints one JSON line per run and a table: requests/s, p50/p99 and the ratio to the plain view
served the same way. Not run by CI.
"""

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))

from bench.run import PY, free_port, parley_env, pinned, wait_port  # noqa: E402

SETUP = """
from portal.accounts.models import User
from portal.accounts.tokens import login_token_for
from portal.tenancy import Tenant
from meetings.services.rooms import meeting_create, room_create
tenant = Tenant.objects.get(slug="default")
user = User.objects.filter(email="bench@example.com").first() or User.objects.create_user(
    "bench@example.com", "bench-password-123", tenant=tenant, first_name="Bench")
room = room_create(owner=user, name="bench")
for n in range(20):
    meeting_create(host=user, title=f"Meeting {n}", room=room)
print(user.pk, login_token_for(user))
"""


async def load(url: str, headers: dict, clients: int, duration: float, warmup: float) -> dict:
    import aiohttp

    latencies, errors, done = [], 0, 0
    measuring = False
    stop_at = time.perf_counter() + warmup + duration

    async def worker(session):
        nonlocal errors, done
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            async with session.get(url, headers=headers) as response:
                await response.read()
                ok = response.status == 200
            if measuring:
                done += 1
                latencies.append(time.perf_counter() - t0)
                errors += not ok

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        tasks = [asyncio.create_task(worker(session)) for _ in range(clients)]
        await asyncio.sleep(warmup)
        measuring, t0 = True, time.perf_counter()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
    lat = sorted(latencies)

    def pct(p):
        return round(lat[min(len(lat) - 1, int(len(lat) * p))] * 1000, 1) if lat else None

    return {"requests_per_s": round(done / elapsed, 1), "p50_ms": pct(0.5), "p99_ms": pct(0.99),
            "errors": errors}


def serve(workers: int, env: dict, run_dir: Path) -> tuple[list, int]:
    """One daphne on a port, or ``workers`` daphnes behind nginx; all pinned to CPU 0."""
    procs, upstreams = [], []
    for _ in range(workers):
        port = free_port()
        extra = ["--proxy-headers"] if workers > 1 else []
        proc = subprocess.Popen(pinned(0, [PY, str(BASE / "bench" / "parley_server.py"), str(port), *extra]),
                                cwd=BASE, env=env)
        procs.append(proc)
        wait_port(port, proc)
        upstreams.append(f"127.0.0.1:{port}")
    if workers == 1:
        return procs, port
    from deploy.nginx.render import render

    port = free_port()
    conf = render(run_dir=run_dir, listen=f"127.0.0.1:{port}", static_root=run_dir, upstreams=upstreams)
    nginx = subprocess.Popen(pinned(0, ["nginx", "-p", str(run_dir), "-c", str(conf), "-e",
                                        str(run_dir / "nginx-error.log"), "-g", "daemon off;"]))
    procs.append(nginx)
    wait_port(port, nginx)
    return procs, port


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--workers", type=int, action="append", help="1 = one daphne; N = N behind nginx")
    parser.add_argument("--redis", help="REDIS_URL for the processes (required by nothing on HTTP)")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="parley-http-bench-")
    env = {**parley_env(data_dir, args.redis, "pubsub"), "PARLEY_BENCH_PLAIN": "1"}
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE, env=env, check=True)
    user_id, token = subprocess.run([PY, "manage.py", "shell", "-c", SETUP], cwd=BASE, env=env, check=True,
                                    capture_output=True, text=True).stdout.split()[-2:]
    rows = []
    try:
        for workers in args.workers or [1, 2]:
            procs, port = serve(workers, env, Path(data_dir) / f"nginx-{workers}")
            try:
                for name, path, headers in (
                        ("plain", "/bench/plain", {}),
                        ("meetings/list", f"/meetings/list/{user_id}", {"Authorization": f"Bearer {token}"})):
                    cmd = [PY, "-c", "import asyncio, json, sys; from bench.http_bench import load; "
                           "print(json.dumps(asyncio.run(load(*json.loads(sys.argv[1])))))",
                           json.dumps([f"http://127.0.0.1:{port}{path}", headers, args.clients, args.duration,
                                       args.warmup])]
                    out = subprocess.run(pinned(1, cmd), cwd=BASE, check=True, capture_output=True, text=True)
                    result = {"workers": workers, "view": name, "clients": args.clients,
                              "load": os.getloadavg()[0], **json.loads(out.stdout.strip().splitlines()[-1])}
                    rows.append(result)
                    print(json.dumps(result), flush=True)
            finally:
                for proc in reversed(procs):
                    proc.terminate()
                    proc.wait(10)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    plain = {r["workers"]: r["requests_per_s"] for r in rows if r["view"] == "plain"}
    print("\n| processes | view | requests/s | p50 ms | p99 ms | vs plain view | errors | load (1 min) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        ratio = r["requests_per_s"] / plain[r["workers"]] if plain.get(r["workers"]) else 0
        served = "1 daphne" if r["workers"] == 1 else f"{r['workers']} daphne + nginx"
        print(f"| {served} | {r['view']} | {r['requests_per_s']} | {r['p50_ms']} | {r['p99_ms']} | "
              f"{ratio:.2f}x | {r['errors']} | {r['load']:.1f} |")


if __name__ == "__main__":
    main()
