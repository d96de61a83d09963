import re

import pytest

from meetings.models import Meeting
from meetings.tests.api_helpers import (
    assert_error,
    fast_password_hashing,  # noqa: F401 (fixture)
    make_meeting,
    make_room,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def create(client, payload):
    return client.post("/meetings/create", payload, format="json")


def test_create_meeting_with_the_seed_example(api, host):
    response = create(api(host), {"title": "My Meeting", "hostId": host.pk, "transcriptEnabled": False})
    assert response.status_code == 201
    assert set(response.json()) == {"meetingId"}
    meeting = Meeting.objects.get(pk=response.json()["meetingId"])
    assert (meeting.title, meeting.host, meeting.transcript_enabled) == ("My Meeting", host, False)


def test_create_meeting_with_room_and_schedule(api, host):
    room = make_room(host)
    payload = {
        "title": "Planning", "hostId": host.pk, "transcriptEnabled": True, "roomId": room.pk,
        "scheduledStart": "2030-01-02T09:30:00Z", "duration": 45,
    }
    meeting = Meeting.objects.get(pk=create(api(host), payload).json()["meetingId"])
    assert meeting.room == room and meeting.duration_minutes == 45
    assert meeting.scheduled_start.isoformat() == "2030-01-02T09:30:00+00:00"


def test_host_id_must_be_the_caller(api, host, participant):
    payload = {"title": "x", "hostId": participant.pk, "transcriptEnabled": False}
    assert_error(create(api(host), payload), 403)
    assert not Meeting.objects.exists()


def test_staff_create_meetings_for_users_of_their_tenant_only(api, staff, host, outsider):
    ok = create(api(staff), {"title": "x", "hostId": host.pk, "transcriptEnabled": False})
    assert Meeting.objects.get(pk=ok.json()["meetingId"]).host == host
    assert_error(create(api(staff), {"title": "x", "hostId": outsider.pk, "transcriptEnabled": False}), 404)


def test_a_room_of_someone_else_cannot_be_used(api, host, participant, outsider):
    for room in (make_room(participant), make_room(outsider)):
        payload = {"title": "x", "hostId": host.pk, "transcriptEnabled": False, "roomId": room.pk}
        assert_error(create(api(host), payload), 404)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"transcriptEnabled": "maybe"}, "transcriptEnabled"),
        ({"hostId": "../../etc"}, "hostId"),
        ({"hostId": 12}, None),
        ({"scheduledStart": "tomorrow"}, "scheduledStart"),
        ({"scheduledStart": 10**20}, "scheduledStart"),
        ({"duration": -5}, "duration"),
        ({"duration": 10**12}, "duration"),
    ],
)
def test_create_meeting_rejects_bad_fields(api, host, change, field):
    payload = {"title": "x", "hostId": host.pk, "transcriptEnabled": False, **change}
    response = create(api(host), payload)
    assert response.status_code in (400, 403)
    if field:
        assert field in assert_error(response, 400)["errors"]


@pytest.mark.parametrize("missing", ["title", "hostId", "transcriptEnabled"])
def test_create_meeting_missing_fields(api, host, missing):
    payload = {k: v for k, v in {"title": "x", "hostId": host.pk, "transcriptEnabled": False}.items()
               if k != missing}
    assert missing in assert_error(create(api(host), payload), 400)["errors"]


def test_update_meeting_with_the_seed_example(api, host):
    meeting = make_meeting(host, title="Old")
    room = make_room(host)
    payload = {
        "title": "Test Meeting", "transcriptEnabled": False, "summaryGenerated": False, "roomId": room.pk,
        "recordingId": "1737978989992_59591",
    }
    response = api(host).post(f"/meetings/update/{meeting.pk}", payload, format="json")
    assert response.status_code == 204 and response.content == b""
    meeting.refresh_from_db()
    assert (meeting.title, meeting.room) == ("Test Meeting", room)
    assert meeting.recording_ids == ["1737978989992_59591"]


def test_update_appends_recording_ids_once_each(api, host):
    meeting = make_meeting(host)
    for rid in ("r1", "r2", "r1"):
        api(host).post(f"/meetings/update/{meeting.pk}", {"recordingId": rid}, format="json")
    meeting.refresh_from_db()
    assert meeting.recording_ids == ["r1", "r2"]


def test_update_by_someone_else_is_404_and_staff_may(api, host, participant, outsider, staff):
    meeting = make_meeting(host, title="Mine")
    assert_error(api(participant).post(f"/meetings/update/{meeting.pk}", {"title": "X"}, format="json"), 404)
    assert_error(api(outsider).post(f"/meetings/update/{meeting.pk}", {"title": "X"}, format="json"), 404)
    assert api(staff).post(f"/meetings/update/{meeting.pk}", {"title": "Y"}, format="json").status_code == 204
    meeting.refresh_from_db()
    assert meeting.title == "Y"


def test_update_user_id_must_be_the_caller(api, host, participant):
    meeting = make_meeting(host)
    response = api(host).post(f"/meetings/update/{meeting.pk}", {"userId": participant.pk}, format="json")
    assert_error(response, 403)
    ok = api(host).post(f"/meetings/update/{meeting.pk}", {"userId": host.pk, "title": "T"}, format="json")
    assert ok.status_code == 204


@pytest.mark.parametrize("meeting_id", ["missing", "x" * 300, "%00", "a%2F..%2Fb"])
def test_update_unknown_meeting_is_404(api, host, meeting_id):
    assert_error(api(host).post(f"/meetings/update/{meeting_id}", {"title": "X"}, format="json"), 404)


@pytest.mark.parametrize("payload", [[], "x", {"title": ""}, {"summaryGenerated": "?"}, {"roomId": "!"}])
def test_update_bad_payload_is_400(api, host, payload):
    meeting = make_meeting(host)
    assert_error(api(host).post(f"/meetings/update/{meeting.pk}", payload, format="json"), 400)


def test_list_meetings_is_a_list_in_the_seed_shape(api, host, participant, django_assert_num_queries):
    first = make_meeting(host, title="First")
    second = make_meeting(host, title="Second", transcript_enabled=True)
    make_meeting(participant, title="Not mine")
    client = api(host)
    with django_assert_num_queries(4):  # tenant, user, user's tenant, meetings
        response = client.get(f"/meetings/list/{host.pk}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert [m["_id"] for m in data] == [second.pk, first.pk]
    row = data[0]
    assert set(row) == {
        "_id", "title", "hostId", "transcriptEnabled", "summaryGenerated", "recordingIds", "createdAt",
        "roomId", "scheduledStart", "duration",
    }
    assert (row["title"], row["hostId"], row["transcriptEnabled"], row["recordingIds"]) == (
        "Second", host.pk, True, []
    )
    assert ISO_MS.match(row["createdAt"])
    assert row["roomId"] == second.room_id


def test_list_query_count_does_not_grow(api, host, django_assert_num_queries):
    for i in range(10):
        make_meeting(host, title=f"M{i}")
    with django_assert_num_queries(4):
        assert len(api(host).get(f"/meetings/list/{host.pk}").json()["data"]) == 10


def test_list_of_another_user_is_403_but_staff_may(api, host, participant, staff, outsider):
    make_meeting(host)
    assert_error(api(participant).get(f"/meetings/list/{host.pk}"), 403)
    assert len(api(staff).get(f"/meetings/list/{host.pk}").json()["data"]) == 1
    assert_error(api(staff).get(f"/meetings/list/{outsider.pk}"), 404)
    assert_error(api(outsider).get(f"/meetings/list/{host.pk}"), 403)


def test_list_needs_a_login(api, host):
    assert_error(api().get(f"/meetings/list/{host.pk}"), 401)
