import pytest

from conftest import PASSWORD
from portal.accounts.models import User

pytestmark = pytest.mark.django_db

SIGNUP = {
    "first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com",
    "phone_number": "+1 555 0100", "country": "United States", "password": "compilers-rock-1952",
}


def test_signup_logs_in_and_lands_on_dashboard(client, tenant_a):
    response = client.post("/signup", SIGNUP, follow=True)
    assert response.redirect_chain[-1][0] == "/dashboard"
    assert "Welcome, Grace" in response.content.decode()
    assert User.objects.get(email="grace@example.com").tenant == tenant_a


def test_signup_duplicate_shows_an_error(client, host):
    response = client.post("/signup", {**SIGNUP, "email": host.email})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_signup_weak_password_shows_an_error(client, tenant_a):
    response = client.post("/signup", {**SIGNUP, "password": "12345678"})
    assert "too common" in response.content.decode()
    assert not User.objects.filter(email=SIGNUP["email"]).exists()


def test_signup_requires_csrf(tenant_a):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/signup", SIGNUP)
    assert response.status_code == 403


def test_login_and_logout(client, host):
    response = client.post("/login", {"username": host.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/dashboard"
    response = client.post("/logout", follow=True)
    assert response.redirect_chain[-1][0] == "/login"
    assert client.get("/dashboard").status_code == 302


def test_wrong_password_stays_on_login(client, host):
    response = client.post("/login", {"username": host.email, "password": "nope"})
    assert response.status_code == 200
    assert "enter a correct email and password" in response.content.decode().lower()


def test_session_does_not_cross_tenants(client, host, tenant_b):
    client.post("/login", {"username": host.email, "password": PASSWORD})
    assert client.get("/dashboard").status_code == 200
    assert client.get("/dashboard", HTTP_HOST="beta.test").status_code == 302
