"""Recording in the room, end to end: a host records the meeting in the browser (one composed
view), everyone sees the indicator with the elapsed time, a real ``db_worker`` renders the MP4,
and it plays in a ``<video>`` for as long as the recording ran — also when the recording
socket suffered a network blip in the middle."""

import json
import re
import time
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from meetings.models import Recording, RecordingTrack
from meetings.services.rooms import meeting_schedule
from portal.accounts.tokens import login_token_for
from tests.blip_proxy import blip_proxy
from tests.browser.test_portal_meeting import expect_connected, join_as_guest, log_in
from tests.live import daphne_server, live_process, worker_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE_SETTINGS = {"DJANGO_SETTINGS_MODULE": "meetings.tests.recording_live_settings",
                 "PARLEY_TEST_RECORDING_LEASE": "60"}
RECORD_SECONDS = 5


@pytest.fixture(scope="module")
def media_env(tmp_path_factory):
    """One MEDIA_ROOT for the server and the workers: spool files and the rendered MP4s."""
    return {**LIVE_SETTINGS, "MEDIA_ROOT": str(tmp_path_factory.mktemp("media"))}


@pytest.fixture(scope="module")
def media_daphne(django_db_setup, django_db_blocker, media_env):
    with django_db_blocker.unblock(), daphne_server(extra_env=media_env, name="media-daphne") as (url, _proc):
        yield url


@pytest.fixture
def media_server(media_daphne, media_env):
    """The server, and a worker of this test's own: it ends with the test, before the test's
    rows are flushed, so no task outlives the rows it works on."""
    with live_process(worker_command(), name="media-worker", extra_env=media_env):
        yield media_daphne


def schedule_meeting(host, title):
    return meeting_schedule(host=host, title=title, scheduled_start=timezone.now() + timedelta(minutes=5),
                            duration_minutes=30)


def recorder(page, expression: str):
    return page.evaluate(f"() => window.parleyRecorder && window.parleyRecorder.{expression}")


def record(page, seconds: float, during=None) -> float:
    """Click Record, keep recording ``seconds`` (calling ``during()`` meanwhile), click Stop
    recording; returns how long the browser recorded."""
    page.get_by_role("button", name="Record", exact=True).click()
    stop = page.get_by_role("button", name="Stop recording", exact=True)
    expect(stop).to_be_enabled(timeout=15_000)
    page.wait_for_function("() => window.parleyRecorder && window.parleyRecorder.acked > 0")
    # "Stop recording" is clicked in the page at the planned moment, while the test looks around:
    # a slow test machine must not lengthen the recording.
    stop.evaluate("(button, ms) => { setTimeout(() => button.click(),"
                  " Math.max(0, ms - (Date.now() - window.parleyRecorder.startedAt))); }", seconds * 1000)
    if during:
        during()
    expect(page.get_by_role("button", name="Record", exact=True)).to_be_enabled(timeout=30_000)
    return (recorder(page, "stoppedAt") - recorder(page, "startedAt")) / 1000


def wait_until_processed(recording_id: str, timeout: float = 180) -> Recording:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        recording = Recording.objects.filter(recording_id=recording_id).first()
        if recording and recording.processing in (Recording.Processing.READY, Recording.Processing.FAILED):
            assert recording.processing == Recording.Processing.READY, recording.error
            return recording
        time.sleep(0.5)
    raise AssertionError(f"recording {recording_id} was not processed in {timeout} s")


def played_duration(page, base_url: str, meeting, rid: str) -> float:
    """Open the meeting page, play the recording's own <video> there (as its host) and return
    the duration the browser reads."""
    page.goto(f"{base_url}/meetings/{meeting.pk}")
    video = page.locator(f'[data-recording-id="{rid}"] video')
    expect(video).to_be_visible()
    return video.evaluate("""async (video) => {
      video.muted = true;
      if (video.readyState < 1) {
        await new Promise((resolve, reject) => { video.onloadedmetadata = resolve; video.onerror = reject; });
      }
      await video.play();
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (video.currentTime <= 0) throw new Error("the recording does not play");
      return video.duration;
    }""")


def recording_id(page) -> str:
    return recorder(page, "recordingId")


def test_host_records_five_seconds_everyone_sees_it_and_the_recording_plays(
    media_server, page, host, new_page, screenshot
):
    meeting = schedule_meeting(host, "Recorded standup")
    log_in(page, media_server, host)
    page.goto(f"{media_server}/meetings/{meeting.pk}/room")
    expect_connected(page)
    guest = new_page()
    join_as_guest(guest, f"{media_server}/join/{meeting.invite_code}", "Grace Hopper")
    expect(guest.get_by_role("button", name="Record", exact=True)).to_be_hidden()

    def everyone_sees_the_indicator():
        for who in (page, guest):
            indicator = who.locator("[data-recording-indicator]")
            expect(indicator).to_be_visible()
            expect(indicator).to_contain_text(re.compile(r"Recording 0:0\d"))
        guest.wait_for_function(
            "() => /0:0[1-9]/.test(document.querySelector('[data-recording-elapsed]').textContent)")
        screenshot(guest, "recording-guest")
        screenshot(page, "recording-host")

    length = record(page, RECORD_SECONDS, during=everyone_sees_the_indicator)
    assert RECORD_SECONDS <= length < RECORD_SECONDS + 2.5, length  # Stop may run late on a busy machine
    expect(guest.locator("[data-recording-indicator]")).to_be_hidden()
    rid = recording_id(page)
    row = Recording.objects.get(recording_id=rid)
    assert row.stopped and row.room_id == meeting.room_id and row.host_name == page.evaluate(
        "() => window.parleyRoom.me.username")
    meeting.refresh_from_db()
    assert rid in meeting.recording_ids

    recording = wait_until_processed(rid)
    duration = played_duration(page, media_server, meeting, rid)
    screenshot(page, "recording-playback")
    assert abs(duration - length) < 1, (duration, length)
    assert abs(recording.duration - length) < 1


def test_a_blip_on_the_recording_socket_loses_nothing(media_server, page, host, screenshot):
    meeting = schedule_meeting(host, "Flaky network")
    port = int(media_server.rsplit(":", 1)[1])
    with blip_proxy(port) as proxy:
        base = f"http://127.0.0.1:{proxy.port}"
        log_in(page, base, host)
        page.goto(f"{base}/meetings/{meeting.pk}/room")
        expect_connected(page)

        def blip():
            # The socket is open and has chunks acknowledged (on a loaded machine that can take
            # longer than the first two seconds of recording).
            page.wait_for_function("() => { const r = window.parleyRecorder;"
                                   " return r && r.socket && r.ready && r.acked > 0; }", timeout=15000)
            page.wait_for_timeout(1000)
            assert proxy.blip("/ws/recording/", stall=1.5) == 1, [c["path"] for c in proxy.conns]
            page.wait_for_function("() => { const r = window.parleyRecorder;"
                                   " return r.attempt === 0 && r.acked > 0 && r.socket && r.ready; }")
            screenshot(page, "recording-after-blip")

        resumes = []
        page.expose_function("noteResume", lambda info: resumes.append(info))
        page.get_by_role("button", name="Record", exact=True).wait_for()
        page.evaluate("""() => {
          const button = document.querySelector("[data-record]");
          button.addEventListener("click", () => setTimeout(() =>
            window.parleyRecorder.on("resumed", (info) => window.noteResume(info)), 0), { once: true });
        }""")
        length = record(page, 7, during=blip)
        produced = recorder(page, "produced")
        rid = recording_id(page)

    # The server lost what was in flight during the stall; the recorder resent it from there.
    assert proxy.dropped_bytes > 0
    assert len(resumes) == 1 and resumes[0]["bytes"] < resumes[0]["sent"], resumes
    track = RecordingTrack.objects.get(recording__recording_id=rid)
    assert track.bytes == produced  # every byte the browser recorded, once
    recording = wait_until_processed(rid)
    assert abs(recording.duration - length) < 1, (recording.duration, length)
    assert abs(played_duration(page, media_server, meeting, rid) - length) < 1


def test_rest_stop_ends_the_recording_the_host_page_is_capturing(media_server, page, host):
    """REST and the room agree: /recording/stop announces it, and the capturing page finishes
    the upload and asks for processing by itself."""
    meeting = schedule_meeting(host, "Stopped from the API")
    log_in(page, media_server, host)
    page.goto(f"{media_server}/meetings/{meeting.pk}/room")
    expect_connected(page)
    page.get_by_role("button", name="Record", exact=True).click()
    page.wait_for_function("() => window.parleyRecorder && window.parleyRecorder.acked > 0")
    rid = recording_id(page)
    request = urllib.request.Request(
        f"{media_server}/recording/stop", method="POST", data=json.dumps({"recordingId": rid}).encode(),
        headers={"Authorization": f"Bearer {login_token_for(host)}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (local test server)
        assert response.status == 204
    expect(page.locator("[data-recording-indicator]")).to_be_hidden()
    expect(page.get_by_role("button", name="Record", exact=True)).to_be_enabled(timeout=30_000)
    assert recorder(page, "state") == "idle"
    recording = wait_until_processed(rid)
    track = RecordingTrack.objects.get(recording=recording)
    assert track.closed and track.bytes == recorder(page, "produced")
