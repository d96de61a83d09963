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
