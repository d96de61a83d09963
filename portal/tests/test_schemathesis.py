"""Schemathesis against the app's own /api/schema/ (drf-spectacular), in process (WSGI): every
operation with generated valid data, as a logged-in user of tenant A whose room, meeting,
recording, file, transcript and summary exist — zero server errors and zero schema violations
(status codes, content types and bodies as documented). Then every id harvested from tenant A is
replayed by a user of tenant B: never a 2xx, never a 5xx.

Kept small (a handful of examples per operation) so that it runs in seconds; CI runs it on
SQLite and on PostgreSQL."""

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import TENANT_B_HOST
from meetings.services.content import room_file_upload, summary_generate, transcript_add
from meetings.services.recordings import recording_start, recording_stop
from meetings.services.rooms import meeting_create, room_create
from meetings.tests.api_helpers import fast_password_hashing  # noqa: F401 (fixture)
from portal.accounts.tokens import login_token_for

pytestmark = pytest.mark.django_db(transaction=True)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 6


@pytest.fixture
def world(fast_password_hashing, host, outsider, settings, monkeypatch):  # noqa: F811
    from meetings.api.views import speech

    settings.AZURE_SPEECH_KEY, settings.AZURE_SPEECH_REGION = "k", "westeurope"  # else a documented 503
    monkeypatch.setattr(speech, "speech_token_fetch", lambda **kw: "azure-token")
    settings.AUTH_THROTTLE_RATE = "100000/min"
    from portal.accounts.api import AddressThrottle

    monkeypatch.setattr(AddressThrottle, "THROTTLE_RATES", {"auth": "100000/min"})
    room = room_create(owner=host, name="Board")
    meeting = meeting_create(host=host, title="Sync", room=room, transcript_enabled=True)
    transcript_add(meeting=meeting, user_name="Alice", message="hello there")
    summary_generate(meeting=meeting)
    recording = recording_start(room=room, started_by=host, recording_id="rec-a1", host_name="Alice")
    recording_stop(recording=recording)
    room_file = room_file_upload(room=room, upload=SimpleUploadedFile("plan.txt", b"x"), uploaded_by=host)
    ids = {"room_id": room.pk, "meeting_id": meeting.pk, "user_id": host.pk, "recording_id": "rec-a1",
           "filename": room_file.filename}
    return {"ids": ids, "host": host, "outsider": outsider}


def _schema():
    return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


def _operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


def test_schemathesis_zero_server_errors_and_schema_violations(world):
    schema = _schema()
    auth = {"Authorization": f"Bearer {login_token_for(world['host'])}"}
    failures, calls = [], 0
    for operation in _operations(schema):

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            nonlocal calls
            for real_ids in (False, True):
                if real_ids and case.path_parameters:
                    params = case.path_parameters.items()
                    case.path_parameters = {k: world["ids"].get(k, v) for k, v in params}
                response = case.call(headers=auth)
                calls += 1
                try:
                    case.validate_response(response, checks=CHECKS)
                except (Exception, BaseExceptionGroup) as exc:  # collect all, report together
                    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
                    failures.append(f"{operation.label} [{response.status_code}]: {' | '.join(lines[1:4])}")

        run()
    assert calls > 100
    assert not failures, "\n" + "\n".join(sorted(set(failures))[:40])


def test_ids_of_tenant_a_replayed_in_tenant_b(world):
    schema = _schema()
    auth = {"Authorization": f"Bearer {login_token_for(world['outsider'])}", "Host": TENANT_B_HOST}
    seen = 0
    for operation in _operations(schema):
        if not any(p.location == "path" for p in operation.iter_parameters()):
            continue
        names = [p.name for p in operation.iter_parameters() if p.location == "path"]
        case = operation.Case(path_parameters={k: world["ids"][k] for k in names})
        response = case.call(headers=auth)
        seen += 1
        assert response.status_code in (400, 403, 404), (operation.label, response.status_code, response.text)
    assert seen >= 10
