"""Shared fixtures: two tenants and the alice/bob/charlie cast.

- ``tenant_a``: the default tenant (localhost, 127.0.0.1, [::1], and the test client's
  ``testserver``); ``tenant_b``: a second tenant on ``beta.test``.
- ``host`` (alice) and ``participant`` (bob) belong to tenant A; ``outsider`` (charlie)
  to tenant B. ``api(user)`` is a DRF client authenticated with that user's login JWT.
"""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from portal.accounts.models import User
from portal.accounts.tokens import login_token_for
from portal.tenancy import DEFAULT_DOMAINS, DEFAULT_TENANT_SLUG, Domain, Tenant, tenant_create

PASSWORD = "correct-horse-battery-9"
TENANT_B_HOST = "beta.test"


@pytest.fixture(autouse=True)
def _fresh_cache():
    from portal.accounts import throttle

    cache.clear()
    throttle.reset()
    yield
    cache.clear()
    throttle.reset()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture
def tenant_a(db):
    tenant, _ = Tenant.objects.get_or_create(slug=DEFAULT_TENANT_SLUG, defaults={"name": "Default"})
    for host in (*DEFAULT_DOMAINS, "testserver"):
        Domain.objects.get_or_create(host=host, defaults={"tenant": tenant})
    return tenant


@pytest.fixture
def tenant_b(db):
    tenant, _ = tenant_create(name="Beta", domains=[TENANT_B_HOST])
    return tenant


def make_user(tenant, email, first_name, **extra) -> User:
    return User.objects.create_user(
        email, PASSWORD, tenant=tenant, first_name=first_name, last_name="Tester", **extra
    )


@pytest.fixture
def host(tenant_a):
    return make_user(tenant_a, "alice@example.com", "Alice")


@pytest.fixture
def participant(tenant_a):
    return make_user(tenant_a, "bob@example.com", "Bob")


@pytest.fixture
def outsider(tenant_b):
    return make_user(tenant_b, "charlie@example.com", "Charlie")


@pytest.fixture
def staff(tenant_a):
    return make_user(tenant_a, "stella@example.com", "Stella", is_staff=True)


def host_of(user) -> str:
    if user is None or user.tenant.slug == DEFAULT_TENANT_SLUG:
        return "localhost"
    return user.tenant.domains.order_by("-is_primary", "host").first().host


@pytest.fixture
def api(tenant_a):
    """``api(user)`` → a client on the user's tenant host with ``Bearer <login JWT>``;
    ``api()`` → anonymous on localhost; ``api(user, host=...)`` → another host."""

    def make(user=None, *, host=None):
        client = APIClient(HTTP_HOST=host or host_of(user))
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {login_token_for(user)}")
        return client

    return make
