import pytest
from django.core.management import CommandError, call_command

from portal.tenancy import Domain, Tenant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("hostname", ["localhost", "127.0.0.1", "[::1]", "localhost:8000", "[::1]:8000"])
def test_default_tenant_serves_local_hosts(client, tenant_a, hostname):
    response = client.get("/login", HTTP_HOST=hostname)
    assert response.status_code == 200
    assert response.wsgi_request.tenant == tenant_a


def test_second_tenant_resolves_on_its_own_domain(client, tenant_a, tenant_b):
    response = client.get("/login", HTTP_HOST="BETA.test:443")
    assert response.status_code == 200
    assert response.wsgi_request.tenant == tenant_b


@pytest.mark.parametrize("path", ["/", "/login", "/auth/login", "/admin/login/", "/api/schema/"])
def test_unknown_host_is_404_and_nothing_else(client, tenant_a, path):
    response = client.get(path, HTTP_HOST="evil.example")
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Not found."}


def test_inactive_tenant_is_404(client, tenant_b):
    Tenant.objects.filter(pk=tenant_b.pk).update(is_active=False)
    assert client.get("/login", HTTP_HOST="beta.test").status_code == 404


def test_migrations_create_the_default_tenant():
    tenant = Tenant.objects.get(slug="default")
    assert set(tenant.domains.values_list("host", flat=True)) >= {"localhost", "127.0.0.1", "[::1]"}


def test_create_tenant_command_is_idempotent(capsys):
    call_command("create_tenant", "Gamma Corp", "gamma.test", "WWW.Gamma.test")
    call_command("create_tenant", "Gamma Corp", "gamma.test", "meet.gamma.test")
    tenant = Tenant.objects.get(name="Gamma Corp")
    assert tenant.slug == "gamma-corp"
    assert sorted(tenant.domains.values_list("host", flat=True)) == [
        "gamma.test", "meet.gamma.test", "www.gamma.test",
    ]
    assert "Added meet.gamma.test" in capsys.readouterr().out


def test_create_tenant_refuses_a_taken_domain(tenant_b):
    with pytest.raises(CommandError, match="beta.test already belongs to tenant 'Beta'"):
        call_command("create_tenant", "Thief", "thief.test", "beta.test")
    assert not Tenant.objects.filter(name="Thief").exists()
    assert not Domain.objects.filter(host="thief.test").exists()


def test_unmatched_api_path_is_json_404(client, tenant_a):
    response = client.get("/no/such/endpoint")
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Not found."}


def test_unmatched_page_is_an_html_404_for_browsers(client, tenant_a):
    response = client.get("/no/such/page", HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_swagger_ui_uses_local_assets_only(client, tenant_a):
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn." not in page and "jsdelivr" not in page
    bundle = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert client.get(bundle).status_code == 200
