import json
import logging
import re

import pytest

from meetings.models import Meeting, MeetingSummary, TranscriptEntry
from meetings.services.content import transcript_add
from meetings.summaries import local_summarise
from meetings.tests.api_helpers import (
    assert_error,
    fake_server,
    fast_password_hashing,  # noqa: F401 (fixture)
    json_body,
    make_meeting,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

RELEASE_MEETING = [
    ("Alice Tester", "Thanks for joining. Today we need to settle the release date for version 2.0 "
                     "and the testing timeline."),
    ("Bob Builder", "Regression testing is about two weeks of work. The release date depends on the "
                    "testing timeline."),
    ("Carol Singer", "Marketing needs the release date by Friday so the launch campaign can start."),
    ("Alice Tester", "Should we ship version 2.0 on March 14th?"),
    ("Bob Builder", "Agreed, that leaves testing two full weeks."),
    ("Carol Singer", "We decided to skip the public beta this time."),
    ("Alice Tester", "Bob, can you update the test plan by Wednesday?"),
    ("Bob Builder", "Sure. I'll also set up the staging environment tomorrow."),
    ("Alice Tester", "Carol will prepare the launch announcement."),
]


def fill(meeting, lines=RELEASE_MEETING):
    for speaker, message in lines:
        transcript_add(meeting=meeting, user_name=speaker, message=message)


def test_send_transcript_with_the_seed_example(api, host):
    meeting = make_meeting(host, transcript_enabled=True)
    payload = {"meetingId": meeting.pk, "userName": "Haseeb Stats", "message": "Hello."}
    response = api(host).post("/send-transcript", payload, format="json")
    assert response.status_code == 201
    entry = TranscriptEntry.objects.get()
    assert (entry.meeting, entry.user_name, entry.message, entry.tenant) == (
        meeting, "Haseeb Stats", "Hello.", host.tenant
    )


def test_participants_of_a_public_meeting_may_send_and_read(api, host, participant):
    meeting = make_meeting(host, transcript_enabled=True)
    payload = {"meetingId": meeting.pk, "userName": "Bob", "message": "Hi."}
    assert api(participant).post("/send-transcript", payload, format="json").status_code == 201
    assert len(api(participant).get(f"/view-transcript/{meeting.pk}").json()["data"]) == 1


def test_send_follows_the_room_rule_transcripts_must_be_on(api, host):
    """Like a ``transcript`` frame on the room socket: nothing is kept while transcripts are off."""
    meeting = make_meeting(host)
    payload = {"meetingId": meeting.pk, "userName": "Alice", "message": "Off the record."}
    refused = assert_error(api(host).post("/send-transcript", payload, format="json"), 409)
    assert "transcript" in refused["message"]
    assert not TranscriptEntry.objects.exists()
    Meeting.objects.filter(pk=meeting.pk).update(transcript_enabled=True)  # as start-transcript does
    assert api(host).post("/send-transcript", payload, format="json").status_code == 201
    assert TranscriptEntry.objects.get().message == "Off the record."


def test_private_meetings_are_404_to_others(api, host, participant, outsider):
    meeting = make_meeting(host, is_private=True, transcript_enabled=True)
    payload = {"meetingId": meeting.pk, "userName": "Bob", "message": "Hi."}
    for user in (participant, outsider):
        assert_error(api(user).post("/send-transcript", payload, format="json"), 404)
        assert_error(api(user).get(f"/view-transcript/{meeting.pk}"), 404)
    assert not TranscriptEntry.objects.exists()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"userName": "A", "message": "m"}, "meetingId"),
        ({"meetingId": "MID", "message": "m"}, "userName"),
        ({"meetingId": "MID", "userName": "A"}, "message"),
        ({"meetingId": "MID", "userName": "A", "message": ""}, "message"),
        ({"meetingId": "MID", "userName": "A", "message": "x" * 10_001}, "message"),
        ({"meetingId": "MID", "userName": ["A"], "message": "m"}, "userName"),
        ({"meetingId": "MID", "userName": "A", "message": "nul\x00"}, "message"),
        ({"meetingId": "../x", "userName": "A", "message": "m"}, "meetingId"),
    ],
)
def test_send_transcript_bad_fields(api, host, payload, field):
    meeting = make_meeting(host)
    payload = {k: (meeting.pk if v == "MID" else v) for k, v in payload.items()}
    assert field in assert_error(api(host).post("/send-transcript", payload, format="json"), 400)["errors"]


def test_send_to_unknown_meeting_is_404(api, host):
    payload = {"meetingId": "0" * 24, "userName": "A", "message": "m"}
    assert_error(api(host).post("/send-transcript", payload, format="json"), 404)
    assert_error(api().post("/send-transcript", payload, format="json"), 401)


def test_view_transcript_in_order_in_the_seed_shape(api, host, django_assert_num_queries):
    meeting = make_meeting(host)
    fill(meeting)
    client = api(host)
    with django_assert_num_queries(5):  # tenant, user, user's tenant, meeting, transcript
        response = client.get(f"/view-transcript/{meeting.pk}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert [(d["userName"], d["message"]) for d in data] == RELEASE_MEETING
    assert set(data[0]) == {"_id", "meetingId", "userName", "message", "createdAt"}
    assert data[0]["meetingId"] == meeting.pk
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", data[0]["createdAt"])


@pytest.mark.parametrize("meeting_id", ["missing", "%00", "a/b"])
def test_view_unknown_transcript_is_404(api, host, meeting_id):
    assert_error(api(host).get(f"/view-transcript/{meeting_id}"), 404)


def test_generate_and_read_a_summary(api, host, participant):
    meeting = make_meeting(host, title="Release planning")
    fill(meeting)
    response = api(host).post(f"/transcription/generate-summary/{meeting.pk}")
    assert response.status_code == 200
    assert response.json() == {"msg": "Summary Generated Successfully."}
    meeting.refresh_from_db()
    assert meeting.summary_generated
    summary = api(participant).get(f"/meeting/{meeting.pk}/summary").json()["summary"]
    assert "- Skip the public beta this time." in summary  # the decision, without "We decided to"
    assert "March 14th" in summary
    assert MeetingSummary.objects.get().source == "local"


def test_summary_before_generation_is_404(api, host):
    meeting = make_meeting(host)
    assert_error(api(host).get(f"/meeting/{meeting.pk}/summary"), 404)
    assert_error(api(host).post(f"/transcription/generate-summary/{meeting.pk}"), 404)  # no transcript
    assert not Meeting.objects.get().summary_generated


def test_only_the_host_generates_summaries(api, host, participant, outsider, staff):
    meeting = make_meeting(host)
    fill(meeting)
    assert_error(api(participant).post(f"/transcription/generate-summary/{meeting.pk}"), 403)
    assert_error(api(outsider).post(f"/transcription/generate-summary/{meeting.pk}"), 404)
    assert_error(api(outsider).get(f"/meeting/{meeting.pk}/summary"), 404)
    assert_error(api().post(f"/transcription/generate-summary/{meeting.pk}"), 401)
    assert api(staff).post(f"/transcription/generate-summary/{meeting.pk}").status_code == 200


# --- the local summariser -------------------------------------------------------------------------


def test_local_summary_names_topics_decisions_and_owned_action_items():
    text = local_summarise(RELEASE_MEETING, title="Release planning")
    overview, rest = text.split("\n", 1)
    assert overview.startswith("Release planning: Alice Tester, Bob Builder and Carol Singer discussed")
    assert "release date" in overview and "testing timeline" in overview
    decisions = rest.split("Action items:")[0]
    assert "Ship version 2.0 on March 14th (proposed by Alice Tester, agreed by Bob Builder)" in decisions
    assert "- Skip the public beta this time." in decisions  # the decision, without its lead-in
    actions = rest.split("Action items:")[1]
    assert "- Bob Builder: update the test plan by Wednesday" in actions
    assert "- Bob Builder: set up the staging environment tomorrow" in actions
    assert "- Carol Singer: prepare the launch announcement" in actions


def test_local_summary_of_small_talk_says_nothing_was_decided():
    text = local_summarise([("Ann", "Hi there."), ("Ben", "Hello, how was the weekend?")])
    assert "Decisions:\n- None recorded." in text and "Action items:\n- None recorded." in text


# --- the OpenAI-compatible summariser --------------------------------------------------------------


def test_llm_summariser_is_used_when_configured(api, host, settings):
    meeting = make_meeting(host, title="Release planning")
    fill(meeting)
    answer = {"choices": [{"message": {"role": "assistant", "content": "LLM: ship on March 14th."}}]}
    with fake_server(lambda request: (200, "application/json", json.dumps(answer).encode())) as (url, seen):
        settings.SUMMARY_LLM_URL = f"{url}/v1"
        settings.SUMMARY_LLM_KEY = "sk-test"
        settings.SUMMARY_LLM_MODEL = "tiny-model"
        assert api(host).post(f"/transcription/generate-summary/{meeting.pk}").status_code == 200
    assert api(host).get(f"/meeting/{meeting.pk}/summary").json() == {"summary": "LLM: ship on March 14th."}
    assert MeetingSummary.objects.get().source == "llm"
    (request,) = seen
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    body = json_body(request)
    assert body["model"] == "tiny-model"
    assert "Bob Builder: Agreed, that leaves testing two full weeks." in body["messages"][-1]["content"]


@pytest.mark.parametrize(
    "status, content",
    [(500, b'{"error": "boom"}'), (200, b"not json"), (200, b'{"choices": []}'), (200, b'{"choices": [{}]}')],
)
def test_llm_failure_falls_back_to_the_local_summariser(api, host, settings, caplog, status, content):
    meeting = make_meeting(host)
    fill(meeting)
    with fake_server(lambda request: (status, "application/json", content)) as (url, _):
        settings.SUMMARY_LLM_URL = f"{url}/v1/chat/completions"
        with caplog.at_level(logging.WARNING, logger="meetings.summaries"):
            assert api(host).post(f"/transcription/generate-summary/{meeting.pk}").status_code == 200
    summary = MeetingSummary.objects.get()
    assert summary.source == "local" and "Skip the public beta" in summary.text
    assert "using the local summariser" in caplog.text


def test_llm_unreachable_falls_back(api, host, settings, caplog):
    meeting = make_meeting(host)
    fill(meeting)
    with fake_server(lambda request: (200, "text/plain", b"")) as (url, _):
        pass  # the server is gone: connection refused
    settings.SUMMARY_LLM_URL = url
    with caplog.at_level(logging.WARNING, logger="meetings.summaries"):
        assert api(host).post(f"/transcription/generate-summary/{meeting.pk}").status_code == 200
    assert MeetingSummary.objects.get().source == "local"
    assert "LLM summariser failed" in caplog.text
