"""The REST IDOR matrix (issue 10's standing suite): every route of the URL resolver × {a user of
another tenant, another user of the same tenant, a guest's room token, anonymous}, aimed at the
resources of a room owner's *private* room. ``MATRIX`` is written by hand: a route the resolver
has and the matrix lacks (or the other way round) fails, so a new endpoint cannot ship without
its row.

A cell is the status the attacker must get. ``OWN`` means the endpoint answers about the caller's
own things (200/201) — the victim's ids, names and texts must not appear in its body. ``PUBLIC``:
open to everyone by design (log in, sign up); it must not answer with the victim's data either.
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from conftest import TENANT_B_HOST
from meetings.models import Recording
from meetings.services.content import room_file_upload, summary_generate, transcript_add
from meetings.services.recordings import recording_start, recording_stop
from meetings.services.rooms import guest_token_issue, meeting_create, room_create
from meetings.tests.api_helpers import fast_password_hashing  # noqa: F401 (fixture)
from portal.accounts.tokens import login_token_for
from portal.tests.routes import api_routes, fill, methods

OWN, PUBLIC, MEMBER = "own", "public", "member"  # MEMBER: the guest holds a token of that room
DENIED = dict(tenant=404, user=404, guest=401, anon=401)  # missing and not-yours look the same
ATTACKERS = ("tenant", "user", "guest", "anon")

# (method, route): {attacker: expected status}, plus the request body when one is needed.
MATRIX = {
    ("post", "auth/register"): dict(all=PUBLIC),
    ("post", "auth/login"): dict(all=PUBLIC),
    ("get", "auth/me"): dict(tenant=OWN, user=OWN, guest=401, anon=401),
    ("post", "room/create"): dict(tenant=OWN, user=OWN, guest=401, anon=401),
    # 403 (documented): a private room's tokens are its owner's to mint; the id is not guessable.
    ("post", "room/<id:room_id>/token"): dict(tenant=404, user=403, guest=401, anon=401),
    ("post", "meetings/create"): DENIED,
    ("post", "meetings/update/<id:meeting_id>"): DENIED,
    ("post", "meetings/<id:meeting_id>/end"): DENIED,
    ("get", "meetings/list/<id:user_id>"): dict(tenant=403, user=403, guest=401, anon=401),  # not your id
    ("post", "recording/start"): DENIED,
    ("post", "recording/stop"): DENIED,
    ("get", "recordings/list"): dict(tenant=OWN, user=OWN, guest=401, anon=401),
    ("get", "recordings/<recid:recording_id>/file"): DENIED,
    # A room token of that room may share files (the guest is in the room); it never replaces the owner's.
    ("post", "room/<id:room_id>/upload"): dict(DENIED, guest=MEMBER),
    ("get", "room/<id:room_id>/files"): dict(DENIED, guest=MEMBER),
    ("delete", "room/<id:room_id>/files"): dict(DENIED, guest=403),
    ("get", "room/<id:room_id>/files/<str:filename>/download"): dict(DENIED, guest=MEMBER),
    ("get", "room/<id:room_id>/files/<path:filename>"): dict(DENIED, guest=MEMBER),
    # By design a host's or participant's room token may caption (docs/captions.md).
    ("get", "api/get-speech-token"): dict(tenant=OWN, user=OWN, guest=OWN, anon=401),
    ("post", "send-transcript"): DENIED,
    ("get", "view-transcript/<id:meeting_id>"): DENIED,
    ("post", "transcription/generate-summary/<id:meeting_id>"): DENIED,
    ("get", "meeting/<id:meeting_id>/summary"): DENIED,
    ("get", "meetings/<id:meeting_id>/summary"): DENIED,
    ("post", "meetings/<id:meeting_id>/summary"): DENIED,
    ("get", "reporting/total-sessions-for-user"): dict(tenant=OWN, user=OWN, guest=401, anon=401),
    ("get", "reporting/total-sessions-aggregation-for-user"): dict(tenant=OWN, user=OWN, guest=401, anon=401),
    ("get", "reporting/total-sessions-statistics-for-user"): dict(tenant=OWN, user=OWN, guest=401, anon=401),
    ("get", "reporting/total-sessions-by-location-for-user"): dict(tenant=OWN, user=OWN, guest=401, anon=401),
    ("get", "reporting/total-sessions-and-participants-count-by-location-for-user"):
        dict(tenant=OWN, user=OWN, guest=401, anon=401),
}


pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture
def victim(fast_password_hashing, host, tenant_b, settings, monkeypatch):  # noqa: F811
    """Alice's private room with a meeting, a transcript, a summary, a stopped recording and a file."""
    from meetings.api.views import speech

    settings.AZURE_SPEECH_KEY, settings.AZURE_SPEECH_REGION = "k", "westeurope"
    monkeypatch.setattr(speech, "speech_token_fetch", lambda **kw: "azure-token")
    room = room_create(owner=host, name="Secret Board Room", is_private=True)
    meeting = meeting_create(host=host, title="Secret Merger Talk", room=room, transcript_enabled=True)
    transcript_add(meeting=meeting, user_name="Alice", message="the secret merger price is 42")
    summary_generate(meeting=meeting)
    recording = recording_start(room=room, started_by=host, recording_id="secret-rec-1", host_name="Alice")
    recording_stop(recording=recording)
    upload = SimpleUploadedFile("secret-plan.txt", b"top secret", content_type="text/plain")
    room_file = room_file_upload(room=room, upload=upload, uploaded_by=host)
    guest = guest_token_issue(meeting=meeting, user_name="Guest")
    markers = [room.pk, meeting.pk, "secret-rec-1", "Secret Board Room", "Secret Merger Talk",
               "secret merger", "secret-plan", host.email]
    return dict(room=room, meeting=meeting, recording=recording, file=room_file, guest=guest, host=host,
                markers=markers)


def _client(kind, victim, participant, outsider):
    if kind == "tenant":
        client = APIClient(HTTP_HOST=TENANT_B_HOST)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {login_token_for(outsider)}")
    elif kind == "tenant-on-victims-host":
        client = APIClient(HTTP_HOST="localhost")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {login_token_for(outsider)}")
    elif kind == "user":
        client = APIClient(HTTP_HOST="localhost")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {login_token_for(participant)}")
    elif kind == "guest":
        client = APIClient(HTTP_HOST="localhost")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {victim['guest']}")
    else:
        client = APIClient(HTTP_HOST="localhost")
    return client


def _request(client, method, route, victim, caller=None):
    room, meeting = victim["room"], victim["meeting"]
    url = fill(route, room_id=room.pk, meeting_id=meeting.pk, user_id=victim["host"].pk,
               recording_id="secret-rec-1", filename=victim["file"].filename)
    bodies = {
        "auth/register": {"email": victim["host"].email, "password": "Another-pass-123", "fName": "A",
                          "lName": "B", "phoneNumber": "+1 555 0100", "country": "X"},
        "auth/login": {"userName": victim["host"].email, "password": "wrong"},
        "room/create": {"name": "Mine", "type": "meeting"},
        "room/<id:room_id>/token": {"role": "participant", "userName": "Eve"},
        "meetings/create": {"title": "Mine", "hostId": getattr(caller, "pk", victim["host"].pk),
                            "transcriptEnabled": True,
                            "roomId": room.pk},
        "meetings/update/<id:meeting_id>": {"title": "Hijacked"},
        "recording/start": {"roomId": room.pk, "recordingId": "evil-rec"},
        "recording/stop": {"recordingId": "secret-rec-1"},
        "send-transcript": {"meetingId": meeting.pk, "userName": "Eve", "message": "planted"},
    }
    if route == "room/<id:room_id>/upload":
        return client.post(url, {"file": SimpleUploadedFile("secret-plan.txt", b"evil")}, format="multipart")
    return getattr(client, method)(url, bodies.get(route, {}), format="json")


def test_every_route_has_a_row_and_every_row_a_route():
    resolved = {(m, route) for route, _name, cls in api_routes() for m in methods(cls)}
    assert resolved - MATRIX.keys() == set(), "new routes need a row in MATRIX"
    assert MATRIX.keys() - resolved == set(), "MATRIX lists routes that are gone"


@pytest.mark.parametrize("key", sorted(MATRIX), ids=lambda k: f"{k[0].upper()} /{k[1]}")
def test_rest_idor_matrix(key, victim, participant, outsider):
    method, route = key
    row = MATRIX[key]
    for kind in (*ATTACKERS, "tenant-on-victims-host"):
        expected = row.get("all") or (401 if kind == "tenant-on-victims-host" and row.get("anon") == 401
                                      else row.get("tenant" if kind.startswith("tenant") else kind))
        caller = {"tenant": outsider, "tenant-on-victims-host": outsider, "user": participant}.get(kind)
        response = _request(_client(kind, victim, participant, outsider), method, route, victim, caller)
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        body = raw.decode("utf-8", "replace")
        if expected == MEMBER:
            assert 200 <= response.status_code < 300, (kind, response.status_code, body[:300])
            continue
        if expected in (OWN, PUBLIC):
            assert response.status_code < 500, (kind, response.status_code, body[:300])
            if expected == OWN:
                assert 200 <= response.status_code < 300, (kind, response.status_code, body[:300])
        else:
            assert response.status_code == expected, (kind, response.status_code, body[:300])
            assert json.loads(body)["success"] is False
        if expected != PUBLIC and response.get("Content-Type", "").startswith("application/json"):
            for marker in victim["markers"]:
                assert marker not in body, (kind, marker, body[:300])
    # Nothing of the victim's changed.
    victim["meeting"].refresh_from_db()
    assert victim["meeting"].title == "Secret Merger Talk"
    assert list(victim["meeting"].transcript.values_list("message", flat=True)) == [
        "the secret merger price is 42"]
    owners = victim["room"].files.get(uploaded_by=victim["host"])  # never replaced by anyone else
    assert owners.size == len(b"top secret") and owners.filename == victim["file"].filename
    assert not Recording.objects.filter(recording_id="evil-rec").exists()
