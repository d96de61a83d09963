"""Live captions end to end: the host's browser "hears" an English sentence spoken by espeak-ng
(chromium's fake microphone plays the WAV), the host turns captions on, the sentence is
recognised on the server (PocketSphinx: the default engine) and appears as a caption with the
host's name on a guest's page — and in the meeting's stored transcript."""

import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from meetings.models import Meeting, TranscriptEntry
from meetings.services.rooms import meeting_schedule
from meetings.tests.speech_support import SENTENCE, speech_wav, words_heard
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.browser.test_portal_meeting import expect_connected, join_as_guest, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The best share of the sentence's words in one caption line by `name`, among the lines seen.
BEST_MATCH = """([name, sentence]) => {
  const words = sentence.toLowerCase().split(" ");
  let best = 0;
  for (const line of window.heard || []) {
    if (line.username !== name) continue;
    const got = new Set(line.msg.toLowerCase().split(/[\\s.,]+/));
    best = Math.max(best, words.filter((w) => got.has(w)).length / words.length);
  }
  return best >= 1 / 3 ? best : 0;
}"""


@pytest.fixture(scope="module")
def voices(tmp_path_factory):
    folder = tmp_path_factory.mktemp("voices")
    sentence = speech_wav(folder / "sentence.wav", rate=48000, pad=(1.0, 2.0))
    silence = folder / "silence.wav"
    subprocess.run(["sox", "-n", "-r", "48000", "-c", "1", "-b", "16", str(silence), "trim", "0", "4"],
                   check=True)
    return {"sentence": sentence, "silence": silence}


@pytest.fixture
def browser_hearing(browser_type, browser_context_args):
    """``browser_hearing(wav)`` → a page in a chromium whose microphone plays ``wav`` (looped)."""
    browsers = []

    def launch(wav):
        browser = browser_type.launch(executable_path=CHROMIUM, headless=True,
                                      args=[*CHROMIUM_FLAGS, f"--use-file-for-fake-audio-capture={wav}"])
        browsers.append(browser)
        return browser.new_context(**browser_context_args).new_page()

    yield launch
    for browser in browsers:
        browser.close()


def test_the_hosts_speech_becomes_captions_for_the_guest_and_the_stored_transcript(
    live_url, host, voices, browser_hearing, screenshot
):
    meeting = meeting_schedule(host=host, title="Captioned planning", duration_minutes=30,
                               scheduled_start=timezone.now() + timedelta(minutes=5))
    assert not meeting.transcript_enabled
    speaker = browser_hearing(voices["sentence"])
    listener = browser_hearing(voices["silence"])

    log_in(speaker, live_url, host)
    speaker.goto(f"{live_url}/meetings/{meeting.pk}/room")
    expect_connected(speaker)
    join_as_guest(listener, f"{live_url}/join/{meeting.invite_code}", "Grace Hopper")
    for page in (speaker, listener):
        page.evaluate("() => { window.heard = [];"
                      " window.parleyCaptions.on('caption', (c) => window.heard.push(c)); }")
    listener_toggle = listener.get_by_role("button", name="Captions", exact=True)
    expect(listener_toggle).to_have_attribute("aria-pressed", "false")

    toggle = speaker.get_by_role("button", name="Captions", exact=True)
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    # Turned on for everyone: the guest's captions show without the guest doing anything.
    expect(listener_toggle).to_have_attribute("aria-pressed", "true")
    expect(listener.get_by_text("Alice Tester turned on captions.")).to_be_visible()

    best = listener.wait_for_function(BEST_MATCH, arg=["Alice Tester", SENTENCE], timeout=90_000).json_value()
    captions = listener.get_by_role("region", name="Live captions")
    expect(captions.locator(".caption-line").filter(has_text="Alice Tester").first).to_be_visible()
    screenshot(listener, "captions-guest")
    # The host sees its own lines too ("You").
    speaker.wait_for_function("() => window.heard.some((c) => c.mine)", timeout=30_000)
    expect(speaker.get_by_role("region", name="Live captions")).to_contain_text("You")
    screenshot(speaker, "captions-host")
    assert best >= 1 / 3

    # start-transcript turned storage on; the lines are kept under the host's name.
    assert Meeting.objects.get(pk=meeting.pk).transcript_enabled
    stored = list(TranscriptEntry.objects.filter(meeting=meeting).values_list("user_name", "message"))
    assert {name for name, _ in stored} == {"Alice Tester"}, stored
    assert max(words_heard(SENTENCE, message) for _, message in stored) >= 1 / 3, stored
    # The guest's silent microphone produced no lines.
    assert not [c for c in listener.evaluate("() => window.heard") if c["username"] == "Grace Hopper"]

    # The host turns captions off for everyone.
    speaker.get_by_role("button", name="Captions", exact=True).click()
    expect(listener.get_by_text("Alice Tester turned off captions.")).to_be_visible()
    expect(speaker.get_by_role("region", name="Live captions")).to_be_hidden()
