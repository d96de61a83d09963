"""python manage.py set_plan <tenant host or slug> essential|professional [--note TEXT]"""

from django.core.management.base import BaseCommand, CommandError

from portal.plans.catalogue import PLANS
from portal.plans.models import PlanChange
from portal.plans.services import tenant_plan_set
from portal.tenancy import Domain, Tenant, normalise_host


class Command(BaseCommand):
    help = "Put a tenant on a plan; the change is kept in the tenant's plan history."

    def add_arguments(self, parser):
        parser.add_argument("tenant", help="the tenant's slug or one of its host names")
        parser.add_argument("plan", help=f"one of: {', '.join(PLANS)}")
        parser.add_argument("--note", default="", help="why (kept in the plan history)")

    def handle(self, *args, tenant, plan, note, **options):
        plan = plan.strip().lower()
        if plan not in PLANS:
            raise CommandError(f"Unknown plan {plan!r}. Plans: {', '.join(PLANS)}.")
        found = Tenant.objects.filter(slug=tenant.strip()).first()
        if found is None:
            domain = Domain.objects.select_related("tenant").filter(host=normalise_host(tenant)).first()
            found = domain.tenant if domain else None
        if found is None:
            raise CommandError(
                f"No tenant with the slug or host {tenant!r}. Tenants: "
                + (", ".join(Tenant.objects.values_list("slug", flat=True)[:20]) or "none")
            )
        previous = found.plan
        change = tenant_plan_set(tenant=found, plan=plan, via=PlanChange.Via.COMMAND, note=note)
        if change is None:
            self.stdout.write(f"Tenant {found.name!r} is already on {PLANS[plan].name}; nothing changed.")
            return
        self.stdout.write(self.style.SUCCESS(
            f"Tenant {found.name!r} is now on {PLANS[plan].name} (was {PLANS[previous].name})."
        ))
