"""Brute force on every log-in path (issue 10, item 3): per client address and per account, the
proxy's header believed only from TRUSTED_PROXIES, 429 with Retry-After, no permanent lockout."""

import pytest
from django.test import Client

from conftest import PASSWORD, make_user
from meetings.tests.api_helpers import fast_password_hashing  # noqa: F401 (fixture)
from portal.accounts import throttle
from portal.net import resolve_ip, scope_client_ip

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture
def limits(settings):
    settings.AUTH_THROTTLE_RATE = "30/min"
    settings.LOGIN_ACCOUNT_FAILURES = 10
    settings.LOGIN_ACCOUNT_WINDOW_SECONDS = 900
    return settings


@pytest.fixture
def alice(fast_password_hashing, tenant_a):  # noqa: F811
    return make_user(tenant_a, "alice@example.com", "Alice")


def _rest_login(client, email, password, **extra):
    return client.post("/auth/login", {"userName": email, "password": password},
                       content_type="application/json", **extra)


def _assert_429(response):
    assert response.status_code == 429, (response.status_code, response.content[:200])
    assert int(response["Retry-After"]) > 0


def test_rotating_forwarded_for_does_not_escape_the_address_limit(limits, alice):
    client = Client(HTTP_HOST="localhost")
    codes = [_rest_login(client, f"nobody{i}@example.com", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
             .status_code for i in range(31)]
    assert codes[:30] == [401] * 30
    response = _rest_login(client, "alice@example.com", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    _assert_429(response)
    assert response.json()["success"] is False


def test_per_account_window_across_addresses_then_the_real_user_gets_back_in(limits, alice, monkeypatch):
    limits.TRUSTED_PROXIES = ["127.0.0.1"]  # the test client's peer: each X-Forwarded-For is its own client
    client = Client(HTTP_HOST="localhost")
    for i in range(10):
        assert _rest_login(client, "ALICE@example.com", f"guess{i}",
                           HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code == 401
    # Now even the right password waits for the window, from any address, on every path.
    _assert_429(_rest_login(client, "alice@example.com", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1"))
    page = client.post("/login", {"username": "alice@example.com", "password": PASSWORD},
                       HTTP_X_FORWARDED_FOR="198.51.100.2")
    _assert_429(page)
    assert b"Too many" in page.content
    # Other accounts are untouched.
    make_user(alice.tenant, "bob@example.com", "Bob")
    response = _rest_login(client, "bob@example.com", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.3")
    assert response.status_code == 200
    # A window, not a lock: once it has passed the real user logs in.
    real = throttle.now
    monkeypatch.setattr(throttle, "now", lambda: real() + 901)
    response = _rest_login(client, "alice@example.com", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert response.status_code == 200


def test_the_address_limit_counts_the_proxys_client_not_the_proxy(limits, alice):
    limits.TRUSTED_PROXIES = ["127.0.0.0/8"]
    client = Client(HTTP_HOST="localhost")
    for i in range(30):
        _rest_login(client, f"n{i}@example.com", "x", HTTP_X_FORWARDED_FOR="203.0.113.9, 127.0.0.2")
    _assert_429(_rest_login(client, "n@example.com", "x", HTTP_X_FORWARDED_FOR="203.0.113.9"))
    # Another client behind the same proxy is not affected.
    response = _rest_login(client, "alice@example.com", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert response.status_code == 200


@pytest.mark.parametrize("url, field", [("/login", "username"), ("/admin/login/", "username")])
def test_login_pages_are_throttled_per_address_and_per_account(limits, alice, url, field):
    client = Client(HTTP_HOST="localhost")
    for i in range(10):
        response = client.post(url, {field: "alice@example.com", "password": f"guess{i}"})
        assert response.status_code == 200  # the form again, with its error
    _assert_429(client.post(url, {field: "alice@example.com", "password": PASSWORD}))
    # Per address: 30 posts a minute, whatever the account.
    for i in range(19):
        client.post(url, {field: f"x{i}@example.com", "password": "x"})
    _assert_429(client.post(url, {field: "y@example.com", "password": "x"}))
    assert client.get(url).status_code == 200  # looking at the page is not an attempt


def test_client_ip_rule():
    from django.test import override_settings

    assert resolve_ip("10.0.0.5", "1.2.3.4") == "10.0.0.5"  # no trusted proxies: the peer
    with override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "::1"]):
        assert resolve_ip("10.0.0.5", "1.2.3.4") == "1.2.3.4"
        assert resolve_ip("10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.9") == "1.2.3.4"  # spoofed left part ignored
        assert resolve_ip("10.0.0.5", "not-an-ip") == "10.0.0.5"
        assert resolve_ip("10.0.0.5", None) == "10.0.0.5"
        assert resolve_ip("192.0.2.1", "1.2.3.4") == "192.0.2.1"  # untrusted peer: header ignored
        assert resolve_ip("::1", "2001:db8::1") == "2001:db8::1"
        scope = {"client": ("10.0.0.5", 1234), "headers": [(b"x-forwarded-for", b"1.2.3.4")]}
        assert scope_client_ip(scope) == "1.2.3.4"
    assert scope_client_ip(scope) == "10.0.0.5"
