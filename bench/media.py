"""Media-plane benchmark: the browser mesh against the SFU (Janus), and one publisher to
many subscribers through Janus. Not run by CI; results go into docs/benchmarks.md.

    .venv/bin/pip install -r bench/requirements.txt      # aiortc for the subscribers
    .venv/bin/python bench/media.py mesh-vs-sfu --sizes 2,4,6
    ffmpeg -f lavfi -i testsrc2=size=640x360:rate=15 -t 10 -pix_fmt yuv420p /tmp/cam.y4m
    .venv/bin/python bench/media.py mesh-vs-sfu --sizes 2,4,6 --camera-file /tmp/cam.y4m
    .venv/bin/python bench/media.py fanout --subscribers 10,25,50

- ``mesh-vs-sfu``: N Chromium pages (one browser, one context each, fake 640×360 camera at
  15 fps) join a room through the SDK, first a ``p2p`` room on the mesh, then a ``p2p: false``
  room on the SFU (simulcast on; ``--no-simulcast`` for one layer). After a warm-up, a window
  measures every page's outbound video bitrate (``getStats``), the frames each page decodes,
  the CPU of all Chromium processes (reported per page) and of Janus.
- ``fanout``: one Chromium page publishes in a webinar; K aiortc clients join as viewers over
  the real room socket, subscribe through Parley's ``sfu-*`` signalling and decode what they
  get. Measured: Janus' CPU, each subscriber's inbound bitrate and decoded frames, and how many
  subscribers froze (a second of the window with no frame).

Janus (``scripts/janus-local``), daphne and a throwaway SQLite data directory are started
here; CPU comes from ``/proc/<pid>/stat``.
"""

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))
TICK = os.sysconf("SC_CLK_TCK")
# Django's ORM (tokens) runs beside Playwright's sync API, which keeps an event loop in this thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
_CONFTEST = (BASE / "tests/browser/sfu/conftest.py").read_text()
SMALL_CAMERA = _CONFTEST.split('SMALL_CAMERA = """')[1].split('"""')[0]
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                  "--autoplay-policy=no-user-gesture-required"]

JOIN = """async ({token, simulcast}) => {
  const { Room, Stream } = await import("/static/parley/sdk.js");
  const room = new Room({ token, simulcast });
  window.parleyRoom = room;
  room.on("stream-added", (remote) => {
    const video = document.createElement("video");
    video.muted = true; video.autoplay = true; video.playsInline = true;
    video.srcObject = room.subscribe(remote);
    document.body.append(video);
  });
  await room.connect();
  room.publish(await new Stream({ audio: true, video: true }).init());
}"""

STATS = """async () => {
  const room = window.parleyRoom;
  const pcs = [...room.sfu.connections(), ...[...room.peers.values()].map(p => p.pc)];
  let sent = 0, decoded = 0, received = 0, layers = 0;
  for (const pc of pcs) {
    for (const s of (await pc.getStats()).values()) {
      if (s.type === "outbound-rtp" && s.kind === "video") { sent += s.bytesSent; layers += 1; }
      if (s.type !== "inbound-rtp" || s.kind !== "video") continue;
      decoded += s.framesDecoded || 0; received += s.bytesReceived;
    }
  }
  const playing = [...document.querySelectorAll("video")].filter(v => v.videoWidth > 0).length;
  return { sent, decoded, received, layers, playing, path: room.media.path };
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pids) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return total / TICK


def descendants(root: int, name: str) -> list[int]:
    children: dict[int, list[int]] = {}
    comm: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            pid = int(entry.name)
            comm[pid] = stat.split("(", 1)[1].rsplit(")", 1)[0]
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(pid)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            todo.append(child)
            if name in comm.get(child, ""):
                found.append(child)
    return found


def wait_port(port: int, proc, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited early")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not start")


class Stack:
    """Janus + daphne on a throwaway data directory, and the Django setup to mint tokens."""

    def __init__(self, mesh_max: int):
        self.dir = Path(tempfile.mkdtemp(prefix="parley-media-bench-"))
        self.secret = secrets.token_urlsafe(16)
        self.janus_port, self.port = free_port(), free_port()
        self.env = {**os.environ, "PARLEY_DATA_DIR": str(self.dir), "SECRET_KEY": secrets.token_urlsafe(50),
                    "JANUS_URL": f"ws://127.0.0.1:{self.janus_port}/", "JANUS_API_SECRET": self.secret,
                    "MESH_MAX_PARTICIPANTS": str(mesh_max), "DJANGO_SETTINGS_MODULE": "portal.settings",
                    "WS_RATE_PER_SECOND": "5000"}
        self.env.pop("DATABASE_URL", None)
        self.env.pop("REDIS_URL", None)

    def __enter__(self):
        os.environ.update(self.env)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        self.janus = subprocess.Popen(
            [sys.executable, "scripts/janus-local", "--port", str(self.janus_port), f"--secret={self.secret}",
             "--dir", str(self.dir / "janus"), "--debug-level", "2"],
            cwd=BASE, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_port(self.janus_port, self.janus, "janus")
        self.daphne = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "--verbosity", "0",
             "portal.asgi:application"], cwd=BASE, env=self.env, stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT)
        wait_port(self.port, self.daphne, "daphne")
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    def __exit__(self, *exc):
        for proc in (self.daphne, self.janus):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()

    def room(self, **kwargs):
        from meetings.services.rooms import room_create
        from portal.accounts.models import User
        from portal.tenancy import Tenant

        tenant = Tenant.objects.first()
        owner = User.objects.filter(email="bench@example.com").first() or User.objects.create_user(
            "bench@example.com", secrets.token_urlsafe(12), tenant=tenant, first_name="Bench",
            last_name="Host")
        return room_create(owner=owner, name="bench", **kwargs)

    def token(self, room, role: str, name: str) -> str:
        from meetings.tokens import room_token_mint

        return room_token_mint(tenant_id=room.tenant_id, room_id=room.pk, role=role, name=name)


def mesh_vs_sfu(args) -> list[dict]:
    from playwright.sync_api import sync_playwright

    results = []
    sizes = [int(n) for n in args.sizes.split(",")]
    with Stack(mesh_max=max(sizes)) as stack, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_FLAGS)
        chromium = descendants(os.getpid(), "chrom")
        for n in sizes:
            for path in ("mesh", "sfu"):
                room = stack.room(p2p=path == "mesh")
                contexts = [browser.new_context(permissions=["camera", "microphone"]) for _ in range(n)]
                pages = []
                for i, context in enumerate(contexts):
                    context.add_init_script(SMALL_CAMERA)
                    page = context.new_page()
                    page.goto(f"{stack.url}/static/parley/embed-example.html")
                    page.evaluate(JOIN, {"token": stack.token(room, "participant", f"p{i}"),
                                         "simulcast": not args.no_simulcast})
                    pages.append(page)
                playing = (f"() => document.querySelectorAll('video').length >= {n - 1} && "
                           "[...document.querySelectorAll('video')].every(v => v.videoWidth > 0)")
                for page in pages:
                    page.wait_for_function(playing, timeout=90_000)
                time.sleep(args.warmup)
                chromium = descendants(os.getpid(), "chrom")
                before = [page.evaluate(STATS) for page in pages]
                cpu0, janus0, t0 = cpu_seconds(chromium), cpu_seconds([stack.janus.pid]), time.monotonic()
                time.sleep(args.window)
                after = [page.evaluate(STATS) for page in pages]
                elapsed = time.monotonic() - t0
                cpu1, janus1 = cpu_seconds(chromium), cpu_seconds([stack.janus.pid])
                pairs = list(zip(after, before, strict=True))
                upload = [(a["sent"] - b["sent"]) * 8 / elapsed / 1000 for a, b in pairs]
                fps = [(a["decoded"] - b["decoded"]) / elapsed / max(1, n - 1) for a, b in pairs]
                row = {
                    "scenario": "mesh-vs-sfu", "path": after[0]["path"], "pages": n,
                    "upload_kbps_per_page": round(sum(upload) / n), "upload_kbps_max": round(max(upload)),
                    "outbound_video_streams_per_page": after[0]["layers"],
                    "decoded_fps_per_remote": round(sum(fps) / n, 1),
                    "chromium_cpu_percent_per_page": round((cpu1 - cpu0) / elapsed * 100 / n, 1),
                    "janus_cpu_percent": round((janus1 - janus0) / elapsed * 100, 1),
                    "simulcast": not args.no_simulcast, "window_s": round(elapsed, 1),
                }
                print(json.dumps(row), flush=True)
                results.append(row)
                for context in contexts:
                    context.close()
                time.sleep(3)
        browser.close()
    return results


def fanout(args) -> list[dict]:
    from playwright.sync_api import sync_playwright

    results = []
    counts = [int(n) for n in args.subscribers.split(",")]
    with Stack(mesh_max=4) as stack, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_FLAGS)
        for k in counts:
            room = stack.room(type="webinar")
            context = browser.new_context(permissions=["camera", "microphone"])
            context.add_init_script(SMALL_CAMERA)
            page = context.new_page()
            page.goto(f"{stack.url}/static/parley/embed-example.html")
            page.evaluate(JOIN, {"token": stack.token(room, "host", "Speaker"),
                                 "simulcast": not args.no_simulcast})
            page.wait_for_function("() => window.parleyRoom.sfu.pub?.pc.connectionState === 'connected'")
            tokens = [stack.token(room, "viewer", f"v{i}") for i in range(k)]
            # aiortc runs in an event loop of its own thread (Playwright's sync API holds this one).
            with ThreadPoolExecutor(max_workers=1) as pool:
                job = _subscribers(stack, room, tokens, args, stack.janus.pid)
                row = pool.submit(asyncio.run, job).result()
            row.update(scenario="fanout", subscribers=k, simulcast=not args.no_simulcast)
            print(json.dumps(row), flush=True)
            results.append(row)
            context.close()
            time.sleep(3)
        browser.close()
    return results


async def _subscribers(stack, room, tokens, args, janus_pid) -> dict:
    from bench.media_subscriber import Subscriber

    subs = [Subscriber(f"ws://127.0.0.1:{stack.port}/ws/rooms/{room.pk}/?token={t}") for t in tokens]
    started = time.monotonic()
    await asyncio.gather(*(s.start() for s in subs))
    await asyncio.wait_for(asyncio.gather(*(s.first_frame.wait() for s in subs)), timeout=120)
    joined_s = time.monotonic() - started
    await asyncio.sleep(args.warmup)
    for s in subs:
        s.window_start()
    janus0, client0, t0 = cpu_seconds([janus_pid]), cpu_seconds([os.getpid()]), time.monotonic()
    await asyncio.sleep(args.window)
    elapsed = time.monotonic() - t0
    janus1, client1 = cpu_seconds([janus_pid]), cpu_seconds([os.getpid()])
    stats = [await s.window_end(elapsed) for s in subs]
    await asyncio.gather(*(s.stop() for s in subs))
    kbps = sorted(st["kbps"] for st in stats)
    fps = sorted(st["fps"] for st in stats)
    return {
        "janus_cpu_percent": round((janus1 - janus0) / elapsed * 100, 1),
        "subscriber_process_cpu_percent": round((client1 - client0) / elapsed * 100, 1),
        "kbps_per_subscriber_median": round(kbps[len(kbps) // 2]), "kbps_per_subscriber_min": round(kbps[0]),
        "fps_median": round(fps[len(fps) // 2], 1), "fps_min": round(fps[0], 1),
        "frames_received_total": sum(st["frames"] for st in stats),
        "frozen_subscribers": sum(1 for st in stats if st["frozen"]),
        "all_subscribed_after_s": round(joined_s, 1), "window_s": round(elapsed, 1),
    }


def main() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=["mesh-vs-sfu", "fanout"])
    parser.add_argument("--sizes", default="2,4,6")
    parser.add_argument("--subscribers", default="10,25,50")
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--window", type=float, default=20)
    parser.add_argument("--no-simulcast", action="store_true")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--out", help="append the rows (JSON lines) to this file")
    parser.add_argument("--camera-file", help="a .y4m the fake camera plays instead of Chromium's built-in "
                        "pattern (whose near-static picture leaves simulcast encoders far below target)")
    args = parser.parse_args()
    if args.camera_file:
        CHROMIUM_FLAGS.append(f"--use-file-for-fake-video-capture={args.camera_file}")
    rows = mesh_vs_sfu(args) if args.scenario == "mesh-vs-sfu" else fanout(args)
    if args.out:
        with open(args.out, "a") as f:
            for row in rows:
                f.write(json.dumps({**row, "at": time.strftime("%Y-%m-%d %H:%M"),
                                    "load": os.getloadavg()[0]}) + "\n")


if __name__ == "__main__":
    main()
