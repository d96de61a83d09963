"""REST writes that concern the room are announced on its socket (after commit)."""

from asgiref.sync import sync_to_async

from meetings.models import Meeting
from realtime.tests.conftest import Client, socket_db

pytestmark = socket_db


async def test_rest_recording_start_and_stop_reach_the_room(api, host, room, meeting, token_for):
    guest = await Client(f"/ws/rooms/{room.pk}/?token={token_for('participant', 'Guest')}").join()
    client = await sync_to_async(api)(host)
    start = {"roomId": room.pk, "userName": "Alice", "streamId": 755961800257348400,
             "recordingId": "1756364334628_738386", "startTime": 1756364334634, "videoType": "video",
             "status": "pending"}
    response = await sync_to_async(client.post)("/recording/start", start, format="json")
    assert response.status_code == 201
    frame = await guest.recv_type("recording")
    assert (frame["togglingFlag"], frame["recordingId"]) == (True, "1756364334628_738386")
    refreshed = await Meeting.objects.aget(pk=meeting.pk)
    assert refreshed.recording_ids == ["1756364334628_738386"]

    stop = {"recordingId": "1756364334628_738386", "streamId": "755961800257348400", "endTime": 1756364334634}
    response = await sync_to_async(client.post)("/recording/stop", stop, format="json")
    assert response.status_code == 204
    frame = await guest.recv_type("recording")
    assert frame["togglingFlag"] is False
    await guest.comm.disconnect()
