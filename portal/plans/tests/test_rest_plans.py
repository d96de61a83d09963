"""Every route declares its plan feature, and every Professional endpoint is refused on an
Essential tenant with the plan error — enumerated from the URL resolver, so a new route
without a declaration, or a Professional one without a case below, fails here."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from meetings.services.content import summary_generate, transcript_add
from meetings.tests.api_helpers import fake_server, make_meeting
from portal.plans.catalogue import ESSENTIAL, PLANS, feature_known, plan_allows
from portal.tenancy import Tenant

pytestmark = pytest.mark.django_db

SKIPPED_NAMESPACES = {"admin"}  # the admin has its own permissions; plans are shown there


def routes(resolver=None, prefix=""):
    """(name, route, callback) for every URL pattern outside the admin."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            yield from routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry.name, prefix + str(entry.pattern), entry.callback


def declared(callback) -> str | None:
    for holder in (callback, getattr(callback, "cls", None), getattr(callback, "view_class", None)):
        feature = getattr(holder, "plan_feature", None)
        if feature:
            return feature
    return None


ROUTES = sorted(routes(), key=lambda r: r[1])
ON_ESSENTIAL = Tenant(name="e", slug="e", plan=ESSENTIAL)
PROFESSIONAL_ROUTES = sorted(name for name, _, cb in ROUTES if not plan_allows(ON_ESSENTIAL, declared(cb)))


def test_every_route_declares_a_known_plan_feature():
    missing = [(name, route) for name, route, cb in ROUTES if not feature_known(declared(cb) or "")]
    assert not missing, f"declare plan_feature on these views (a feature or 'essential'): {missing}"


def test_the_professional_routes_are_the_ones_expected():
    # Changing this set is a product decision: update docs/plans.md with it.
    assert PROFESSIONAL_ROUTES == sorted(CASES)


@pytest.fixture
def speech(settings):
    with fake_server(lambda request: (200, "application/jwt", b"eyJ0.e30.sig")) as (url, _):
        settings.AZURE_SPEECH_KEY, settings.AZURE_SPEECH_REGION = "k", "eastus2"
        settings.AZURE_SPEECH_TOKEN_URL = url
        yield


def _meeting_with_transcript(user):
    meeting = make_meeting(user, transcript_enabled=True)  # it keeps a transcript (docs/captions.md)
    transcript_add(meeting=meeting, user_name="Alice", message="We ship on Friday. Bob tests it.")
    return meeting


def _meeting_with_summary(user):
    meeting = _meeting_with_transcript(user)
    summary_generate(meeting=meeting)
    return meeting


# name → (method, path for a user's fresh meeting, body, status on Professional).
# On Essential the meeting is empty, as it would be: nothing Professional could be stored there.
CASES = {
    "api-speech-token": ("get", lambda m: "/api/get-speech-token", None, 200),
    "api-transcript-send": ("post", lambda m: "/send-transcript",
                            lambda m: {"meetingId": m.pk, "userName": "Al", "message": "Hi."}, 201),
    "api-transcript-view": ("get", lambda m: f"/view-transcript/{m.pk}", None, 200),
    "api-summary-generate": ("post", lambda m: f"/transcription/generate-summary/{m.pk}", None, 200),
    "api-summary": ("get", lambda m: f"/meeting/{m.pk}/summary", None, 200),
    "api-summary-task": ("post", lambda m: f"/meetings/{m.pk}/summary", None, 202),
    "api-reporting-by-location": (
        "get", lambda m: "/reporting/total-sessions-by-location-for-user", None, 200),
    "api-reporting-by-city": (
        "get", lambda m: "/reporting/total-sessions-and-participants-count-by-location-for-user", None, 200),
}


def call(client, name, meeting):
    method, path, body, _ = CASES[name]
    return getattr(client, method)(path(meeting), body(meeting) if body else None, format="json")


@pytest.mark.parametrize("name", PROFESSIONAL_ROUTES)
def test_refused_on_essential_with_the_plan_error(name, api, ess_host):
    response = call(api(ess_host), name, make_meeting(ess_host))
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["code"] == "plan_required"
    assert body["plan"] == "professional" and body["currentPlan"] == "essential"
    assert body["feature"] in PLANS["professional"].features - PLANS["essential"].features
    assert "Professional" in body["detail"] and body["message"] == body["detail"]
    assert body["success"] is False


@pytest.mark.parametrize("name", PROFESSIONAL_ROUTES)
def test_allowed_on_professional(name, api, pro_host, speech):
    meeting = _meeting_with_summary(pro_host) if name == "api-summary" else _meeting_with_transcript(pro_host)
    response = call(api(pro_host), name, meeting)
    assert response.status_code == CASES[name][3], response.content


def test_unauthenticated_is_still_401_before_any_plan_talk(api, ess):
    response = api(host="beta.test").get("/api/get-speech-token")
    assert response.status_code == 401


def test_the_plan_is_the_requests_tenants(api, ess_host, pro_host, speech):
    """The same endpoint, the same moment: refused on B, served on A."""
    assert api(ess_host).get("/api/get-speech-token").status_code == 403
    assert api(pro_host).get("/api/get-speech-token").status_code == 200


def test_meetings_with_transcripts_need_professional(api, ess_host, pro_host):
    payload = {"title": "Sync", "hostId": ess_host.pk, "transcriptEnabled": True}
    body = api(ess_host).post("/meetings/create", payload, format="json").json()
    assert (body["code"], body["feature"]) == ("plan_required", "transcripts")
    payload["transcriptEnabled"] = False
    meeting_id = api(ess_host).post("/meetings/create", payload, format="json").json()["meetingId"]
    update = f"/meetings/update/{meeting_id}"
    response = api(ess_host).post(update, {"transcriptEnabled": True}, format="json")
    assert response.status_code == 403 and response.json()["feature"] == "transcripts"
    assert api(ess_host).post(update, {"title": "New"}, format="json").status_code == 204
    pro_payload = {"title": "Sync", "hostId": pro_host.pk, "transcriptEnabled": True}
    assert api(pro_host).post("/meetings/create", pro_payload, format="json").status_code == 201


def test_basic_reports_stay_on_essential(api, ess_host):
    for path in ("/reporting/total-sessions-for-user", "/reporting/total-sessions-aggregation-for-user",
                 "/reporting/total-sessions-statistics-for-user"):
        assert api(ess_host).get(path).status_code == 200, path


def test_a_view_without_a_declaration_is_refused(rf, host):
    """Fail closed: an API view that forgot ``plan_feature`` answers 403, not its content."""
    from rest_framework.test import force_authenticate
    from rest_framework.views import APIView

    class Forgetful(APIView):
        def get(self, request):
            raise AssertionError("must not run")

    request = rf.get("/x")
    request.tenant = host.tenant
    force_authenticate(request, user=host)
    response = Forgetful.as_view()(request)
    assert response.status_code == 403
