"""TURN through a real coturn (use-auth-secret): Parley mints time-limited credentials into
the page's ICE servers, and two browsers forced to relay-only meet through it; an expired or
forged credential gets no relay at all."""

import os
import secrets
import shutil
import socket
import subprocess
import time

import pytest

from meetings.services.rooms import meeting_create, room_create
from realtime.media.ice import turn_credential
from tests.browser.test_portal_meeting import PLAYING, expect_connected, log_in
from tests.live import ARTIFACTS, daphne_server, free_port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every RTCPeerConnection of the page may use relayed candidates only.
RELAY_ONLY = """(() => {
  const Original = window.RTCPeerConnection;
  window.RTCPeerConnection = function (config = {}) {
    return new Original({ ...config, iceTransportPolicy: "relay" });
  };
  window.RTCPeerConnection.prototype = Original.prototype;
})();"""

SELECTED_PAIR = """async () => {
  const pc = [...window.parleyRoom.peers.values()][0].pc;
  const stats = await pc.getStats();
  for (const s of stats.values()) {
    if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") {
      return [stats.get(s.localCandidateId).candidateType, stats.get(s.remoteCandidateId).candidateType];
    }
  }
  return null;
}"""

GATHER = """async (server) => {
  const pc = new RTCPeerConnection({ iceServers: [server], iceTransportPolicy: "relay" });
  pc.addTransceiver("audio");
  const types = [];
  pc.onicecandidate = (e) => { if (e.candidate) types.push(e.candidate.type); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && resolve();
    setTimeout(resolve, 8000);
  });
  pc.close();
  return types;
}"""


def udp_port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


@pytest.fixture(scope="module")
def coturn(tmp_path_factory):
    binary = shutil.which("turnserver")
    if binary is None:
        if os.environ.get("PARLEY_REQUIRE_JANUS"):
            raise pytest.UsageError("PARLEY_REQUIRE_JANUS is set but coturn is not installed")
        pytest.skip("coturn is not installed (apt-get install coturn)")
    port, relay, secret = free_port(), free_port(), secrets.token_urlsafe(16)
    work = tmp_path_factory.mktemp("coturn")
    ARTIFACTS.mkdir(exist_ok=True)
    args = [
        binary, "-n", "--listening-ip", "127.0.0.1", "--listening-port", str(port), "--relay-ip", "127.0.0.1",
        "--min-port", str(relay), "--max-port", str(relay + 20), "--realm", "parley.test",
        "--use-auth-secret", "--static-auth-secret", secret, "--allow-loopback-peers",
        "--no-tls", "--no-dtls",
        "--no-cli", "--fingerprint", "--userdb", str(work / "turndb"), "--pidfile", str(work / "turn.pid"),
        "--log-file", str(ARTIFACTS / f"coturn-{port}.log"), "--simple-log",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while not udp_port_taken(port):
            assert proc.poll() is None and time.monotonic() < deadline, "coturn did not start"
            time.sleep(0.1)
        yield {"url": f"turn:127.0.0.1:{port}?transport=udp", "secret": secret}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def turn_url(django_db_setup, django_db_blocker, coturn):
    env = {"TURN_URLS": coturn["url"], "TURN_SECRET": coturn["secret"], "TURN_TTL_SECONDS": "600"}
    with django_db_blocker.unblock(), daphne_server(extra_env=env, name="turn-daphne") as (url, _):
        yield url


def test_two_browsers_meet_through_turn_with_minted_credentials(host, turn_url, coturn, new_page):
    room = room_create(owner=host, name="Behind firewalls")
    meeting = meeting_create(host=host, title="Behind firewalls", room=room)
    host_page, guest = new_page(), new_page()
    for page in (host_page, guest):
        page.add_init_script(RELAY_ONLY)
    log_in(host_page, turn_url, host)
    host_page.goto(f"{turn_url}/meetings/{meeting.pk}/room")
    expect_connected(host_page)
    # The page carries a credential that coturn accepts for TURN_TTL_SECONDS, never the secret.
    servers = host_page.evaluate("() => window.parleyRoom.iceServers")
    (turn,) = [s for s in servers if s["urls"] == [coturn["url"]]]
    expiry, label = turn["username"].split(":", 1)
    assert 590 <= int(expiry) - time.time() <= 610 and label
    assert coturn["secret"] not in host_page.content()

    guest.goto(f"{turn_url}/join/{meeting.invite_code}")
    guest.get_by_label("Your name").fill("Radia Perlman")
    guest.get_by_role("button", name="Join").click()
    expect_connected(guest)
    host_page.wait_for_function(PLAYING, arg="Radia Perlman", timeout=30_000)
    guest.wait_for_function(PLAYING, arg="Alice Tester", timeout=30_000)
    assert host_page.evaluate(SELECTED_PAIR) == ["relay", "relay"]


def test_expired_or_forged_credentials_get_no_relay(turn_url, coturn, new_page):
    page = new_page()
    page.goto(f"{turn_url}/static/parley/embed-example.html")
    good_user, good_password = turn_credential(label="probe", secret=coturn["secret"], ttl=60)
    expired_user, expired_password = turn_credential(label="probe", secret=coturn["secret"], ttl=60,
                                                      now=time.time() - 3600)
    forged_user, forged_password = turn_credential(label="probe", secret="guessed", ttl=60)
    gather = lambda user, password: page.evaluate(  # noqa: E731
        GATHER, {"urls": coturn["url"], "username": user, "credential": password})
    assert "relay" in gather(good_user, good_password)
    assert gather(expired_user, expired_password) == []
    assert gather(forged_user, forged_password) == []
