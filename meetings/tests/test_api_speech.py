import pytest

from meetings.tests.api_helpers import (
    assert_error,
    fake_server,
    fast_password_hashing,  # noqa: F401 (fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


def test_without_configuration_it_is_503(api, host, settings):
    settings.AZURE_SPEECH_KEY = ""
    settings.AZURE_SPEECH_REGION = ""
    body = assert_error(api(host).get("/api/get-speech-token"), 503)
    assert "not configured" in body["message"]


def test_token_comes_from_azures_token_service(api, host, settings):
    token = b"eyJhbGciOiJFUzI1NiJ9.e30.sig"
    with fake_server(lambda request: (200, "application/jwt", token)) as (url, seen):
        settings.AZURE_SPEECH_KEY = "secret-key"
        settings.AZURE_SPEECH_REGION = "eastus2"
        settings.AZURE_SPEECH_TOKEN_URL = f"{url}/sts/v1.0/issueToken"
        response = api(host).get("/api/get-speech-token")
    assert response.status_code == 200
    assert response.json() == {"token": "eyJhbGciOiJFUzI1NiJ9.e30.sig", "region": "eastus2"}
    assert response["Cache-Control"] == "no-store"
    (request,) = seen
    assert request["path"] == "/sts/v1.0/issueToken"
    assert request["headers"]["Ocp-Apim-Subscription-Key"] == "secret-key"


@pytest.mark.parametrize("status", [401, 500])
def test_upstream_failure_is_502(api, host, settings, status):
    with fake_server(lambda request: (status, "text/plain", b"nope")) as (url, _):
        settings.AZURE_SPEECH_KEY = "k"
        settings.AZURE_SPEECH_REGION = "eastus2"
        settings.AZURE_SPEECH_TOKEN_URL = url
        assert_error(api(host).get("/api/get-speech-token"), 502)


def test_unreachable_upstream_is_502(api, host, settings):
    with fake_server(lambda request: (200, "text/plain", b"")) as (url, _):
        pass
    settings.AZURE_SPEECH_KEY = "k"
    settings.AZURE_SPEECH_REGION = "eastus2"
    settings.AZURE_SPEECH_TOKEN_URL = url
    assert_error(api(host).get("/api/get-speech-token"), 502)


def test_speech_token_needs_a_login(api, tenant_a, outsider):
    assert_error(api().get("/api/get-speech-token"), 401)
    assert_error(api(outsider, host="localhost").get("/api/get-speech-token"), 401)


def _room_token(host, role, **kwargs):
    from meetings.services.rooms import room_create
    from meetings.tokens import room_token_mint

    room = room_create(owner=host, name="Captioned")
    return room, room_token_mint(tenant_id=room.tenant_id, room_id=room.pk, role=role, name="Guest", **kwargs)


@pytest.mark.parametrize("role", ["participant", "host"])
def test_a_room_token_of_a_speaker_gets_a_speech_token(api, host, settings, role):
    _, token = _room_token(host, role)
    with fake_server(lambda request: (200, "application/jwt", b"azure-token")) as (url, _):
        settings.AZURE_SPEECH_KEY, settings.AZURE_SPEECH_REGION = "k", "westeurope"
        settings.AZURE_SPEECH_TOKEN_URL = url
        response = api().get("/api/get-speech-token", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json() == {"token": "azure-token", "region": "westeurope"}


def test_room_tokens_of_viewers_other_tenants_and_removed_speakers_are_401(api, host, outsider, settings):
    from meetings.models import RoomTokenRevocation
    from meetings.tokens import room_token_read

    settings.AZURE_SPEECH_KEY, settings.AZURE_SPEECH_REGION = "k", "westeurope"
    _, viewer = _room_token(host, "viewer")
    assert_error(api().get("/api/get-speech-token", HTTP_AUTHORIZATION=f"Bearer {viewer}"), 401)
    room, removed = _room_token(host, "participant")
    grant = room_token_read(removed, tenant_id=room.tenant_id)
    RoomTokenRevocation.objects.create(tenant_id=room.tenant_id, room=room, jti=grant.jti, reason="removed")
    assert_error(api().get("/api/get-speech-token", HTTP_AUTHORIZATION=f"Bearer {removed}"), 401)
    _, theirs = _room_token(host, "participant")
    on_beta = api().get("/api/get-speech-token", HTTP_AUTHORIZATION=f"Bearer {theirs}", HTTP_HOST="beta.test")
    assert_error(on_beta, 401)
    assert_error(api().get("/api/get-speech-token", HTTP_AUTHORIZATION="Bearer not-a-token"), 401)
