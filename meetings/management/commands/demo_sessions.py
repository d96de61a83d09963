"""Generate realistic analytics sessions for a tenant (demos and benchmarks).

    manage.py demo_sessions TENANT [--sessions 500] [--days 30] [--seed 1]

TENANT is a tenant's slug or one of its host names. Sessions are spread over the last
``--days`` days in working hours, across real cities, the four room types and the
tenant's domains, hosted by a handful of demo hosts (created as needed, unusable
passwords), each with 2–40 participants who mostly join from the host's country.
"""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from meetings.models import AnalyticsSession, Room, SessionParticipant
from portal.tenancy import Domain, Tenant, new_object_id

# (city, region, country code, country name)
CITIES = [
    ("Lahore", "Punjab", "PK", "Pakistan"),
    ("Karachi", "Sindh", "PK", "Pakistan"),
    ("Islamabad", "Islamabad", "PK", "Pakistan"),
    ("London", "England", "GB", "United Kingdom"),
    ("Manchester", "England", "GB", "United Kingdom"),
    ("Berlin", "Berlin", "DE", "Germany"),
    ("Munich", "Bavaria", "DE", "Germany"),
    ("New York", "New York", "US", "United States"),
    ("San Francisco", "California", "US", "United States"),
    ("Toronto", "Ontario", "CA", "Canada"),
    ("Dubai", "Dubai", "AE", "United Arab Emirates"),
    ("Singapore", "Singapore", "SG", "Singapore"),
]
# How often each room type runs, and how many people such a session has.
TYPES = {"meeting": (50, 2, 8), "conference": (25, 4, 20), "webinar": (15, 10, 40), "live": (10, 5, 40)}
FIRST_NAMES = ["Amina", "Bilal", "Chen", "Dana", "Elif", "Farhan", "Grace", "Hugo", "Irene", "Jamal"]


class Command(BaseCommand):
    help = "Generate realistic demo analytics sessions for a tenant."

    def add_arguments(self, parser):
        parser.add_argument("tenant", help="tenant slug or one of its host names")
        parser.add_argument("--sessions", type=int, default=500)
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--hosts", type=int, default=5)
        parser.add_argument("--seed", type=int, default=None, help="random seed (repeatable data)")

    def handle(self, *args, tenant, sessions, days, hosts, seed, **options):
        if not 1 <= sessions <= 1_000_000 or not 1 <= days <= 3650 or not 1 <= hosts <= 100:
            raise CommandError("--sessions 1..1000000, --days 1..3650, --hosts 1..100")
        target = Tenant.objects.filter(slug=tenant).first()
        if target is None:
            domain = Domain.objects.select_related("tenant").filter(host=tenant.lower()).first()
            target = domain.tenant if domain else None
        if target is None:
            raise CommandError(f"No tenant with slug or host {tenant!r}")
        rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
        created = generate(tenant=target, sessions=sessions, days=days, hosts=hosts, rng=rng)
        self.stdout.write(f"Created {created} demo sessions for tenant {target.name!r}.")


def _demo_hosts(tenant, count: int) -> list:
    User = get_user_model()
    users = []
    for i in range(count):
        email = f"demo-host-{i + 1}@demo.invalid"
        user = User.objects.filter(tenant=tenant, email=email).first()
        if user is None:
            user = User.objects.create_user(
                email, None, tenant=tenant, first_name=FIRST_NAMES[i % len(FIRST_NAMES)], last_name="Demo"
            )
        users.append(user)
    return users


@transaction.atomic
def generate(*, tenant, sessions: int, days: int, hosts: int, rng: random.Random) -> int:
    domains = list(tenant.domains.values_list("host", flat=True)) or ["localhost"]
    people = _demo_hosts(tenant, hosts)
    home = {user.pk: rng.choice(CITIES) for user in people}
    rooms = {
        (user.pk, kind): Room.objects.create(
            tenant=tenant, owner=user, name=f"{user.first_name}'s {kind}", type=kind
        )
        for user in people
        for kind in TYPES
    }
    kinds, weights = list(TYPES), [w for w, _, _ in TYPES.values()]
    now = timezone.now()
    session_rows, participant_rows = [], []
    for _ in range(sessions):
        host = rng.choice(people)
        kind = rng.choices(kinds, weights)[0]
        _, low, high = TYPES[kind]
        day = now - timedelta(days=rng.randrange(days))
        start = day.replace(hour=rng.randint(8, 18), minute=rng.choice([0, 15, 30, 45]), second=0,
                            microsecond=0)
        if start > now:
            start -= timedelta(days=1)
        length = timedelta(minutes=rng.randint(10, 90))
        city = home[host.pk] if rng.random() < 0.8 else rng.choice(CITIES)
        session = AnalyticsSession(
            id=new_object_id(), tenant=tenant, room=rooms[(host.pk, kind)], session_type=kind,
            domain=rng.choice(domains), host=host, started_at=start, ended_at=start + length,
            city=city[0], region=city[1], country_code=city[2], country_name=city[3],
        )
        session_rows.append(session)
        session.participant_count = rng.randint(low, high)
        for n in range(session.participant_count):
            where = city if rng.random() < 0.7 else rng.choice(CITIES)
            joined = start + timedelta(minutes=rng.randint(0, 5))
            participant_rows.append(
                SessionParticipant(
                    id=new_object_id(), tenant=tenant, session=session, participant_id=f"p{n}",
                    user=host if n == 0 else None, name=host.first_name if n == 0 else f"Guest {n}",
                    role="host" if n == 0 else ("viewer" if kind in ("webinar", "live") else "participant"),
                    city=where[0], region=where[1], country_code=where[2], country_name=where[3],
                    joined_at=joined, left_at=start + length,
                )
            )
    AnalyticsSession.objects.bulk_create(session_rows, batch_size=1000)
    SessionParticipant.objects.bulk_create(participant_rows, batch_size=2000)
    return len(session_rows)
