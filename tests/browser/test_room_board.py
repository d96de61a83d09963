"""The whiteboard and room files in real browsers: a host and a guest draw and each sees the
other's strokes on the canvas (pixels, not only events); undo and clear reach everyone; a late
joiner sees the board; "Save to files" stores a PNG; a file one person uploads downloads for
the other. One meeting, one server, three browser contexts."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from meetings.models import RoomFile
from meetings.services.rooms import meeting_schedule
from tests.browser.test_portal_meeting import expect_connected, join_as_guest, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Pixels of the ink layer (the board's second canvas) close to an RGB colour.
INK = """([r, g, b]) => {
  const canvas = document.querySelectorAll("[data-wb-canvas] canvas")[1];
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    const d = (k, v) => Math.abs(data[i + k] - v) < 40;
    const near = d(0, r) && d(1, g) && d(2, b);
    if (data[i + 3] > 200 && near) n++;
  }
  return n;
}"""
RED, GREEN = (220, 38, 38), (22, 163, 74)
PREVIEWING = """() => { const v = document.querySelector("[data-prejoin-video]");
  return !!v && v.videoWidth > 0 && !v.paused; }"""


def ink(page, colour) -> int:
    return page.evaluate(INK, list(colour))


def wait_ink(page, colour, *, present: bool):
    page.wait_for_function(f"(c) => ({INK})(c) {'>' if present else '=='} {100 if present else 0}",
                           arg=list(colour), timeout=15_000)


def draw(page, colour_hex: str, y: float):
    """A stroke across the board in `colour_hex`, at `y` (0..1 of its height)."""
    page.locator("[data-wb-color]").fill(colour_hex)
    page.locator("[data-wb-size]").fill("12")
    box = page.get_by_role("img", name="Whiteboard").locator(".konvajs-content").bounding_box()
    x0, x1, yy = box["x"] + box["width"] * 0.2, box["x"] + box["width"] * 0.8, box["y"] + box["height"] * y
    page.mouse.move(x0, yy)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(x0 + (x1 - x0) * i / 20, yy + (i % 5) * 3)
    page.mouse.up()


def test_whiteboard_and_files_between_host_and_guests(live_url, host, new_page, screenshot, tmp_path):
    meeting = meeting_schedule(host=host, title="Board review", duration_minutes=30,
                               scheduled_start=timezone.now() + timedelta(minutes=5))
    invite = f"{live_url}/join/{meeting.invite_code}"
    alice, grace = new_page(accept_downloads=True), new_page(accept_downloads=True)
    # Pre-join, for the host and for a guest: a live camera preview and the device choice.
    log_in(alice, live_url, host)
    alice.get_by_role("link", name="Join Board review").click()
    grace.goto(invite)
    for page in (alice, grace):
        page.wait_for_function(PREVIEWING, timeout=15_000)
        expect(page.get_by_label("Camera", exact=True).locator("option")).not_to_have_count(0)
        expect(page.get_by_label("Microphone", exact=True).locator("option")).not_to_have_count(0)
    screenshot(grace, "prejoin-guest")
    alice.get_by_label("Join with microphone on").uncheck()
    alice.get_by_role("link", name="Join now").click()
    expect_connected(alice)
    # The choice carried into the room: Alice's microphone starts muted.
    expect(alice.get_by_role("button", name="Microphone")).to_have_attribute("aria-pressed", "false")
    join_as_guest(grace, invite, "Grace Hopper")

    # Only the host has the toggle; it opens the board for everyone.
    expect(grace.get_by_role("button", name="Whiteboard", exact=True)).to_be_hidden()
    toggle = alice.get_by_role("button", name="Whiteboard", exact=True)
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    for page in (alice, grace):
        expect(page.get_by_role("img", name="Whiteboard")).to_be_visible()

    draw(alice, "#dc2626", 0.3)
    draw(grace, "#16a34a", 0.6)
    for page in (alice, grace):
        wait_ink(page, RED, present=True)
        wait_ink(page, GREEN, present=True)
    screenshot(grace, "whiteboard-guest")

    # Undo removes the latest stroke (Grace's) everywhere; Alice's stays.
    grace.get_by_role("button", name="Undo").click()
    for page in (alice, grace):
        wait_ink(page, GREEN, present=False)
        assert ink(page, RED) > 100
    # Clear empties the board everywhere.
    alice.get_by_role("button", name="Clear").click()
    for page in (alice, grace):
        wait_ink(page, RED, present=False)

    # Drawn again; a late joiner sees the board as it is.
    draw(grace, "#16a34a", 0.5)
    draw(alice, "#dc2626", 0.7)
    wait_ink(alice, GREEN, present=True)
    late = new_page()
    join_as_guest(late, invite, "Katherine Johnson")
    expect(late.get_by_role("img", name="Whiteboard")).to_be_visible()
    wait_ink(late, GREEN, present=True)
    wait_ink(late, RED, present=True)
    screenshot(late, "whiteboard-late-joiner")

    # Save to files: a PNG of the board among the meeting's files, listed for the others.
    alice.get_by_role("button", name="Save to files").click()
    expect(alice.get_by_text("The whiteboard was saved to the meeting's files.")).to_be_visible()
    saved = RoomFile.objects.get(room=meeting.room)
    assert saved.original_name.startswith("Whiteboard ") and saved.original_name.endswith(".png")
    grace.get_by_role("button", name="Files", exact=True).click()
    files = grace.get_by_role("list", name="Files")
    expect(files).to_contain_text(saved.original_name)

    # Grace uploads a file; Alice sees it appear and downloads it.
    notes = tmp_path / "notes.txt"
    notes.write_text("Agenda: the analytical engine\n")
    grace.get_by_label("Upload a file").set_input_files(str(notes))
    expect(files).to_contain_text("notes.txt")
    expect(alice.get_by_text("New file: notes.txt")).to_be_visible()
    alice.get_by_role("button", name="Files", exact=True).click()
    screenshot(alice, "files-host")
    with alice.expect_download() as download:
        alice.get_by_role("button", name="Download notes.txt").click()
    path = download.value.path()
    assert download.value.suggested_filename == "notes.txt"
    with open(path) as handle:
        assert handle.read() == "Agenda: the analytical engine\n"

    # The host turns the board off for everyone.
    toggle.click()
    expect(grace.get_by_role("img", name="Whiteboard")).to_be_hidden()
