"""Storage counters start from the room files that exist when plans arrive."""

from django.db import migrations
from django.db.models import Sum
from portal.tenancy import new_object_id


def count_room_files(apps, schema_editor):
    RoomFile = apps.get_model("meetings", "RoomFile")
    StorageUsage = apps.get_model("portal", "StorageUsage")
    totals = RoomFile.objects.values("tenant_id").annotate(total=Sum("size"))
    for row in totals:
        StorageUsage.objects.create(id=new_object_id(), tenant_id=row["tenant_id"], bytes=row["total"] or 0)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0003_plans_tenant_plan_limits_branding_usage"),
        ("meetings", "0002_initial"),
    ]

    operations = [migrations.RunPython(count_room_files, migrations.RunPython.noop)]
