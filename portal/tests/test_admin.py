import pytest

from conftest import PASSWORD, make_user
from portal.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    client.defaults["HTTP_HOST"] = "localhost"
    response = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def beta_users(outsider, tenant_b):
    return [outsider, make_user(tenant_b, "dora@example.com", "Dora")]


def test_tenant_staff_list_shows_only_their_tenant(staff_client, host, beta_users):
    response = staff_client.get("/admin/portal/user/")
    assert response.status_code == 200
    page = response.content.decode()
    assert host.email in page
    assert all(u.email not in page for u in beta_users)


def test_tenant_staff_search_does_not_find_other_tenants(staff_client, beta_users):
    page = staff_client.get("/admin/portal/user/?q=charlie").content.decode()
    assert "charlie@example.com" not in page


def test_tenant_staff_cannot_open_another_tenants_user(staff_client, outsider):
    response = staff_client.get(f"/admin/portal/user/{outsider.pk}/change/")
    assert response.status_code in (302, 404)
    assert outsider.email not in response.content.decode()
    response = staff_client.post(
        f"/admin/portal/user/{outsider.pk}/change/", {"email": "stolen@example.com", "first_name": "X"}
    )
    outsider.refresh_from_db()
    assert outsider.email == "charlie@example.com"


def test_tenant_staff_autocomplete_is_scoped(staff_client, tenant_a, host, beta_users):
    from meetings.models import Room

    Room.objects.create(tenant=tenant_a, name="Standup", owner=host)
    response = staff_client.get(
        "/admin/autocomplete/",
        {"app_label": "meetings", "model_name": "room", "field_name": "owner", "term": ""},
    )
    assert response.status_code == 200
    ids = {r["id"] for r in response.json()["results"]}
    assert host.pk in ids
    assert not ids & {u.pk for u in beta_users}


def test_tenant_staff_foreign_key_choices_are_scoped(staff_client, host, beta_users):
    page = staff_client.get("/admin/meetings/room/add/").content.decode()
    assert "Add room" in page
    assert all(u.email not in page for u in beta_users)


def test_tenant_staff_cannot_see_domains_or_grant_superuser(staff_client, host):
    # (Their own tenant is visible read-only: portal/plans/tests/test_admin_plans.py.)
    assert staff_client.get("/admin/portal/domain/").status_code == 403
    staff_client.post(
        f"/admin/portal/user/{host.pk}/change/",
        {"email": host.email, "first_name": "Alice", "last_name": "T", "is_active": "on",
         "is_superuser": "on", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"},
    )
    host.refresh_from_db()
    assert host.is_superuser is False


def test_tenant_staff_adds_users_into_their_own_tenant(staff_client, tenant_a, staff):
    response = staff_client.post(
        "/admin/portal/user/add/",
        {"email": "new@example.com", "first_name": "New", "last_name": "Person",
         "password1": "a-long-unusual-passphrase-42", "password2": "a-long-unusual-passphrase-42",
         "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(email="new@example.com").tenant == tenant_a


def test_tenant_staff_duplicate_email_is_a_form_error(staff_client, host):
    response = staff_client.post(
        "/admin/portal/user/add/",
        {"email": host.email, "first_name": "Dup", "last_name": "Person",
         "password1": "a-long-unusual-passphrase-42", "password2": "a-long-unusual-passphrase-42",
         "usable_password": "true"},
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_tenant_staff_cannot_log_into_another_tenants_admin(client, staff, tenant_b):
    response = client.post(
        "/admin/login/", {"username": staff.email, "password": PASSWORD}, HTTP_HOST="beta.test"
    )
    assert response.status_code == 200  # the form again: unknown user on this host


def test_superuser_sees_every_tenant(client, host, outsider):
    User.objects.create_superuser("root@example.com", PASSWORD)
    client.defaults["HTTP_HOST"] = "localhost"
    response = client.post("/admin/login/", {"username": "root@example.com", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/admin/portal/user/").content.decode()
    assert host.email in page and outsider.email in page
    assert client.get("/admin/portal/tenant/").status_code == 200


def test_createsuperuser_works(tmp_path):
    from django.core.management import call_command

    call_command("createsuperuser", "--noinput", email="ops@example.com", first_name="Ops")
    user = User.objects.get(email="ops@example.com")
    assert user.is_superuser and user.tenant is None
