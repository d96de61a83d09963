"""The "Plan and usage" page: tenant staff see their plan, what it includes, its limits and
what is used of them, and the history of plan changes (changing it is the operator's job)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from portal.plans.selectors import usage_report
from portal.plans.web import plan_feature


@plan_feature("essential")
@login_required
def plan_and_usage(request):
    user = request.user
    if not (user.is_superuser or (user.is_staff and user.tenant_id == request.tenant.pk)):
        raise PermissionDenied("Only the site's staff see its plan and usage.")
    return render(request, "plans/usage.html", usage_report(tenant=request.tenant))
