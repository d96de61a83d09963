"""``manage.py set_plan <tenant host or slug> essential|professional``."""

import io

import pytest
from django.core.management import CommandError, call_command

from portal.plans.models import PlanChange
from portal.tenancy import Tenant

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("set_plan", *args, stdout=out)
    return out.getvalue()


def test_by_slug_and_by_host_with_history(tenant_a, tenant_b):
    assert "now on Essential (was Professional)" in run("beta", "essential", "--note", "trial ended")
    assert Tenant.objects.get(pk=tenant_b.pk).plan == "essential"
    assert "now on Professional (was Essential)" in run("BETA.test:8000", "Professional")
    history = list(PlanChange.objects.for_tenant(tenant_b).order_by("changed_at"))
    assert [(c.from_plan, c.to_plan, c.via, c.changed_by_label, c.changed_by) for c in history] == [
        ("professional", "essential", "command", "operator", None),
        ("essential", "professional", "command", "operator", None),
    ]
    assert history[0].note == "trial ended"
    assert not PlanChange.objects.for_tenant(tenant_a).exists()


def test_the_same_plan_changes_nothing(tenant_b):
    assert "already on Professional; nothing changed" in run("beta", "professional")
    assert not PlanChange.objects.exists()


def test_unknown_tenant(tenant_a, tenant_b):
    expected = "No tenant with the slug or host 'nope.example'. Tenants: beta, default"
    with pytest.raises(CommandError, match=expected):
        run("nope.example", "essential")


def test_unknown_plan(tenant_b):
    with pytest.raises(CommandError, match=r"Unknown plan 'gold'. Plans: essential, professional."):
        run("beta", "gold")
    assert Tenant.objects.get(pk=tenant_b.pk).plan == "professional"


def test_new_tenants_start_on_the_configured_plan(settings):
    from portal.tenancy import tenant_create

    assert tenant_create(name="Gamma", domains=["gamma.test"])[0].plan == "professional"
    settings.PARLEY_DEFAULT_PLAN = "essential"
    assert tenant_create(name="Delta", domains=["delta.test"])[0].plan == "essential"
