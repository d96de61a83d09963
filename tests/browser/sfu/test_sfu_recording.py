"""Server-side recording: Janus records a 5-second SFU meeting, janus-pp-rec and ffmpeg turn
its files into the same Recording row, processing and download as a browser recording."""

import json
import subprocess
import time
import urllib.request

import pytest

from meetings.models import Meeting, Recording
from meetings.recordings_download import delivery_fields
from meetings.services.rooms import meeting_create, room_create
from tests.browser.conftest import SCREENSHOTS
from tests.browser.sfu.conftest import wait_for_remote_videos, wait_until
from tests.browser.sfu.test_sfu_meetings import host_joins, join

pytestmark = [pytest.mark.browser, pytest.mark.janus, pytest.mark.django_db(transaction=True)]


def test_a_five_second_meeting_recorded_on_the_media_server_plays(host, sfu_url, small_camera_page, tmp_path):
    room = room_create(owner=host, name="Recorded sync", p2p=False)
    meeting = meeting_create(host=host, title="Recorded sync", room=room)
    host_page, guest = small_camera_page(), small_camera_page()
    host_joins(host_page, sfu_url, host, meeting)
    join(guest, sfu_url, meeting.invite_code, "Frances Allen")
    wait_for_remote_videos(host_page, 1)
    wait_for_remote_videos(guest, 1)

    # A guest may not record; the host may.
    refused = guest.evaluate("() => window.parleyRoom.recordOnServer(true).then(() => 'ok', e => e.code)")
    assert refused == "forbidden"
    started = host_page.evaluate("() => window.parleyRoom.recordOnServer(true)")
    began = time.monotonic()
    assert started["record"] is True
    host_page.wait_for_timeout(5000)  # the meeting goes on for five seconds
    stopped = host_page.evaluate("() => window.parleyRoom.recordOnServer(false)")
    length = time.monotonic() - began
    assert stopped == {**stopped, "record": False, "recordingId": started["recordingId"]}

    def done():
        recording = Recording.objects.get(recording_id=started["recordingId"])
        return recording if recording.processing in ("ready", "failed") else None

    recording = wait_until(done, timeout=180, what="the worker to process the recording")
    assert (recording.processing, recording.error) == ("ready", ""), recording.error
    assert (recording.video_type, recording.host_name, recording.room_id) == ("sfu", "Alice Tester", room.pk)
    assert abs(recording.duration - length) <= 1.0, (recording.duration, length)
    assert started["recordingId"] in Meeting.objects.get(pk=meeting.pk).recording_ids

    # Played back like any recording: the list row's signed link serves an MP4 that decodes.
    with urllib.request.urlopen(f"{sfu_url}{delivery_fields(recording)['url']}", timeout=30) as response:
        (tmp_path / "meeting.mp4").write_bytes(response.read())
    probe = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=codec_type,nb_read_frames,width",
         "-of", "json", str(tmp_path / "meeting.mp4")], capture_output=True, text=True, check=True).stdout)
    frames = {s["codec_type"]: int(s.get("nb_read_frames") or 0) for s in probe["streams"]}
    assert frames["video"] > 30 and "audio" in frames, probe
    # Both cameras, side by side (each camera is a 640-pixel-wide cell).
    assert [s["width"] for s in probe["streams"] if s["codec_type"] == "video"] == [1280], probe
    # A still of the middle of the recording, to look at: both cameras side by side.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", "2.5", "-i", str(tmp_path / "meeting.mp4"),
                    "-frames:v", "1", str(SCREENSHOTS / "sfu-recording-frame.png")], check=True)
