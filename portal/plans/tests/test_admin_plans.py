"""The plan in the admin: a superuser sets it (and it is recorded), tenant staff see their
own tenant's plan, limits, usage and history read-only and edit only its branding."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.fields.files import FieldFile
from PIL import Image

from conftest import PASSWORD
from portal.accounts.models import User
from portal.plans.models import PlanChange
from portal.tenancy import Tenant

pytestmark = pytest.mark.django_db


def login(client, user, host="localhost"):
    client.defaults["HTTP_HOST"] = host
    assert client.post("/admin/login/", {"username": user.email, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def root(tenant_a):
    return User.objects.create_superuser("root@example.com", PASSWORD)


@pytest.fixture
def root_client(client, root):
    return login(client, root)


@pytest.fixture
def staff_client(client, staff):
    return login(client, staff)


def change_url(tenant):
    return f"/admin/portal/tenant/{tenant.pk}/change/"


def form_data(response, **changes) -> dict:
    """The change form as the browser would post it back, with ``changes``."""
    data = {}

    def put(form, name, value):
        if value is None or value is False or isinstance(value, FieldFile):
            return  # unchecked boxes and untouched file inputs are not posted
        data[form.add_prefix(name)] = "on" if value is True else value

    form = response.context["adminform"].form
    for name in form.fields:
        put(form, name, form.initial.get(name))
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for sub in formset.forms:
            for name in sub.fields:
                value = sub.instance.pk if name == formset.model._meta.pk.name else sub.initial.get(name)
                put(sub, name, getattr(value, "pk", value))
    data.update(changes)
    return data


def png(size=(40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (11, 110, 79)).save(buffer, "PNG")
    return buffer.getvalue()


def test_superuser_changes_the_plan_and_it_is_recorded(root_client, root, tenant_a, tenant_b):
    page = root_client.get(change_url(tenant_b))
    assert page.status_code == 200
    data = form_data(page, plan="essential", plan_note="downsized")
    response = root_client.post(change_url(tenant_b), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert Tenant.objects.get(pk=tenant_b.pk).plan == "essential"
    change = PlanChange.objects.get()
    assert (change.tenant, change.from_plan, change.to_plan, change.changed_by, change.changed_by_label,
            change.via, change.note) == (tenant_b, "professional", "essential", root, root.email, "admin",
                                         "downsized")
    history = root_client.get(change_url(tenant_b)).content.decode()
    assert "Plan history" in history and "downsized" in history


def test_superuser_bulk_action_moves_tenants(root_client, tenant_a, tenant_b):
    response = root_client.post("/admin/portal/tenant/", {
        "action": "move_to_essential", "_selected_action": [tenant_a.pk, tenant_b.pk]})
    assert response.status_code == 302
    assert set(Tenant.objects.values_list("plan", flat=True)) == {"essential"}
    assert PlanChange.objects.count() == 2


def test_staff_see_only_their_tenant_read_only(staff_client, tenant_a, tenant_b):
    listing = staff_client.get("/admin/portal/tenant/").content.decode()
    assert "Default" in listing and "Beta" not in listing
    assert "move_to_essential" not in listing  # no plan actions for them
    assert staff_client.get(change_url(tenant_b)).status_code in (302, 404)
    page = staff_client.get(change_url(tenant_a))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert set(form.fields) == {"brand_name", "logo", "accent_color"}
    html = page.content.decode()
    assert "Professional" in html and "Room file storage" in html  # plan and usage, read-only


def test_staff_cannot_change_the_plan_by_posting_it(staff_client, tenant_a):
    page = staff_client.get(change_url(tenant_a))
    response = staff_client.post(change_url(tenant_a), form_data(
        page, plan="essential", limit_storage_bytes="999999999999", brand_name="Acme",
        accent_color="#0b6e4f"))
    assert response.status_code == 302
    tenant = Tenant.objects.get(pk=tenant_a.pk)
    assert (tenant.plan, tenant.limit_storage_bytes) == ("professional", None)
    assert (tenant.brand_name, tenant.accent_color) == ("Acme", "#0b6e4f")
    assert not PlanChange.objects.exists()
    assert staff_client.get("/admin/portal/tenant/add/").status_code == 403


@pytest.mark.parametrize("colour, message", [
    ("green", "Use a hex colour"), ("#0b6e4", "Use a hex colour"), ("#ffee00", "pick a darker colour"),
])
def test_accent_colour_is_validated(staff_client, tenant_a, colour, message):
    page = staff_client.get(change_url(tenant_a))
    response = staff_client.post(change_url(tenant_a), form_data(page, accent_color=colour))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Tenant.objects.get(pk=tenant_a.pk).accent_color == ""


def test_logo_upload_is_stored_and_served(staff_client, client, tenant_a, settings,
                                          django_capture_on_commit_callbacks):
    page = staff_client.get(change_url(tenant_a))
    logo = SimpleUploadedFile("logo.png", png(), content_type="image/png")
    assert staff_client.post(change_url(tenant_a), form_data(page, logo=logo)).status_code == 302
    tenant = Tenant.objects.get(pk=tenant_a.pk)
    assert tenant.logo.name.startswith(f"branding/{tenant.pk}/logo-")
    assert (settings.MEDIA_ROOT / tenant.logo.name).read_bytes() == png()
    served = client.get("/brand/logo", HTTP_HOST="localhost")
    assert (served.status_code, served["Content-Type"], served.content) == (200, "image/png", png())
    # A new logo replaces the old file in storage.
    old = tenant.logo.name
    page = staff_client.get(change_url(tenant_a))
    new = SimpleUploadedFile("new.png", png((30, 30)), content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post(change_url(tenant_a), form_data(page, logo=new)).status_code == 302
    assert not (settings.MEDIA_ROOT / old).exists()


@pytest.mark.parametrize("name, content", [
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("logo.png", b"not an image at all"),
    ("huge.png", None),
])
def test_bad_logos_are_refused(staff_client, tenant_a, name, content):
    if content is None:
        content = png((2000, 10))
    page = staff_client.get(change_url(tenant_a))
    response = staff_client.post(change_url(tenant_a), form_data(
        page, logo=SimpleUploadedFile(name, content, content_type="image/png")))
    assert response.status_code == 200
    assert not Tenant.objects.get(pk=tenant_a.pk).logo
