"""The XSS corpus rendered in Chromium (issue 10's standing suite): classic payloads stored as
a user's name, meeting titles, room names, chat history, file names, transcript lines and a
summary, then every page (and JSON endpoint) that shows them opened in one browser — the
dashboard, the meeting page, the room (names and chat history), the admin lists and change
pages, the API docs, the transcript and summary JSON. No payload runs (no dialog, no marker set,
no element injected), every response carries the Content-Security-Policy, and the pages
themselves cause no CSP violation (the policy breaks nothing)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from conftest import PASSWORD, make_user
from meetings.models import ChatMessage, RoomFile, TranscriptEntry
from meetings.services.content import room_file_upload, summary_generate, transcript_add
from meetings.services.rooms import meeting_create, room_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CORPUS = [
    "<script>window.__xss='script'</script>",
    "<img src=x onerror=\"window.__xss='img'\">",
    "<svg onload=\"window.__xss='svg'\">",
    "\"><script>window.__xss='attr'</script>",
    "'><img src=x onerror=alert(1)>",
    "javascript:window.__xss='href'",
    "<iframe srcdoc=\"<script>parent.__xss='srcdoc'</script>\">",
    "{{7*7}} ${7*7} <b>bold</b>",
    "</textarea><script>window.__xss='textarea'</script>",
    "<a href=javascript:alert(2)>x</a>",
]
# What a payload would have made; the admin's own widgets draw <b role=presentation>.
INJECTED = ("main script:not([src]):not([type=\"application/json\"]), main img[src='x'], main svg[onload], "
            "main iframe, main b:not([role]), #content b:not([role])")


@pytest.fixture
def corpus_world(tenant_a):
    staff = make_user(tenant_a, "stella@example.com", CORPUS[1][:60], is_staff=True)
    room = room_create(owner=staff, name=CORPUS[2][:100])
    meeting = meeting_create(host=staff, title=CORPUS[0], room=room, transcript_enabled=True)
    meeting_create(host=staff, title=CORPUS[3], room=room_create(owner=staff, name=CORPUS[4]))
    for i, payload in enumerate(CORPUS):
        ChatMessage.objects.create(tenant=tenant_a, room=room, participant_id=f"p{i}", username=payload[:150],
                                   msg=payload)
        transcript_add(meeting=meeting, user_name=payload[:150], message=f"{payload} said {i}")
        room_file_upload(room=room, upload=SimpleUploadedFile(f"{payload[:80]}.txt", b"x"), uploaded_by=staff)
    summary_generate(meeting=meeting)
    return {"staff": staff, "room": room, "meeting": meeting}


def test_xss_corpus_renders_as_text_under_csp(page, live_url, corpus_world, screenshot):
    meeting = corpus_world["meeting"]
    dialogs, violations, missing_csp = [], [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: violations.append((page.url, m.text[:90]))
            if "Content Security Policy" in m.text else None)

    def check_csp(response):
        kind = response.request.resource_type
        if response.url.startswith(live_url) and kind in ("document", "xhr", "fetch"):
            if "default-src 'self'" not in (response.headers.get("content-security-policy") or ""):
                missing_csp.append(response.url)

    page.on("response", check_csp)
    page.goto(f"{live_url}/login")
    page.get_by_label("Email").fill("stella@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    admin_ids = {
        "roomfile": RoomFile.objects.filter(room=corpus_world["room"]).first().pk,
        "transcriptentry": TranscriptEntry.objects.filter(meeting=meeting).first().pk,
        "meeting": meeting.pk, "room": corpus_world["room"].pk,
    }
    urls = [
        "/dashboard", f"/meetings/{meeting.pk}", "/api/docs/",
        *(f"/admin/meetings/{model}/" for model in admin_ids),
        *(f"/admin/meetings/{model}/{pk}/change/" for model, pk in admin_ids.items()),
        f"/view-transcript/{meeting.pk}", f"/meeting/{meeting.pk}/summary",
        f"/room/{corpus_world['room'].pk}/files",
    ]
    for url in urls:
        response = page.goto(f"{live_url}{url}")
        assert response.status == 200, (url, response.status)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("() => window.__xss") is None, url
        if not url.startswith(("/view-transcript", "/meeting/", "/room/")):
            found = page.locator(INJECTED)
            html = [found.nth(i).evaluate("e => e.outerHTML") for i in range(found.count())]
            assert html == [], url
    # The payloads are on the pages, as text.
    page.goto(f"{live_url}/admin/meetings/transcriptentry/")
    expect(page.locator("#result_list")).to_contain_text("<script>window.__xss='script'</script>")
    page.goto(f"{live_url}/dashboard")
    expect(page.locator("main")).to_contain_text(CORPUS[0])

    # The room: names and chat history from the socket, rendered by the front end.
    page.goto(f"{live_url}/meetings/{meeting.pk}/room")
    expect(page.locator("[data-status]")).to_have_text("Connected")
    log = page.get_by_role("log")
    for payload in CORPUS:
        expect(log).to_contain_text(payload)
    assert page.evaluate("() => window.__xss") is None
    injected = "[data-room] img[src='x'], [role=log] b, [role=log] script, [role=log] svg"
    assert page.locator(injected).count() == 0
    screenshot(page, "xss-corpus-room")

    assert dialogs == []
    assert missing_csp == []
    assert violations == [], violations
