"""Fixtures of the media plane's browser tests: two real Janus processes, a daphne (and a worker) that
know both, and helpers that read what a page receives and sends.

Fake media is scaled down to 640×360 at 15 fps in every page (an init script wraps
getUserMedia) so several Chromium pages fit on a 2-core machine; the SDK's own constraints
are what a real user gets.
"""

import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.janus import Janus, janus_server, require_janus
from tests.live import daphne_server, live_process, worker_command

SMALL_CAMERA = """
(() => {
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints = {}) => {
    if (constraints.video) {
      const base = typeof constraints.video === "object" ? constraints.video : {};
      const small = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { max: 15 } };
      constraints = { ...constraints, video: { ...base, ...small } };
    }
    return original(constraints);
  };
})();
"""

# Remote camera tiles of a room page that play live video (frames decoded).
REMOTE_PLAYING = """() => [...document.querySelectorAll("figure.tile[data-kind='camera']:not(.local)")]
  .filter(f => { const v = f.querySelector("video"); return v && v.videoWidth > 0 && v.readyState >= 2; })
  .map(f => f.getAttribute("aria-label"))"""

# What this page sends: every outbound video RTP stream, with the connection and mid it belongs to.
OUTBOUND_VIDEO = """async () => {
  const room = window.parleyRoom;
  const pcs = [...room.sfu.connections(), ...[...room.peers.values()].map(p => p.pc)];
  const out = [];
  for (const [index, pc] of pcs.entries()) {
    const stats = await pc.getStats();
    for (const s of stats.values()) {
      if (s.type !== "outbound-rtp" || s.kind !== "video") continue;
      out.push({pc: index, mid: s.mid, rid: s.rid || null, bytes: s.bytesSent, frames: s.framesEncoded || 0});
    }
  }
  const senders = pcs.flatMap(pc => pc.getSenders()).filter(s => s.track && s.track.kind === "video").length;
  return {streams: out, senders, connections: pcs.length, path: room.media.path};
}"""

WATCH_WARNINGS = """() => { window.__warnings = [];
  window.parleyRoom.on("warning", w => window.__warnings.push(w.where + ": " + w.error)); }"""

MEDIA_LOG = """() => { window.__media = [];
  window.parleyRoom.on("media", m => window.__media.push({...m})); }"""


def janus_list(janus: Janus) -> list[dict]:
    """Janus' own list of its rooms (private ones too: the admin key is Parley's secret)."""
    import asyncio

    from realtime.media.janus import JanusServer

    async def ask():
        server = JanusServer(janus.url, secret=janus.secret)
        try:
            return (await server._admin({"request": "list"}))["list"]
        finally:
            await server.close()

    # Playwright's sync API keeps an event loop running in this thread: ask from another one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, ask()).result(timeout=30)


@pytest.fixture(scope="module")
def janus_pair(tmp_path_factory):
    """Two Janus servers with one API secret (as several machines of one deployment)."""
    require_janus()
    secret = secrets.token_urlsafe(16)
    base = tmp_path_factory.mktemp("janus")
    with janus_server(base, secret=secret) as a, janus_server(base, secret=secret) as b:
        yield a, b


@pytest.fixture(scope="module")
def sfu_env(janus_pair, tmp_path_factory):
    a, b = janus_pair
    return {
        "JANUS_URL": f"{a.url},{b.url}", "JANUS_API_SECRET": a.secret, "MESH_MAX_PARTICIPANTS": "4",
        "JANUS_RECORDINGS_DIR": str(tmp_path_factory.mktemp("janus-recordings")),
        "DJANGO_SETTINGS_MODULE": "meetings.tests.recording_live_settings",
    }


@pytest.fixture(scope="module")
def sfu_url(django_db_setup, django_db_blocker, sfu_env):
    """A daphne and a worker that use both Janus servers (rooms spread across them)."""
    with django_db_blocker.unblock(), daphne_server(extra_env=sfu_env, name="sfu-daphne") as (url, _), \
            live_process(worker_command(), name="sfu-worker", extra_env=sfu_env):
        yield url


@pytest.fixture
def small_camera_page(new_page):
    def make(**kwargs):
        page = new_page(**kwargs)
        page.add_init_script(SMALL_CAMERA)
        return page

    return make


def wait_for_remote_videos(page, count: int, timeout: float = 45_000):
    try:
        page.wait_for_function(f"() => ({REMOTE_PLAYING})().length >= {count}", timeout=timeout)
    except Exception:
        raise AssertionError(f"expected {count} remote videos, have {page.evaluate(REMOTE_PLAYING)}; "
                             f"{page.evaluate(DIAGNOSIS)}") from None
    return page.evaluate(REMOTE_PLAYING)


DIAGNOSIS = """() => { const r = window.parleyRoom;
  return {me: r.me && r.me.id, status: r.status, media: r.media,
  sfu: r.sfu.connections().map(pc => [pc.connectionState, pc.iceConnectionState, pc.signalingState,
    pc.iceGatheringState, pc.remoteDescription && pc.remoteDescription.type]), peers: r.peers.size,
  warnings: (window.__warnings || []).slice(-10),
  remotes: r.remoteStreams().map(s => [s.participantId, s.kind, s.mediaStream.getTracks().length]),
  participants: [...r.participants.values()].map(p => [p.username, p.feed])}; }"""


def wait_until(predicate, *, timeout: float = 60.0, interval: float = 0.25, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)

