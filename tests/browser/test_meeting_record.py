"""The meeting's record and the analytics dashboard in a browser (one shared server).

- A finished meeting's page shows who came, the transcript with speakers and times, the chat,
  the files (the saved whiteboard PNG as an image) and "Generate summary", whose progress
  ends in the summary — run by the task queue, as on a real install (a db_worker here).
- The analytics page draws its charts for demo sessions, and a filter changes the numbers.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from conftest import make_user
from meetings.models import AnalyticsSession, ChatMessage
from meetings.reporting import report_sessions
from meetings.services.analytics import participant_joined, participant_left
from meetings.services.content import transcript_add
from meetings.services.lifecycle import room_joined, room_left
from meetings.services.rooms import meeting_schedule
from tests.browser.test_portal_meeting import log_in
from tests.live import live_process, worker_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINES = [
    ("Alice Tester", "Welcome everyone, today we review the launch checklist and the pricing page."),
    ("Bob Tester", "The pricing page copy is ready, but the checkout tests still fail on Safari."),
    ("Alice Tester", "We decided to ship the launch on Thursday after the Safari fix."),
    ("Bob Tester", "I'll fix the Safari checkout tests by Wednesday."),
    ("Alice Tester", "Carol will update the pricing page screenshots."),
]


def finished_meeting(host):
    meeting = meeting_schedule(host=host, title="Launch review", scheduled_start=timezone.now(),
                               duration_minutes=30, transcript_enabled=True)
    room = meeting.room
    for pid, name, role in (("t-a", "Alice Tester", "host"), ("t-b", "Bob Tester", "participant")):
        participant_joined(room=room, participant_id=pid, name=name, role=role)
        room_joined(room=room)
    for speaker, message in LINES:
        transcript_add(meeting=meeting, user_name=speaker, message=message)
    ChatMessage.objects.create(tenant=host.tenant, room=room, meeting=meeting, participant_id="t-b",
                               username="Bob Tester", msg="Slides: see the files panel")
    for pid in ("t-b", "t-a"):
        participant_left(room=room, participant_id=pid)
        room_left(room=room)
    meeting.refresh_from_db()
    assert meeting.state == "ended"
    return meeting


def test_a_finished_meetings_page_is_its_record(page, live_url, host, screenshot):
    meeting = finished_meeting(host)
    log_in(page, live_url, host)
    page.goto(f"{live_url}/meetings/{meeting.pk}")
    # The room's "Save to files" stores the board as a PNG through the room's file API: the same here.
    status = page.evaluate("""async (roomId) => {
      const canvas = Object.assign(document.createElement("canvas"), { width: 320, height: 180 });
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, 320, 180);
      ctx.strokeStyle = "#5b4ff5"; ctx.lineWidth = 8; ctx.beginPath(); ctx.moveTo(20, 150);
      ctx.bezierCurveTo(80, 10, 200, 10, 300, 150); ctx.stroke();
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
      const body = new FormData();
      body.append("file", blob, "whiteboard.png");
      const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
      const r = await fetch(`/room/${roomId}/upload`,
                            { method: "POST", body, headers: { "X-CSRFToken": csrf } });
      return r.status; }""", meeting.room_id)
    assert status == 200
    page.reload()
    for heading in ("Recordings", "Transcript", "Summary", "Chat", "Files", "Who came"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.locator("[data-meeting-state]")).to_contain_text("Ended")
    transcript = page.locator("ol.transcript li")
    expect(transcript).to_have_count(len(LINES))
    expect(transcript.first).to_contain_text("Alice Tester")
    expect(transcript.first.locator("time")).to_have_text(_time_re())
    expect(page.locator("ol.chat-record")).to_contain_text("Slides: see the files panel")
    expect(page.locator(".people-list")).to_contain_text("Bob Tester")
    board = page.get_by_role("img", name="whiteboard.png")
    expect(board).to_be_visible()
    page.wait_for_function("(img) => img.complete && img.naturalWidth === 320", arg=board.element_handle())

    with live_process(worker_command(), name="summary-worker"):
        page.get_by_role("button", name="Generate summary").click()
        expect(page.locator("[data-summary-progress]")).to_have_text("Summary ready.", timeout=60_000)
    summary = page.locator("[data-summary-text]")
    expect(summary).to_contain_text("Decisions:")
    expect(summary).to_contain_text("Bob Tester: fix the Safari checkout tests by Wednesday")
    expect(summary).to_contain_text("Carol")
    screenshot(page, "meeting-record")


def _time_re():
    import re

    return re.compile(r"\d{1,2}:\d{2}:\d{2}")


def test_analytics_charts_demo_sessions_and_a_filter_changes_the_numbers(
    page, live_url, tenant_a, screenshot
):
    staff = make_user(tenant_a, "stats@example.com", "Stella", is_staff=True)
    call_command("demo_sessions", "default", "--sessions", "400", "--days", "20", "--seed", "7")
    log_in(page, live_url, staff)
    page.goto(f"{live_url}/analytics")
    total = page.locator("[data-total]")
    everything = AnalyticsSession.objects.filter(tenant=tenant_a, ended_at__isnull=False).count()
    expect(total).to_have_text(f"{everything:,}")
    for chart in ("days", "types", "locations", "cities"):
        # Chart.js drew on the canvas (on a later animation frame): some pixels are not transparent.
        page.wait_for_function("""(name) => {
          const c = document.querySelector(`[data-chart="${name}"]`);
          const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < px.length; i += 4) if (px[i] > 0) return true;
          return false; }""", arg=chart)
    expect(page.locator('[data-table="types"] tbody tr')).to_have_count(4)
    screenshot(page, "analytics-all")

    page.get_by_label("Session type").select_option("webinar")
    page.get_by_role("button", name="Apply filters").click()
    webinars = report_sessions(user=staff, filters={"sessionType": "webinar"}).count()
    assert 0 < webinars < everything
    expect(total).to_have_text(f"{webinars:,}")
    expect(page.locator('[data-table="types"] tbody tr')).to_have_count(1)
    since = (timezone.now() - timedelta(days=5)).date()
    page.get_by_label("From").fill(since.isoformat())
    page.get_by_role("button", name="Apply filters").click()
    expect(total).not_to_have_text(f"{webinars:,}")
    screenshot(page, "analytics-filtered")
