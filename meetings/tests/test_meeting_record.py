"""The meeting's lifecycle and record, server side: started/ended from the room's joins and
leaves, end_meeting, the meeting page's sections and plan notes, Generate summary on the task
queue, edit/reschedule/cancel, email invitations with a calendar file, image previews, the
superuser without a tenant, the favicon and the admin's plural."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib import admin
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from meetings.models import AnalyticsSession, ChatMessage, Meeting, MeetingSummary, TranscriptEntry
from meetings.services.analytics import participant_joined, participant_left
from meetings.services.content import room_file_upload, summary_task_run, transcript_add
from meetings.services.invitations import meeting_ics
from meetings.services.lifecycle import end_meeting, room_joined, room_left
from meetings.tests.test_pages_meetings import logged_in, schedule
from portal.accounts.models import User
from portal.plans.catalogue import ESSENTIAL

pytestmark = pytest.mark.django_db

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15"
       b"\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def join(meeting, pid):
    participant_joined(room=meeting.room, participant_id=pid, name=pid.title(), role="participant")
    room_joined(room=meeting.room)


def leave(meeting, pid):
    participant_left(room=meeting.room, participant_id=pid)
    room_left(room=meeting.room)


def state(meeting) -> str:
    meeting.refresh_from_db()
    return meeting.state


# --- lifecycle ------------------------------------------------------------------------------------

def test_the_first_join_starts_it_and_the_last_leave_ends_it(host):
    meeting = schedule(host)
    assert state(meeting) == "upcoming"
    join(meeting, "ada")
    started = Meeting.objects.get(pk=meeting.pk).started_at
    assert state(meeting) == "live" and started is not None
    join(meeting, "bob")
    leave(meeting, "ada")
    assert state(meeting) == "live"  # Bob is still there
    leave(meeting, "bob")
    assert state(meeting) == "ended" and meeting.ended_at >= started
    join(meeting, "ada")  # coming back reopens it; it started when it first started
    assert state(meeting) == "live" and meeting.started_at == started and meeting.ended_at is None
    first, second = AnalyticsSession.objects.filter(room=meeting.room).order_by("started_at")
    assert (first.participant_count, second.participant_count) == (2, 1)  # the reports sum these


def test_a_host_ends_it_for_everyone(host, participant, staff):
    meeting = schedule(host)
    join(meeting, "ada")
    join(meeting, "bob")
    with pytest.raises(PermissionDenied):
        end_meeting(meeting.room, participant)
    assert state(meeting) == "live"
    ended = end_meeting(meeting.room, host)
    assert ended.pk == meeting.pk and state(meeting) == "ended"
    session = AnalyticsSession.objects.get(room=meeting.room)
    assert session.ended_at is not None and not session.participants.filter(left_at__isnull=True).exists()
    leave(meeting, "bob")  # the sockets' leaves arrive afterwards: nothing changes
    assert state(meeting) == "ended"
    other = schedule(host, title="Staff may end it too")
    join(other, "x")
    assert end_meeting(other.room, staff).ended_at is not None


def test_another_tenants_user_cannot_end_it(host, outsider):
    meeting = schedule(host)
    with pytest.raises(PermissionDenied):
        end_meeting(meeting.room, outsider)


def test_the_dashboard_lists_past_meetings_by_lifecycle_not_by_date(host):
    long_ago = schedule(host, title="Planned last year but never held")
    Meeting.objects.filter(pk=long_ago.pk).update(scheduled_start=timezone.now() - timedelta(days=300))
    held = schedule(host, title="Held and finished")
    join(held, "ada")
    leave(held, "ada")
    page = logged_in(host).get("/dashboard").content.decode()
    upcoming, past = page.split('id="past-h"')
    assert "Planned last year but never held" in upcoming and "Held and finished" in past


# --- the meeting page -------------------------------------------------------------------------------

def finished(host, **extra):
    meeting = schedule(host, transcript_enabled=True, **extra)
    join(meeting, "ada")
    transcript_add(meeting=meeting, user_name="Ada", message="We decided to ship on Friday.")
    transcript_add(meeting=meeting, user_name="Bob", message="I'll write the release notes.")
    ChatMessage.objects.create(tenant=host.tenant, room=meeting.room, meeting=meeting, participant_id="t",
                               username="Bob", msg="<b>hello</b>")
    room_file_upload(room=meeting.room, upload=SimpleUploadedFile("board.png", PNG, "image/png"),
                     uploaded_by=host)
    leave(meeting, "ada")
    return meeting


def test_a_finished_meetings_page_shows_its_record(host):
    meeting = finished(host)
    page = logged_in(host).get(f"/meetings/{meeting.pk}").content.decode()
    for heading in (">Recordings</h2>", ">Transcript</h2>", ">Summary</h2>", ">Chat</h2>", ">Files</h2>"):
        assert heading in page
    assert 'data-meeting-state="ended"' in page
    assert "We decided to ship on Friday." in page and "&lt;b&gt;hello&lt;/b&gt;" in page
    assert "Generate summary" in page and "Ada" in page
    assert f"/meetings/{meeting.pk}/files/" in page and 'alt="board.png"' in page
    assert "<time data-format" in page  # formatted in the viewer's zone by times.js


def test_recordings_play_in_the_page_from_a_signed_link(host):
    from meetings.models import Recording

    meeting = finished(host)
    Recording.objects.create(tenant=host.tenant, room=meeting.room, recording_id="rec-1", stopped=True,
                             processing="ready", file="recordings/rec-1.mp4", duration=5.0)
    Recording.objects.create(tenant=host.tenant, room=meeting.room, recording_id="rec-2", stopped=True,
                             processing="processing")
    page = logged_in(host).get(f"/meetings/{meeting.pk}").content.decode()
    assert '<video controls preload="metadata" src="http://testserver/recordings/rec-1/file?sig=' in page
    assert "Download</a>" in page and "is being processed" in page


def test_image_previews_are_only_real_images_of_that_meeting(host, participant):
    meeting = finished(host)
    room_file = meeting.room.files.get()
    url = f"/meetings/{meeting.pk}/files/{room_file.pk}/preview"
    response = logged_in(host).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff" and b"".join(response) == PNG
    assert logged_in(participant).get(url).status_code == 404
    fake = room_file_upload(room=meeting.room, uploaded_by=host,
                            upload=SimpleUploadedFile("x.png", b"<svg onload=1>", "image/png"))
    assert logged_in(host).get(f"/meetings/{meeting.pk}/files/{fake.pk}/preview").status_code == 404
    assert logged_in(host).get(f"/meetings/{meeting.pk}/files/..%2f/preview").status_code == 404


def test_on_essential_the_page_says_what_is_part_of_professional(outsider):
    outsider.tenant.plan = ESSENTIAL
    outsider.tenant.save(update_fields=["plan"])
    meeting = schedule(outsider)
    page = logged_in(outsider, host="beta.test").get(f"/meetings/{meeting.pk}").content.decode()
    assert page.count("Part of Professional") == 2 and "Generate summary" not in page


def test_generate_summary_is_queued_and_reports_progress(
    host, participant, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    meeting = finished(host)
    client = logged_in(host)
    url = f"/meetings/{meeting.pk}/summary"
    assert client.get(url).json()["status"] == "none"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
        assert response.status_code == 202 and response.json()["status"] == "queued"
        assert client.post(url).json()["status"] == "queued"  # not queued twice
    (queued,) = DBTaskResult.objects.filter(task_path="meetings.tasks.generate_summary")
    assert queued.args_kwargs["kwargs"] == {"meeting_pk": meeting.pk}
    assert summary_task_run(meeting_pk=meeting.pk) == "done"
    body = client.get(url).json()
    assert body["status"] == "done" and "Ship on Friday." in body["summary"] and body["source"] == "local"
    assert "Bob: write the release notes" in MeetingSummary.objects.get(meeting=meeting).text
    assert logged_in(participant).get(url).status_code == 404  # the host's (or staff's) only


def test_no_transcript_no_summary(host):
    meeting = schedule(host)
    response = logged_in(host).post(f"/meetings/{meeting.pk}/summary")
    assert response.status_code == 404 and response.json()["success"] is False


# --- edit, reschedule, cancel -----------------------------------------------------------------------

def test_edit_reschedules_in_the_viewers_time_zone(host):
    meeting = schedule(host)
    response = logged_in(host).post(f"/meetings/{meeting.pk}/edit", {
        "title": "Moved sync", "scheduled_start": "2030-03-04T09:30", "duration_minutes": "30",
        "time_zone": "Asia/Karachi",
    })
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Moved sync" and meeting.room.name == "Moved sync"
    assert meeting.scheduled_start == datetime(2030, 3, 4, 4, 30, tzinfo=UTC)  # 09:30 in Karachi
    assert meeting.duration_minutes == 30 and not meeting.transcript_enabled


def test_an_unknown_time_zone_is_utc(host):
    meeting = schedule(host)
    logged_in(host).post(f"/meetings/{meeting.pk}/edit", {
        "title": "T", "scheduled_start": "2030-03-04T09:30", "duration_minutes": "60",
        "time_zone": "Mars/Base",
    })
    meeting.refresh_from_db()
    assert meeting.scheduled_start == datetime(2030, 3, 4, 9, 30, tzinfo=UTC)


def test_cancel_moves_it_to_the_past_and_closes_the_invite(client, host, participant):
    meeting = schedule(host)
    assert logged_in(participant).post(f"/meetings/{meeting.pk}/cancel").status_code == 404
    assert logged_in(host).post(f"/meetings/{meeting.pk}/cancel").status_code == 302
    assert state(meeting) == "cancelled"
    assert client.get(f"/join/{meeting.invite_code}").status_code == 404
    assert logged_in(host).get(f"/meetings/{meeting.pk}/cancel").status_code == 405
    logged_in(host).post(f"/meetings/{meeting.pk}/edit", {
        "title": "Back on", "scheduled_start": "2030-01-01T10:00", "duration_minutes": "60"})
    assert state(meeting) == "upcoming"


# --- invitations ------------------------------------------------------------------------------------

def test_invitations_go_by_email_with_a_calendar_file(host, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    host.tenant.brand_name = "Acme Meet"
    host.tenant.save()
    meeting = schedule(host, title="Quarterly, review; part 1")
    Meeting.objects.filter(pk=meeting.pk).update(scheduled_start=datetime(2030, 5, 6, 14, 0, tzinfo=UTC),
                                                 duration_minutes=45)
    response = logged_in(host).post(f"/meetings/{meeting.pk}/invite",
                                    {"emails": "ada@example.com, Grace@Example.com\nada@example.com"})
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.com", "grace@example.com"]
    message = mail.outbox[0]
    assert message.subject == "[Acme Meet] Invitation: Quarterly, review; part 1"
    assert f"/join/{meeting.invite_code}" in message.body and message.reply_to == [host.email]
    (name, ics, mimetype), = message.attachments
    assert name == "invite.ics" and mimetype.startswith("text/calendar")
    assert "BEGIN:VEVENT" in ics and "DTSTART:20300506T140000Z" in ics and "DTEND:20300506T144500Z" in ics
    assert "SUMMARY:Quarterly\\, review\\; part 1" in ics and "METHOD:REQUEST" in ics
    assert f"UID:meeting-{meeting.pk}@" in ics and all(len(line.encode()) <= 75 for line in ics.split("\r\n"))


def test_bad_addresses_send_nothing(host, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    meeting = schedule(host)
    response = logged_in(host).post(f"/meetings/{meeting.pk}/invite",
                                    {"emails": "ada@example.com, not-an-email"}, follow=True)
    assert mail.outbox == [] and "is not an email address" in response.content.decode()


def test_the_calendar_file_download_and_a_cancelled_meeting(host):
    meeting = schedule(host)
    response = logged_in(host).get(f"/meetings/{meeting.pk}/calendar.ics")
    assert response["Content-Type"].startswith("text/calendar") and b"METHOD:PUBLISH" in response.content
    Meeting.objects.filter(pk=meeting.pk).update(cancelled_at=timezone.now())
    meeting.refresh_from_db()
    ics = meeting_ics(meeting, invite_url="http://x/join/y")
    assert "METHOD:CANCEL" in ics and "STATUS:CANCELLED" in ics


# --- also ---------------------------------------------------------------------------------------------

def test_a_superuser_without_a_tenant_is_told_why_they_cannot_schedule(tenant_a):
    admin_user = User.objects.create_superuser("root@example.com", "pw-for-root-123")
    client = Client()
    client.force_login(admin_user)
    for response in (client.get("/meetings/new"), client.post("/meetings/new", {
            "title": "Board", "scheduled_start": "2030-01-01T10:00", "duration_minutes": "60",
            "room_type": "meeting"})):
        assert response.status_code == 403
        assert "Meetings belong to a site" in response.content.decode()
    assert not Meeting.objects.exists()
    assert client.get("/analytics").status_code == 403
    assert client.get("/dashboard").status_code == 200


def test_favicon_is_served(client, tenant_a):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"
    assert 'rel="icon"' in client.get("/login").content.decode()


def test_the_admin_says_transcript_entries():
    assert str(TranscriptEntry._meta.verbose_name_plural) == "transcript entries"
    assert TranscriptEntry in admin.site._registry


def test_analytics_page_for_users_and_staff(host, staff, outsider):
    page = logged_in(host).get("/analytics").content.decode()
    assert "You see the sessions you hosted" in page and "vendor/chart.js/chart.umd.min.js" in page
    assert "Everyone on this site" in logged_in(staff).get("/analytics").content.decode()
    outsider.tenant.plan = ESSENTIAL
    outsider.tenant.save(update_fields=["plan"])
    page = logged_in(outsider, host="beta.test").get("/analytics").content.decode()
    assert "Part of Professional" in page and 'data-chart="locations"' not in page
