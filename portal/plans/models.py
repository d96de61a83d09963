"""The plan's records: the history of plan changes, and the usage counters that limits are
checked against (changed only by atomic ``UPDATE … SET n = n + x`` statements, never
read-then-written; the database refuses a negative count)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from portal.plans.catalogue import PLAN_CHOICES
from portal.tenancy import TenantOwnedModel


class PlanChange(TenantOwnedModel):
    class Via(models.TextChoices):
        ADMIN = "admin", "Admin"
        COMMAND = "command", "set_plan command"

    tenant = models.ForeignKey("portal.Tenant", on_delete=models.CASCADE, related_name="plan_changes")
    from_plan = models.CharField(max_length=32, choices=PLAN_CHOICES)
    to_plan = models.CharField(max_length=32, choices=PLAN_CHOICES)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who, as they were called then (kept if the account goes): an email or "operator".
    changed_by_label = models.CharField("changed by", max_length=254)
    via = models.CharField(max_length=16, choices=Via.choices)
    note = models.CharField(max_length=200, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["tenant", "changed_at"], name="planchange_tenant_idx")]

    def __str__(self) -> str:
        return f"{self.get_from_plan_display()} → {self.get_to_plan_display()}"


class StorageUsage(TenantOwnedModel):
    """Bytes of room files a tenant keeps: reserved before an upload is stored, released as
    its row is deleted (however it is deleted)."""

    bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="storageusage_one_per_tenant")]


class RecordingUsage(TenantOwnedModel):
    """Seconds recorded in one calendar month (UTC) of a tenant, counted as recordings stop."""

    month = models.DateField()  # the first day of the month
    seconds = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "month"], name="recordingusage_one_per_month"),
        ]
