import pytest

from meetings.models import Recording
from meetings.services.recordings import recording_start
from meetings.tests.api_helpers import (
    assert_error,
    fast_password_hashing,  # noqa: F401 (fixture)
    make_room,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


def seed_start(room):
    return {
        "roomId": room.pk, "userName": "Haseeb Asif", "streamId": 755961800257348400,
        "recordingId": "1756364334628_738386", "startTime": 1756364334634, "videoType": "video",
        "status": "pending",
    }


def test_start_recording_with_the_seed_example(api, host):
    room = make_room(host)
    response = api(host).post("/recording/start", seed_start(room), format="json")
    assert response.status_code == 201
    recording = Recording.objects.get(recording_id="1756364334628_738386")
    assert recording.room == room and recording.host_name == "Haseeb Asif"
    assert recording.stream_id == "755961800257348400"
    assert recording.start_time.isoformat() == "2025-08-28T06:58:54.634000+00:00"
    assert (recording.stopped, recording.processing, recording.video_type) == (False, "pending", "video")
    assert response.json()["data"]["recordingId"] == "1756364334628_738386"


def test_start_accepts_iso_start_time_and_string_stream_id(api, host):
    room = make_room(host)
    payload = {**seed_start(room), "startTime": "2025-08-28T06:58:54.634Z", "streamId": "abc"}
    assert api(host).post("/recording/start", payload, format="json").status_code == 201


def test_a_room_records_once_at_a_time_and_ids_are_unique(api, host):
    room, other = make_room(host), make_room(host)
    client = api(host)
    assert client.post("/recording/start", seed_start(room), format="json").status_code == 201
    again = {**seed_start(room), "recordingId": "r2"}
    assert_error(client.post("/recording/start", again, format="json"), 409)
    assert_error(client.post("/recording/start", seed_start(other), format="json"), 409)
    assert Recording.objects.count() == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"roomId": None}, "roomId"),
        ({"recordingId": ""}, "recordingId"),
        ({"recordingId": "../x"}, "recordingId"),
        ({"streamId": True}, "streamId"),
        ({"streamId": {"a": 1}}, "streamId"),
        ({"streamId": "x" * 101}, "streamId"),
        ({"startTime": "yesterday"}, "startTime"),
        ({"startTime": -1}, "startTime"),
        ({"startTime": 10**30}, "startTime"),
        ({"userName": "n" * 151}, "userName"),
    ],
)
def test_start_rejects_bad_fields(api, host, change, field):
    room = make_room(host)
    response = api(host).post("/recording/start", {**seed_start(room), **change}, format="json")
    assert field in assert_error(response, 400)["errors"]


def test_only_the_rooms_owner_records(api, host, participant, outsider, staff):
    room = make_room(host)
    assert_error(api(participant).post("/recording/start", seed_start(room), format="json"), 404)
    assert_error(api(outsider).post("/recording/start", seed_start(room), format="json"), 404)
    assert api(staff).post("/recording/start", seed_start(room), format="json").status_code == 201


def test_stop_recording(api, host):
    room = make_room(host)
    recording = recording_start(room=room, started_by=host, recording_id="rec-1", host_name="Alice")
    payload = {"recordingId": "rec-1", "streamId": "s", "endTime": 1756364334634}
    response = api(host).post("/recording/stop", payload, format="json")
    assert response.status_code == 204
    recording.refresh_from_db()
    assert recording.stopped and recording.end_time.isoformat() == "2025-08-28T06:58:54.634000+00:00"
    # Stopping again changes nothing, and the room may record again.
    assert api(host).post("/recording/stop", payload, format="json").status_code == 204
    assert api(host).post("/recording/start", seed_start(room), format="json").status_code == 201


def test_stop_accepts_the_seeds_leading_space_end_time_and_a_stream_id(api, host):
    room = make_room(host)
    recording = recording_start(room=room, started_by=host, recording_id="rec-1", host_name="A",
                                stream_id="755961800257348400")
    payload = {"streamId": 755961800257348400, " endTime": 1756364334634}
    assert api(host).post("/recording/stop", payload, format="json").status_code == 204
    recording.refresh_from_db()
    assert recording.stopped and recording.end_time.year == 2025


@pytest.mark.parametrize("payload", [{}, {" endTime": 1}, [], "x", {"recordingId": "r", "endTime": "soon"}])
def test_stop_bad_payload_is_400(api, host, payload):
    assert_error(api(host).post("/recording/stop", payload, format="json"), 400)


def test_stop_unknown_or_foreign_recording_is_404(api, host, participant, outsider):
    room = make_room(host)
    recording_start(room=room, started_by=host, recording_id="rec-1", host_name="A")
    for user in (participant, outsider):
        assert_error(api(user).post("/recording/stop", {"recordingId": "rec-1"}, format="json"), 404)
    assert_error(api(host).post("/recording/stop", {"recordingId": "nope"}, format="json"), 404)
    assert not Recording.objects.get().stopped


def test_list_recordings_in_the_seed_shape(api, host, participant, staff, django_assert_num_queries):
    mine = make_room(host)
    recording_start(room=mine, started_by=host, recording_id="1756364334628_738386", host_name="Haseeb Asif")
    recording_start(room=make_room(participant), started_by=participant, recording_id="b", host_name="Bob")
    client = api(host)
    with django_assert_num_queries(4):  # tenant, user, user's tenant, recordings
        response = client.get("/recordings/list")
    assert response.status_code == 200
    rows = response.json()
    assert isinstance(rows, list) and len(rows) == 1
    row = rows[0]
    assert set(row) >= {"_id", "roomId", "recordingId", "hostName", "status", "createdAt", "updatedAt"}
    assert (row["roomId"], row["recordingId"], row["hostName"], row["status"]) == (
        mine.pk, "1756364334628_738386", "Haseeb Asif", False
    )
    assert row["createdAt"].endswith("Z")
    assert len(api(staff).get("/recordings/list").json()) == 2


def test_list_recordings_is_tenant_scoped(api, host, outsider):
    recording_start(room=make_room(host), started_by=host, recording_id="a", host_name="A")
    assert api(outsider).get("/recordings/list").json() == []
    assert_error(api().get("/recordings/list"), 401)


def test_list_query_count_does_not_grow(api, host, django_assert_num_queries):
    for i in range(8):
        room = make_room(host)
        recording_start(room=room, started_by=host, recording_id=f"r{i}", host_name="A")
    with django_assert_num_queries(4):
        assert len(api(host).get("/recordings/list").json()) == 8
