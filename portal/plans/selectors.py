"""Reads for tenant staff: the plan, its features, its limits and what is used of them."""

import math

from portal.plans.catalogue import FEATURES, LIMIT_LABELS, LIMIT_OVERRIDES, PLANS, plan_limits, plan_of
from portal.plans.models import PlanChange
from portal.plans.services import recording_seconds_used, storage_used


def usage_report(*, tenant) -> dict:
    """Everything the "Plan and usage" page and the tenant's admin page show (four queries)."""
    plan = plan_of(tenant)
    limits = plan_limits(tenant)
    used = {
        "max_participants": None,  # a live ceiling per room, enforced as people join
        "recording_minutes": math.ceil(recording_seconds_used(tenant_id=tenant.pk) / 60),
        "storage_bytes": storage_used(tenant_id=tenant.pk),
    }
    rows = []
    for name, label in LIMIT_LABELS.items():
        limit = getattr(limits, name)
        share = None
        if limit and used[name] is not None:
            share = min(100, round(100 * used[name] / limit))
        rows.append({
            "name": name, "label": label, "limit": limit, "used": used[name], "percent": share,
            "custom": getattr(tenant, LIMIT_OVERRIDES[name]) is not None, "bytes": name == "storage_bytes",
        })
    return {
        "plan": plan,
        "plans": list(PLANS.values()),
        "features": [
            {"code": f.code, "label": f.label, "included": f.code in plan.features,
             "required": next(p.name for p in PLANS.values() if f.code in p.features)}
            for f in FEATURES.values()
        ],
        "missing": [f.label for f in FEATURES.values() if f.code not in plan.features],
        "limits": rows,
        "history": list(PlanChange.objects.for_tenant(tenant).select_related("changed_by")[:20]),
    }
