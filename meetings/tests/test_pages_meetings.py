"""Server-side tests of the meeting pages: schedule, meeting page, host join, guest join."""

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from conftest import TENANT_B_HOST
from meetings.models import Meeting, Room
from meetings.services.rooms import meeting_schedule
from meetings.tokens import InvalidRoomToken, room_token_read

pytestmark = pytest.mark.django_db


def logged_in(user, host="testserver") -> Client:
    client = Client(HTTP_HOST=host)
    client.force_login(user, backend="portal.accounts.backends.TenantEmailBackend")
    return client


def schedule(user, **extra) -> Meeting:
    return meeting_schedule(
        host=user, title=extra.pop("title", "Weekly sync"), scheduled_start=timezone.now(),
        duration_minutes=60, **extra,
    )


def room_config(response) -> dict:
    match = re.search(r'<script id="room-config" type="application/json">(.*?)</script>',
                      response.content.decode(), re.S)
    assert match, "the room page carries its config"
    return json.loads(match.group(1))


def test_dashboard_links_to_new_meeting_and_lists_meetings(host):
    meeting = schedule(host, title="Design review")
    page = logged_in(host).get("/dashboard").content.decode()
    assert 'href="/meetings/new"' in page and "New meeting" in page
    assert f'href="/meetings/{meeting.pk}"' in page and "Design review" in page


def test_new_meeting_form_defaults_to_now_and_an_hour(host):
    page = logged_in(host).get("/meetings/new").content.decode()
    now = timezone.localtime()
    start = re.search(r'name="scheduled_start" value="([^"]+)"', page).group(1)
    assert abs(timezone.make_aware(timezone.datetime.fromisoformat(start)) - now) < timedelta(minutes=2)
    assert re.search(r'<option value="60" selected>', page)
    for label in ("Title", "Start time", "Duration", "Enable transcript", "Private", "Schedule"):
        assert label in page


def test_scheduling_creates_room_and_meeting_and_shows_the_invite_link(host):
    client = logged_in(host)
    response = client.post("/meetings/new", {
        "title": "Quarterly planning", "scheduled_start": "2030-01-02T10:30", "duration_minutes": "90",
        "room_type": "meeting", "transcript_enabled": "on", "is_private": "on",
    })
    meeting = Meeting.objects.get(title="Quarterly planning")
    assert response.status_code == 302 and response["Location"] == f"/meetings/{meeting.pk}"
    assert meeting.host == host and meeting.transcript_enabled and meeting.duration_minutes == 90
    assert meeting.room.owner == host and meeting.room.is_private and meeting.room.tenant == host.tenant
    assert meeting.scheduled_start.isoformat().startswith("2030-01-02T10:30")
    page = client.get(response["Location"]).content.decode()
    assert "Quarterly planning" in page
    assert f'value="http://testserver/join/{meeting.invite_code}"' in page
    assert re.search(r'<input id="invite-link" type="text" readonly', page)
    assert f'href="/meetings/{meeting.pk}/prejoin">Join</a>' in page


def test_scheduling_rejects_a_missing_title(host):
    response = logged_in(host).post("/meetings/new", {"title": "", "scheduled_start": "2030-01-02T10:30",
                                                       "duration_minutes": "60", "room_type": "meeting"})
    assert response.status_code == 200 and not Meeting.objects.exists()


def test_meeting_pages_need_a_login(client, host):
    meeting = schedule(host)
    for url in ("/meetings/new", f"/meetings/{meeting.pk}", f"/meetings/{meeting.pk}/room"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login")


def test_another_users_meeting_is_404(host, participant):
    meeting = schedule(host)
    client = logged_in(participant)
    assert client.get(f"/meetings/{meeting.pk}").status_code == 404
    assert client.get(f"/meetings/{meeting.pk}/room").status_code == 404
    assert client.get("/meetings/does-not-exist").status_code == 404


def test_another_tenants_meeting_is_404(host, outsider):
    meeting = schedule(host)
    client = logged_in(outsider, host=TENANT_B_HOST)
    assert client.get(f"/meetings/{meeting.pk}").status_code == 404
    assert client.get(f"/meetings/{meeting.pk}/room").status_code == 404
    assert Client(HTTP_HOST=TENANT_B_HOST).get(f"/join/{meeting.invite_code}").status_code == 404


def test_tenant_staff_may_open_a_colleagues_meeting(host, staff):
    meeting = schedule(host)
    assert logged_in(staff).get(f"/meetings/{meeting.pk}").status_code == 200


def test_owner_joins_with_a_host_token_for_that_room(host):
    meeting = schedule(host, title="Standup")
    response = logged_in(host).get(f"/meetings/{meeting.pk}/room")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    config = room_config(response)
    grant = room_token_read(config["token"], tenant_id=host.tenant_id, room_id=meeting.room_id)
    assert grant.role == "host" and grant.name == "Alice Tester" and grant.user_id == host.pk
    assert config["roomId"] == meeting.room_id and config["role"] == "host"
    assert config["iceServers"] == []


def test_room_page_never_carries_a_login_token(host):
    meeting = schedule(host)
    page = logged_in(host).get(f"/meetings/{meeting.pk}/room").content.decode()
    for token in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", page):
        room_token_read(token, tenant_id=host.tenant_id, room_id=meeting.room_id)  # a room token or it raises


def test_guest_joins_by_invite_link_with_a_participant_token_for_that_room_only(client, host):
    meeting = schedule(host)
    other = schedule(host, title="Other")
    page = client.get(f"/join/{meeting.invite_code}").content.decode()
    assert "Your name" in page and ">Join</button>" in page
    response = client.post(f"/join/{meeting.invite_code}", {"user_name": "  Grace   Guest "})
    assert response.status_code == 302 and response["Location"] == f"/join/{meeting.invite_code}/room"
    config = room_config(client.get(response["Location"]))
    grant = room_token_read(config["token"], tenant_id=host.tenant_id, room_id=meeting.room_id)
    assert grant.role == "participant" and grant.name == "Grace Guest" and grant.user_id is None
    with pytest.raises(InvalidRoomToken):
        room_token_read(config["token"], tenant_id=host.tenant_id, room_id=other.room_id)


def test_guest_room_without_a_name_goes_back_to_the_form(client, host):
    meeting = schedule(host)
    response = client.get(f"/join/{meeting.invite_code}/room")
    assert response.status_code == 302 and response["Location"] == f"/join/{meeting.invite_code}"


def test_guest_needs_a_name(client, host):
    meeting = schedule(host)
    response = client.post(f"/join/{meeting.invite_code}", {"user_name": "   "})
    assert response.status_code == 200 and "This field is required" in response.content.decode()


def test_unknown_invite_code_is_404(client, tenant_a):
    assert client.get("/join/nope").status_code == 404
    assert client.post("/join/nope", {"user_name": "Eve"}).status_code == 404


def test_webinar_guests_join_as_viewers(client, host):
    meeting = schedule(host, room_type=Room.Type.WEBINAR)
    client.post(f"/join/{meeting.invite_code}", {"user_name": "Viewer"})
    config = room_config(client.get(f"/join/{meeting.invite_code}/room"))
    assert config["role"] == "viewer"
    assert room_token_read(config["token"], tenant_id=host.tenant_id).role == "viewer"


def test_private_meeting_invite_needs_an_account_of_this_site(client, host, participant):
    meeting = schedule(host, is_private=True)
    response = client.get(f"/join/{meeting.invite_code}")
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")
    member = logged_in(participant)
    assert 'value="Bob Tester"' in member.get(f"/join/{meeting.invite_code}").content.decode()
    assert member.post(f"/join/{meeting.invite_code}", {"user_name": "Bob"}).status_code == 302


def test_names_and_titles_are_escaped(client, host):
    meeting = schedule(host, title='<img src=x onerror="alert(1)">')
    detail = logged_in(host).get(f"/meetings/{meeting.pk}").content.decode()
    assert "<img src=x" not in detail and "&lt;img src=x" in detail
    client.post(f"/join/{meeting.invite_code}", {"user_name": "</script><script>alert(1)</script>"})
    page = client.get(f"/join/{meeting.invite_code}/room").content.decode()
    assert "<script>alert(1)" not in page and "</script><script>" not in page
