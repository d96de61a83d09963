"""The default tenant, which owns localhost, 127.0.0.1 and [::1]."""

from django.db import migrations

DEFAULT_DOMAINS = ("localhost", "127.0.0.1", "[::1]")


def create_default_tenant(apps, schema_editor):
    Tenant = apps.get_model("portal", "Tenant")
    Domain = apps.get_model("portal", "Domain")
    tenant, _ = Tenant.objects.get_or_create(slug="default", defaults={"name": "Default"})
    for i, host in enumerate(DEFAULT_DOMAINS):
        Domain.objects.get_or_create(host=host, defaults={"tenant": tenant, "is_primary": i == 0})


def remove_default_tenant(apps, schema_editor):
    apps.get_model("portal", "Tenant").objects.filter(slug="default").delete()


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]

    operations = [migrations.RunPython(create_default_tenant, remove_default_tenant)]
