"""Idle cost and join storm of the room socket (issue 12). Not run by CI.

    .venv/bin/python bench/rooms_bench.py idle --sockets 1000 --window 20
    .venv/bin/python bench/rooms_bench.py storm --joins 200 --over 2

idle: one Parley process (daphne, pinned to CPU 0) gets N room sockets (a load generator on
CPU 1 holds them open and answers nothing); after they settle, the server's CPU time over
``--window`` seconds and its RSS growth per socket are read from /proc.
storm: N clients join one room spread over ``--over`` seconds; reported: the time from the first
join until every client's roster (room_state + room_connected/room_disconnected) counts all N,
then a host's ``mute-all-participants`` and its delivery p50/p99/max to all N.
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
from portal.tenancy import Tenant
from meetings.services.rooms import room_create
from meetings.tokens import room_token_mint
tenant = Tenant.objects.get(slug="default")
user = User.objects.filter(email="bench@example.com").first() or User.objects.create_user(
    "bench@example.com", "bench-password-123", tenant=tenant, first_name="Bench")
room = room_create(owner=user, name="bench")
print(room.pk, room_token_mint(tenant_id=tenant.id, room_id=room.pk, role="host", name="h", ttl_seconds=3600))
"""


def proc_stats(pid: int) -> tuple[float, int]:
    """(CPU seconds used, RSS bytes) of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    return cpu, rss


async def hold(url: str, count: int, seconds: float, ready_file: str) -> None:
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        sockets = []
        for _ in range(count):
            ws = await session.ws_connect(url, autoping=True, compress=0)
            await ws.receive()  # room_state
            sockets.append(ws)

        async def drain(ws):  # read (and drop) whatever arrives: presence frames of later joiners
            async for _ in ws:
                pass

        readers = [asyncio.create_task(drain(ws)) for ws in sockets]
        Path(ready_file).write_text("ready")
        await asyncio.sleep(seconds)
        for task in readers:
            task.cancel()
        for ws in sockets:
            await ws.close()


async def storm(url: str, joins: int, over: float) -> dict:
    import aiohttp

    t0 = time.perf_counter()
    complete: list[float] = []
    muted: list[float] = []
    all_in = asyncio.Event()
    mute_sent = [0.0]

    first: list = []

    async def one(session, index):
        await asyncio.sleep(over * index / joins)
        async with session.ws_connect(url, autoping=True, compress=0) as ws:
            if index == 0:
                first.append(ws)
            state = json.loads((await ws.receive()).data)
            roster = {p["id"] for p in state["participants"]}
            done = False

            def check():
                nonlocal done
                if not done and len(roster) >= joins:
                    done = True
                    complete.append(time.perf_counter() - t0)
                    if len(complete) == joins:
                        all_in.set()

            check()
            async for msg in ws:
                frame = json.loads(msg.data)
                if frame["type"] == "room_connected":
                    roster.add(frame["id"])
                    check()
                elif frame["type"] == "room_disconnected":
                    roster.discard(frame["id"])
                elif frame["type"] == "mute-all-participants":
                    muted.append(time.perf_counter() - mute_sent[0])
                    return

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        tasks = [asyncio.create_task(one(session, i)) for i in range(joins)]
        try:
            await asyncio.wait_for(all_in.wait(), 60)
        except TimeoutError:
            pass
        mute_sent[0] = time.perf_counter()
        await first[0].send_str(json.dumps({"type": "mute-all-participants"}))
        await asyncio.wait(tasks, timeout=20)
        for task in tasks:
            task.cancel()
    lat = sorted(muted)

    def pct(p):
        return round(lat[min(len(lat) - 1, int(len(lat) * p))] * 1000, 1) if lat else None

    return {"joins": joins, "over_s": over, "rosters_complete": len(complete),
            "all_rosters_agree_s": round(max(complete), 3) if len(complete) == joins else None,
            "mute_all_delivered": len(muted), "mute_all_p50_ms": pct(0.5), "mute_all_p99_ms": pct(0.99),
            "mute_all_max_ms": pct(1.0)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["idle", "storm"])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--window", type=float, default=20)
    parser.add_argument("--joins", type=int, default=200)
    parser.add_argument("--over", type=float, default=2)
    parser.add_argument("--redis")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="parley-rooms-bench-")
    env = {**parley_env(data_dir, args.redis, "pubsub"), "WS_RATE_PER_SECOND": "1000"}
    try:
        subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE, env=env, check=True)
        room_id, token = subprocess.run([PY, "manage.py", "shell", "-c", SETUP], cwd=BASE, env=env,
                                        check=True, capture_output=True, text=True).stdout.split()[-2:]
        port = free_port()
        server = subprocess.Popen(pinned(0, [PY, str(BASE / "bench" / "parley_server.py"), str(port)]),
                                  cwd=BASE, env=env)
        wait_port(port, server)
        url = f"ws://127.0.0.1:{port}/ws/rooms/{room_id}/?token={token}"
        try:
            if args.what == "idle":
                result = idle(server, url, args)
            else:
                code = ("import asyncio, json, sys; from bench.rooms_bench import storm; print(json.dumps("
                        "asyncio.run(storm(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))))")
                out = subprocess.run(pinned(1, [PY, "-c", code, url, str(args.joins), str(args.over)]),
                                     cwd=BASE, check=True, capture_output=True, text=True)
                result = json.loads(out.stdout.strip().splitlines()[-1])
        finally:
            server.terminate()
            server.wait(10)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(json.dumps({**result, "redis": bool(args.redis), "load": os.getloadavg()[0]}))


def idle(server, url: str, args) -> dict:
    time.sleep(2)
    _, rss0 = proc_stats(server.pid)
    ready = Path(tempfile.mktemp(prefix="parley-idle-"))
    code = ("import asyncio, sys; from bench.rooms_bench import hold; "
            "asyncio.run(hold(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]))")
    holder = subprocess.Popen(pinned(1, [PY, "-c", code, url, str(args.sockets), str(args.window + 60),
                                         str(ready)]), cwd=BASE)
    try:
        deadline = time.monotonic() + 240
        while not ready.exists():
            if holder.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the sockets did not all join")
            time.sleep(0.2)
        time.sleep(5)  # the joins' presence frames drain
        cpu0, _ = proc_stats(server.pid)
        time.sleep(args.window)
        cpu1, rss1 = proc_stats(server.pid)
    finally:
        holder.terminate()
        holder.wait(10)
        ready.unlink(missing_ok=True)
    return {"sockets": args.sockets, "cpu_percent_of_a_core": round(100 * (cpu1 - cpu0) / args.window, 2),
            "rss_per_socket_kib": round((rss1 - rss0) / args.sockets / 1024, 1),
            "rss_mib": round(rss1 / 2**20, 1)}


if __name__ == "__main__":
    main()
