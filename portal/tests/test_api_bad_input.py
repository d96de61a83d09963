"""REST bad input is a 4xx JSON answer, never a 500 (issue 10, item 2): bodies nested 50,000 deep,
lone surrogates and NUL in choice and id fields, NUL in URL ids, and JSON error pages."""

import json

import pytest
from django.test import Client

from meetings.tests.api_helpers import assert_error, make_meeting, make_room
from portal.tests.routes import api_routes, fill, methods

DEEP = "[" * 50_000 + "]" * 50_000
DEEP_OBJECT = '{"a":' * 50_000 + "1" + "}" * 50_000


def _post(client, url, body: str, method="post"):
    return getattr(client, method)(url, data=body, content_type="application/json")


def _json_4xx(response):
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert body["success"] is False and body["message"]
    return body


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT, '{"a":' * 65 + "1" + "}" * 65])
def test_deep_json_on_every_json_endpoint(api, host, body):
    """Every route with a body-taking method, authenticated and anonymous (so /auth/login and
    /auth/register are reached as an attacker reaches them)."""
    meeting = make_meeting(host)
    ids = {"room_id": meeting.room_id, "meeting_id": meeting.pk, "user_id": host.pk,
           "recording_id": "rec-1", "filename": "a.txt"}
    seen = 0
    for route, _name, cls in api_routes():
        for method in methods(cls):
            if method in ("get", "delete"):  # no body is read
                continue
            for client in (api(host), api()):
                response = _post(client, fill(route, **ids), body, method)
                assert response.status_code != 500
                if response.status_code >= 300:  # a few actions read no body (e.g. /end)
                    _json_4xx(response)
                seen += 1
    assert seen >= 20


@pytest.mark.parametrize("url", ["/auth/login", "/auth/register"])
def test_deep_json_unauthenticated_is_400(api, url):
    body = _json_4xx(_post(api(), url, DEEP))
    assert "nested" in body["message"]


@pytest.mark.parametrize("value", ["\ud800", "a\x00b", "\udfff\ud800"])
def test_surrogates_and_nul_in_choice_and_id_fields(api, host, value):
    room = make_room(host)
    client = api(host)
    cases = [
        ("/room/create", {"name": "x", "type": value}, "type"),
        ("/room/create", {"name": value, "type": "meeting"}, "name"),
        (f"/room/{room.pk}/token", {"role": value, "userName": "Al"}, "role"),
        ("/recording/start", {"roomId": room.pk, "recordingId": "r1", "streamId": value}, "streamId"),
        ("/recording/start", {"roomId": value, "recordingId": "r1"}, "roomId"),
        ("/recording/stop", {"streamId": value}, "streamId"),
        ("/meetings/create", {"title": value, "roomId": room.pk}, "title"),
        ("/auth/login", {"userName": value, "password": value}, "userName"),
        ("/auth/register", {"email": value, "password": "x"}, "email"),
    ]
    for url, payload, field in cases:
        # ensure_ascii: the lone surrogate travels as the escape "\ud800", as an attacker sends it.
        response = _post(client, url, json.dumps(payload))
        body = assert_error(response, 400)
        assert field in body.get("errors", {}), (url, body)


def test_surrogate_in_a_key_and_non_finite_numbers(api, host):
    for raw in ['{"\\ud800": 1, "name": "x", "type": "meeting"}', '{"name": "x", "type": "meeting", '
                '"maxParticipants": NaN}', '{"name": "x", "type": "meeting", "maxParticipants": 1e999}']:
        _json_4xx(_post(api(host), "/room/create", raw))


@pytest.mark.parametrize(
    "url",
    ["/recordings/%00/file", "/recordings/%ED%A0%80/file", "/room/%00/token", "/meetings/list/%00",
     "/view-transcript/%00", "/meeting/%00/summary", "/room/a%00b/files", "/meetings/%00",
     "/join/%00", "/recordings/x%2F..%2F/file"],
)
def test_nul_and_junk_in_url_ids_is_a_json_404(api, host, url):
    for client in (api(), api(host)):
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code)
        assert response.json() == {"success": False, "message": "Not found."}


def test_form_body_with_nul_is_400(api, host):
    response = api(host).post("/room/create", data="name=a%00b&type=meeting",
                              content_type="application/x-www-form-urlencoded")
    assert_error(response, 400)


def test_server_error_is_json_for_the_api_and_a_page_for_browsers(host, monkeypatch):
    from meetings.api.views import rooms
    from portal.accounts.tokens import login_token_for

    def boom(self, request):
        raise RuntimeError("/srv/parley/secret/path exploded")

    monkeypatch.setattr(rooms.RoomCreateView, "post", boom)
    client = Client(raise_request_exception=False, HTTP_HOST="localhost",
                    HTTP_AUTHORIZATION=f"Bearer {login_token_for(host)}")
    response = client.post("/room/create", data="{}", content_type="application/json")
    assert response.status_code == 500
    assert response.json() == {"success": False, "message": "Internal server error."}
    assert b"/srv/parley" not in response.content


def test_error_pages_for_browsers_stay_html(rf):
    from portal import api as portal_api

    request = rf.get("/x", headers={"Accept": "text/html"})
    for view, status in ((portal_api.server_error, 500), (portal_api.bad_request, 400),
                         (portal_api.permission_denied, 403)):
        response = view(request) if status == 500 else view(request, Exception())
        assert response.status_code == status and b"<" in response.content
    for view, status in ((portal_api.bad_request, 400), (portal_api.permission_denied, 403)):
        response = view(rf.get("/room/create"), Exception())
        assert json.loads(response.content) == {"success": False, "message": response.reason_phrase
                                                .replace("Bad Request", "Bad request.")
                                                .replace("Forbidden", "Forbidden.")}
