"""Writes of the plans domain: changing a tenant's plan (with its history) and the usage
counters behind the limits.

Counters change only through single conditional ``UPDATE`` statements (``F()``): a storage
reservation is ``UPDATE … SET bytes = bytes + n WHERE bytes <= limit - n``, so two uploads
racing for the last bytes cannot both win (PostgreSQL re-checks the condition on the row it
waited for; SQLite runs one writer at a time).
"""

import math
from datetime import UTC, date, datetime

from django.db import transaction
from django.db.models import BigIntegerField, F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from portal.plans.catalogue import PLANS, PlanLimitReached, plan_limits
from portal.plans.models import PlanChange, RecordingUsage, StorageUsage
from portal.tenancy import Tenant

MIB = 1024 * 1024


# --- the plan -----------------------------------------------------------------------------------------
def tenant_plan_set(*, tenant: Tenant, plan: str, actor=None, via: str, note: str = "") -> PlanChange | None:
    """Move ``tenant`` to ``plan`` and record who did it, when, from what. Returns the history
    row, or None when the tenant is already on that plan.

    Takes effect at once for REST calls and pages, and for every room socket that joins from
    now on; nothing stored is deleted (see docs/plans.md, "Downgrades").
    """
    if plan not in PLANS:
        raise ValueError(f"Unknown plan {plan!r}; plans are: {', '.join(PLANS)}.")
    with transaction.atomic():
        current = Tenant.objects.select_for_update().values_list("plan", flat=True).get(pk=tenant.pk)
        if current == plan:
            tenant.plan = plan
            return None
        Tenant.objects.filter(pk=tenant.pk).update(plan=plan, updated_at=timezone.now())
        change = PlanChange.objects.create(
            tenant_id=tenant.pk, from_plan=current, to_plan=plan, via=via, note=note[:200],
            changed_by=actor if getattr(actor, "pk", None) else None,
            changed_by_label=(getattr(actor, "email", "") or "operator")[:254],
        )
        from portal.plans.tasks import plan_change_notify

        transaction.on_commit(lambda: plan_change_notify.enqueue(change_id=change.pk))
    tenant.plan = plan
    return change


# --- participants ---------------------------------------------------------------------------------------
def room_capacity(*, tenant, room_max: int | None) -> int | None:
    """How many people (hosts aside) one room may hold: the room's own maximum within the plan's."""
    plan_max = plan_limits(tenant).max_participants
    caps = [c for c in (room_max, plan_max) if c is not None]
    return min(caps) if caps else None


# --- storage ------------------------------------------------------------------------------------------
def _storage_row(tenant_id: int) -> str:
    row, _ = StorageUsage.objects.get_or_create(tenant_id=tenant_id)
    return row.pk


def storage_used(*, tenant_id: int) -> int:
    return StorageUsage.objects.filter(tenant_id=tenant_id).values_list("bytes", flat=True).first() or 0


def storage_reserve(*, tenant: Tenant, size: int, replacing: int = 0) -> None:
    """Count ``size`` more bytes of room files, or raise ``PlanLimitReached`` if they do not fit.

    ``replacing`` is the size of a file this one replaces (released when its row is deleted):
    it makes room in the check only.
    """
    limit = plan_limits(tenant).storage_bytes
    rows = StorageUsage.objects.filter(pk=_storage_row(tenant.pk))
    if limit is not None:
        rows = rows.filter(bytes__lte=limit - size + replacing)
    if rows.update(bytes=F("bytes") + size) == 1:
        return
    used = storage_used(tenant_id=tenant.pk)
    raise PlanLimitReached(
        tenant=tenant, limit="storage_bytes", allowed=limit, used=used,
        detail=f"This file ({_mib(size)}) does not fit: {_mib(used)} of the {_mib(limit)} of room "
        "file storage in your plan are used.",
    )


def storage_release(*, tenant_id: int, size: int) -> None:
    if size > 0:
        StorageUsage.objects.filter(tenant_id=tenant_id).update(
            bytes=Greatest(F("bytes") - size, Value(0), output_field=BigIntegerField())
        )


def room_file_deleted(sender, instance, **kwargs) -> None:
    """``post_delete`` of a room file — a service's, the admin's, or a cascade from its room:
    its bytes are released in the same transaction as the row goes."""
    storage_release(tenant_id=instance.tenant_id, size=instance.size or 0)


def _mib(n: int) -> str:
    return f"{n / MIB:.1f} MiB" if n < 1024 * MIB else f"{n / (1024 * MIB):.2f} GiB"


# --- recording minutes -------------------------------------------------------------------------------------
def month_of(moment: datetime | None) -> date:
    moment = (moment or timezone.now()).astimezone(UTC)
    return date(moment.year, moment.month, 1)


def recording_seconds_used(*, tenant_id: int, month: date | None = None) -> int:
    rows = RecordingUsage.objects.filter(tenant_id=tenant_id, month=month or month_of(None))
    return rows.values_list("seconds", flat=True).first() or 0


def recording_allowance_check(*, tenant: Tenant) -> None:
    """Before a recording starts: ``PlanLimitReached`` when this month's minutes are used up."""
    limit = plan_limits(tenant).recording_minutes
    if limit is None:
        return
    used = recording_seconds_used(tenant_id=tenant.pk)
    if used >= limit * 60:
        raise PlanLimitReached(
            tenant=tenant, limit="recording_minutes", allowed=limit, used=math.ceil(used / 60),
            detail=f"This month's {limit} recording minutes are used up; recording is possible again "
            "next month (or on a plan with more minutes).",
        )


def recording_seconds_add(*, tenant_id: int, started_at: datetime | None, ended_at: datetime) -> int:
    """Count a stopped recording in the month it started (call inside the stop's transaction)."""
    started_at = started_at or ended_at
    seconds = max(0, math.ceil((ended_at - started_at).total_seconds()))
    row, _ = RecordingUsage.objects.get_or_create(tenant_id=tenant_id, month=month_of(started_at))
    RecordingUsage.objects.filter(pk=row.pk).update(seconds=F("seconds") + seconds)
    return seconds
