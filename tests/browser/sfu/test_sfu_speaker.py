"""Active speaker and simulcast through the SFU: Janus' audio levels light the speaking
indicator and give the speaker the large tile; a receiver asks for the low simulcast layer
of a camera and gets a smaller picture, then the high one again.

Chromium's default fake microphone only beeps; this module's browser speaks a steady tone
(a WAV file made with ffmpeg) so the audio level is that of someone talking."""

import re
import subprocess

import pytest
from playwright.sync_api import expect

from meetings.services.rooms import meeting_create, room_create
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.browser.sfu.conftest import SMALL_CAMERA, wait_for_remote_videos
from tests.browser.sfu.test_sfu_meetings import host_joins, join

pytestmark = [pytest.mark.browser, pytest.mark.janus, pytest.mark.django_db(transaction=True)]

SPEAKING = re.compile(r"(^|\s)speaking(\s|$)")  # not "speaking-off" (muted)
REMOTE_WIDTH = """name => {
  const tile = [...document.querySelectorAll("figure.tile")].find(f => f.getAttribute("aria-label") === name);
  return tile ? tile.querySelector("video").videoWidth : 0;
}"""


@pytest.fixture(scope="module")
def talking_browser(browser_type, tmp_path_factory):
    tone = tmp_path_factory.mktemp("audio") / "voice.wav"
    # A voiced, syllable-like signal (harmonics swelling three times a second): a steady tone
    # would be taken away by the browser's noise suppression.
    voice = ("0.5*(sin(2*PI*180*t)+0.5*sin(2*PI*360*t)+0.25*sin(2*PI*540*t))"
             "*(0.55+0.45*sin(2*PI*3*t))")
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"aevalsrc={voice}:s=48000:d=20",
                    "-ac", "1", str(tone)], check=True)
    browser = browser_type.launch(executable_path=CHROMIUM, headless=True,
                                  args=[*CHROMIUM_FLAGS, f"--use-file-for-fake-audio-capture={tone}"])
    yield browser
    browser.close()


@pytest.fixture
def talking_page(talking_browser, browser_context_args):
    contexts = []

    def make():
        context = talking_browser.new_context(**browser_context_args)
        contexts.append(context)
        context.add_init_script(SMALL_CAMERA)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def test_the_speaker_is_shown_and_small_tiles_get_the_low_layer(host, sfu_url, talking_page, screenshot):
    room = room_create(owner=host, name="Stand-up", p2p=False)
    meeting = meeting_create(host=host, title="Stand-up", room=room)
    host_page, guest = talking_page(), talking_page()
    host_joins(host_page, sfu_url, host, meeting)
    join(guest, sfu_url, meeting.invite_code, "Katherine Johnson")
    wait_for_remote_videos(guest, 1)
    host_tile = guest.get_by_role("figure", name="Alice Tester", exact=True)
    expect(host_tile).to_have_class(SPEAKING, timeout=20_000)
    expect(host_tile).to_have_class(re.compile(r"\bactive-speaker\b"))
    screenshot(guest, "sfu-speaking")
    # The host mutes: the server hears silence and says so.
    host_page.get_by_role("button", name="Microphone").click()
    expect(host_tile).not_to_have_class(SPEAKING, timeout=20_000)

    # Simulcast: the low layer of the host's camera is smaller than the high one.
    guest.wait_for_function(f"() => ({REMOTE_WIDTH})('Alice Tester') >= 640", timeout=30_000)
    guest.evaluate("""() => { const r = window.parleyRoom;
        r.setVideoLayer(r.remoteStreams().find(s => s.kind === 'camera'), 'low'); }""")
    guest.wait_for_function(f"() => ({REMOTE_WIDTH})('Alice Tester') <= 320", timeout=30_000)
    guest.evaluate("""() => { const r = window.parleyRoom;
        r.setVideoLayer(r.remoteStreams().find(s => s.kind === 'camera'), 'high'); }""")
    guest.wait_for_function(f"() => ({REMOTE_WIDTH})('Alice Tester') >= 640", timeout=30_000)
