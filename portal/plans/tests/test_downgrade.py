"""A downgrade applies at once to new work and deletes nothing: what was transcribed and
summarised under Professional stays readable on Essential; nothing new can be made."""

import pytest
from django.core.management import call_command

from meetings.models import Meeting, MeetingSummary, Recording, TranscriptEntry
from meetings.services.content import summary_generate, transcript_add
from meetings.services.recordings import recording_start, recording_stop
from meetings.tests.api_helpers import make_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(pro_host):
    meeting = make_meeting(pro_host, transcript_enabled=True)
    transcript_add(meeting=meeting, user_name="Alice", message="We ship on Friday; Bob runs the tests.")
    transcript_add(meeting=meeting, user_name="Bob", message="Agreed, testing starts Monday.")
    summary_generate(meeting=meeting)
    recording = recording_start(room=meeting.room, started_by=pro_host, recording_id="rec-1", host_name="Al")
    recording_stop(recording=recording)
    empty = make_meeting(pro_host, title="Never transcribed")
    call_command("set_plan", "default", "essential")
    return meeting, empty


def test_nothing_is_deleted(archive):
    meeting, _ = archive
    assert TranscriptEntry.objects.filter(meeting=meeting).count() == 2
    assert MeetingSummary.objects.filter(meeting=meeting).exists()
    assert Recording.objects.filter(recording_id="rec-1").exists()
    assert Meeting.objects.get(pk=meeting.pk).transcript_enabled is True


def test_old_transcripts_and_summaries_stay_readable(api, pro_host, archive):
    meeting, _ = archive
    lines = api(pro_host).get(f"/view-transcript/{meeting.pk}").json()["data"]
    assert [line["userName"] for line in lines] == ["Alice", "Bob"]
    summary = api(pro_host).get(f"/meeting/{meeting.pk}/summary")
    assert summary.status_code == 200 and summary.json()["summary"]
    assert api(pro_host).get("/recordings/list").json()[0]["recordingId"] == "rec-1"


def test_where_nothing_was_stored_the_answer_is_the_plan(api, pro_host, archive):
    _, empty = archive
    for path in (f"/view-transcript/{empty.pk}", f"/meeting/{empty.pk}/summary"):
        response = api(pro_host).get(path)
        assert (response.status_code, response.json()["code"]) == (403, "plan_required"), path


def test_nothing_new_can_be_made(api, pro_host, archive):
    meeting, _ = archive
    refused = [
        api(pro_host).post("/send-transcript", {"meetingId": meeting.pk, "userName": "A", "message": "m"},
                           format="json"),
        api(pro_host).post(f"/transcription/generate-summary/{meeting.pk}"),
        api(pro_host).get("/api/get-speech-token"),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert {r.json()["code"] for r in refused} == {"plan_required"}
    assert TranscriptEntry.objects.filter(meeting=meeting).count() == 2


def test_an_upgrade_brings_everything_back(api, pro_host, archive):
    meeting, _ = archive
    call_command("set_plan", "localhost", "professional")
    line = {"meetingId": meeting.pk, "userName": "A", "message": "m"}
    response = api(pro_host).post("/send-transcript", line, format="json")
    assert response.status_code == 201
