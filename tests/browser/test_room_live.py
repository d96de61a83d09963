"""A live room in real browsers: the host puts a product on show and viewers see it highlighted
with the live number watching; a viewer raises a hand and the host sees the queue; the host
copies the invite link and ends the meeting for everyone — nobody gets back in."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from meetings.models import Meeting
from meetings.services.rooms import meeting_schedule
from tests.browser.test_portal_meeting import expect_connected, join_as_guest, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_live_selling_hands_and_ending_the_meeting(live_url, host, new_page, screenshot):
    meeting = meeting_schedule(host=host, title="Mug launch", duration_minutes=30, room_type="live",
                               scheduled_start=timezone.now() + timedelta(minutes=5))
    invite = f"{live_url}/join/{meeting.invite_code}"
    alice = new_page(permissions=["camera", "microphone", "clipboard-read", "clipboard-write"])
    viewer = new_page()
    log_in(alice, live_url, host)
    alice.goto(f"{live_url}/meetings/{meeting.pk}/room")
    expect_connected(alice)
    join_as_guest(viewer, invite, "Hedy Lamarr")

    # The host adds a product and puts it on show.
    alice.get_by_role("button", name="Products").click()
    alice.get_by_label("Product name").fill("Blue mug")
    alice.get_by_label("Price").fill("12 EUR")
    alice.get_by_role("button", name="Add product").click()
    alice.get_by_role("button", name="Show Blue mug").click()
    spot = viewer.get_by_role("complementary", name="Blue mug")
    expect(spot).to_be_visible()
    expect(spot).to_contain_text("12 EUR")
    expect(spot).to_contain_text("2 watching")
    late = new_page()
    join_as_guest(late, invite, "Late Viewer")
    expect(late.get_by_role("complementary", name="Blue mug")).to_be_visible()  # kept for late joiners
    expect(spot).to_contain_text("3 watching")
    viewer.get_by_role("button", name="I'm interested").click()
    expect(alice.get_by_text("Hedy Lamarr is interested in Blue mug.")).to_be_visible()
    screenshot(viewer, "live-selling-viewer")

    # A viewer raises a hand; the host sees the queue and lowers it.
    viewer.get_by_role("button", name="Raise hand").click()
    queue = alice.get_by_role("region", name="Requests to speak")
    expect(queue).to_contain_text("Hedy Lamarr raised their hand")
    viewer.get_by_role("button", name="Lower hand").click()
    expect(queue).to_be_hidden()
    viewer.get_by_role("button", name="Raise hand").click()
    expect(queue).to_contain_text("Hedy Lamarr")
    queue.get_by_role("button", name="Reject").click()
    expect(viewer.get_by_text("The host lowered your hand.")).to_be_visible()

    # Copy invite link.
    alice.get_by_role("button", name="Copy invite link").click()
    expect(alice.get_by_text("Invite link copied.")).to_be_visible()
    assert alice.evaluate("() => navigator.clipboard.readText()") == invite

    # End for all, after a confirmation.
    alice.get_by_role("button", name="End meeting for all").click()
    confirm = alice.get_by_role("dialog", name="End the meeting for everyone?")
    confirm.get_by_role("button", name="End meeting").click()
    for page in (viewer, late):
        expect(page.get_by_role("heading", name="This meeting has ended")).to_be_visible()
    expect(alice.get_by_role("heading", name="This meeting has ended")).to_be_visible()
    assert Meeting.objects.get(pk=meeting.pk).closed_at is not None
    screenshot(viewer, "meeting-ended-viewer")
    viewer.goto(invite)
    expect(viewer.get_by_role("heading", name="This meeting has ended")).to_be_visible()
    expect(viewer.get_by_label("Your name")).to_have_count(0)
