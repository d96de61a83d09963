"""Background work of plans: telling a tenant's staff that its plan changed (in its branding)."""

from django.tasks import task

from portal.accounts.models import User
from portal.branding import tenant_mail_send
from portal.plans.catalogue import PLANS
from portal.plans.models import PlanChange


@task()
def plan_change_notify(*, change_id: str) -> int:
    change = PlanChange.objects.select_related("tenant").filter(pk=change_id).first()
    if change is None:
        return 0
    tenant = change.tenant
    to = list(
        User.objects.for_tenant(tenant).filter(is_staff=True, is_active=True).values_list("email", flat=True)
    )
    return tenant_mail_send(
        tenant=tenant, to=to, subject=f"Your plan is now {PLANS[change.to_plan].name}",
        template="email/plan_changed",
        context={"change": change, "old": PLANS[change.from_plan], "new": PLANS[change.to_plan],
                 "downgrade": PLANS[change.to_plan].features < PLANS[change.from_plan].features},
    )
