"""Plans on the pages: the ``plan`` template context, and ``plan_feature`` — the declaration a
page view (or any non-DRF view) makes of the feature it belongs to; refused pages explain
which plan they are part of."""

from functools import wraps

from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import render

from portal.plans.catalogue import (
    FEATURES,
    PLANS,
    PlanRequired,
    feature_known,
    plan_allows,
    plan_for_feature,
    plan_of,
)


def plan_feature(feature: str):
    """Declare (and enforce) the feature a page belongs to. A page of a feature the tenant's
    plan lacks answers 403 with an explanation; ``"essential"`` pages are merely declared."""
    if not feature_known(feature):
        raise ImproperlyConfigured(f"unknown plan feature {feature!r}")

    def decorate(view):
        if all(_plan_has(p, feature) for p in PLANS.values()):  # on every plan: declared only
            view.plan_feature = feature
            return view

        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not plan_allows(getattr(request, "tenant", None), feature):
                return plan_required_page(request, PlanRequired(tenant=request.tenant, feature=feature))
            return view(request, *args, **kwargs)

        guarded.plan_feature = feature
        return guarded

    return decorate


def _plan_has(plan, feature: str) -> bool:
    return PLANS[feature].features <= plan.features if feature in PLANS else feature in plan.features


def plan_required_page(request, exc: PlanRequired):
    return render(request, "plans/required.html", {"error": exc}, status=403)


class PagePlan:
    """What templates ask: ``plan.name``, ``plan.allows.<feature>``, ``plan.requires.<feature>``."""

    def __init__(self, tenant):
        self.tenant = tenant
        plan = plan_of(tenant)
        self.code, self.name = plan.code, plan.name

    @property
    def allows(self) -> dict[str, bool]:
        return {code: plan_allows(self.tenant, code) for code in FEATURES}

    @property
    def requires(self) -> dict[str, str]:
        return {code: plan_for_feature(code).name for code in FEATURES}


def context(request) -> dict:
    """Template context processor: ``plan`` (None off-tenant, e.g. on a 404 for an unknown host)."""
    tenant = getattr(request, "tenant", None)
    return {"plan": PagePlan(tenant) if tenant is not None else None}
