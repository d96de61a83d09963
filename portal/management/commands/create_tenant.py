"""python manage.py create_tenant NAME DOMAIN [DOMAIN ...]"""

from django.core.management.base import BaseCommand, CommandError

from portal.tenancy import tenant_create


class Command(BaseCommand):
    help = "Create a tenant with its host names (idempotent: re-running adds missing hosts)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("domains", nargs="+", metavar="DOMAIN")

    def handle(self, *args, name, domains, **options):
        try:
            tenant, added = tenant_create(name=name, domains=domains)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        hosts = ", ".join(tenant.domains.values_list("host", flat=True))
        verb = "Added " + ", ".join(added) + " to" if added else "Nothing to change for"
        self.stdout.write(self.style.SUCCESS(f"{verb} tenant {tenant.name!r} (hosts: {hosts})"))
