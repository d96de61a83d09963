"""The room page's REST and page side (issue 9): the room's files with a room token, ending a
meeting for everyone, and the invite link refusing a banned guest or an ended meeting."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from meetings.models import Meeting, RoomBan
from meetings.services.rooms import MeetingClosed, guest_token_issue, room_ban, room_token_revoke
from meetings.tests.api_helpers import assert_error, make_meeting, make_room
from meetings.tests.test_pages_meetings import logged_in, room_config, schedule
from meetings.tokens import room_token_mint, room_token_read

pytestmark = pytest.mark.django_db


def room_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_room_token_lists_uploads_and_downloads_the_rooms_files(host):
    room = make_room(host)
    other = make_room(host, name="Other")
    token = room_token_mint(tenant_id=room.tenant_id, room_id=room.pk, role="participant", name="G")
    guest = room_client(token)
    viewer = room_client(room_token_mint(tenant_id=room.tenant_id, room_id=room.pk, role="viewer", name="V"))
    assert guest.get(f"/room/{room.pk}/files").json() == {"success": True, "data": []}
    up = guest.post(f"/room/{room.pk}/upload", {"file": SimpleUploadedFile("notes.txt", b"hello")},
                    format="multipart")
    assert up.status_code == 200, up.content
    filename = up.json()["data"]["filename"]
    listed = viewer.get(f"/room/{room.pk}/files").json()["data"]
    assert [f["originalName"] for f in listed] == ["notes.txt"]
    download = viewer.get(f"/room/{room.pk}/files/{filename}/download")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"hello"
    # Viewers watch: no uploads. Nobody deletes with a room token.
    assert_error(viewer.post(f"/room/{room.pk}/upload", {"file": SimpleUploadedFile("x.txt", b"x")},
                             format="multipart"), 403)
    assert_error(guest.delete(f"/room/{room.pk}/files"), 403)
    # A token is good for its own room only.
    assert_error(guest.get(f"/room/{other.pk}/files"), 404)
    assert_error(guest.get(f"/room/{other.pk}/files/{filename}/download"), 404)
    # A removed participant's token no longer works.
    room_token_revoke(grant=room_token_read(token, tenant_id=room.tenant_id))
    assert guest.get(f"/room/{room.pk}/files").status_code == 401


def test_room_token_of_another_tenant_is_not_a_login(host, outsider):
    room = make_room(host)
    theirs = room_token_mint(tenant_id=outsider.tenant_id, room_id=room.pk, role="host", name="M")
    assert room_client(theirs).get(f"/room/{room.pk}/files").status_code == 401


def test_end_meeting_rest(api, host, participant):
    meeting = make_meeting(host, room=make_room(host))
    assert_error(api(participant).post(f"/meetings/{meeting.pk}/end"), 404)
    response = api(host).post(f"/meetings/{meeting.pk}/end")
    assert response.status_code == 200
    body = response.json()
    assert body["meetingId"] == meeting.pk and body["ended"] is True and body["endedAt"] > 0
    stored = Meeting.objects.get(pk=meeting.pk)
    assert stored.closed_at is not None and stored.ended_at is not None
    assert api(host).post(f"/meetings/{meeting.pk}/end").json()["ended"] is False


def test_invite_link_refuses_an_ended_meeting_and_a_banned_guest(host):
    meeting = schedule(host)
    guest = Client()
    page = guest.get(f"/join/{meeting.invite_code}")
    assert page.status_code == 200 and b"Camera preview" in page.content
    joined = guest.post(f"/join/{meeting.invite_code}", {"user_name": "Eve"})
    assert joined.status_code == 302
    token = room_config(guest.get(f"/join/{meeting.invite_code}/room"))["token"]
    grant = room_token_read(token, tenant_id=meeting.tenant_id)
    assert grant.guest and grant.guest.startswith("g:")
    # The host removes her: banned, by the identity her session carries.
    room_ban(grant=grant)
    assert RoomBan.objects.filter(room=meeting.room, subject=grant.guest).exists()
    for response in (guest.get(f"/join/{meeting.invite_code}"),
                     guest.post(f"/join/{meeting.invite_code}", {"user_name": "Eve again"}),
                     guest.get(f"/join/{meeting.invite_code}/room")):
        assert response.status_code == 403
        assert b"You can&#x27;t rejoin this meeting" in response.content
    # Someone else with the link is welcome; once the meeting ended, nobody is.
    assert Client().get(f"/join/{meeting.invite_code}").status_code == 200
    # A meeting everyone left (ended_at, the lifecycle's) opens again on the next join ...
    Meeting.objects.filter(pk=meeting.pk).update(ended_at="2026-01-01T00:00:00Z")
    assert Client().get(f"/join/{meeting.invite_code}").status_code == 200
    # ... one a host ended for everyone (closed_at) does not.
    Meeting.objects.filter(pk=meeting.pk).update(closed_at="2026-01-01T00:00:00Z")
    assert Client().get(f"/join/{meeting.invite_code}").status_code == 410
    assert logged_in(host).get(f"/meetings/{meeting.pk}/room").status_code == 410
    with pytest.raises(MeetingClosed) as refused:
        guest_token_issue(meeting=meeting, user_name="Late")
    assert refused.value.reason == "ended"


def test_host_prejoin_page(host):
    meeting = schedule(host, title="Prejoin check")
    response = logged_in(host).get(f"/meetings/{meeting.pk}/prejoin")
    assert response.status_code == 200
    assert b"Camera preview" in response.content
    assert f"/meetings/{meeting.pk}/room".encode() in response.content
    config = room_config(logged_in(host).get(f"/meetings/{meeting.pk}/room"))
    assert config["inviteUrl"].endswith(f"/join/{meeting.invite_code}")
    assert config["filesUrl"] == f"/room/{meeting.room_id}/files"
