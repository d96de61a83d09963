"""Analytics benchmark: the five reports of the analytics dashboard on a tenant with 100,000
completed sessions (``demo_sessions``' generator, about 1.2 million participants).

    .venv/bin/python bench/analytics.py                          # SQLite in a throwaway data dir
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_analytics .venv/bin/python bench/analytics.py

Each report runs as the dashboard asks for it (tenant staff over the whole tenant, and one host
over their own sessions), with no filter and with the page's filters; the median and worst of
``--runs`` runs are printed as a Markdown table for docs/benchmarks.md. The database is made
from scratch (``migrate``) and left in place for a re-run with ``--reuse``. Not run by CI.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))


def setup(reuse: bool) -> None:
    if not os.environ.get("DATABASE_URL") and not os.environ.get("PARLEY_DATA_DIR"):
        os.environ["PARLEY_DATA_DIR"] = tempfile.mkdtemp(prefix="parley-bench-analytics-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def populate(sessions: int) -> tuple:
    from django.contrib.auth import get_user_model

    from meetings.management.commands.demo_sessions import generate
    from meetings.models import AnalyticsSession
    from portal.tenancy import tenant_create

    tenant, _ = tenant_create(name="Bench", domains=["bench.test", "meet.bench.test"])
    have = AnalyticsSession.objects.filter(tenant=tenant).count()
    rng = random.Random(1)
    started = time.perf_counter()
    while have < sessions:
        batch = min(10_000, sessions - have)
        generate(tenant=tenant, sessions=batch, days=365, hosts=20, rng=rng)
        have += batch
        print(f"  {have} sessions ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    User = get_user_model()
    staff = User.objects.filter(tenant=tenant, email="staff@bench.test").first()
    if staff is None:
        staff = User.objects.create_user("staff@bench.test", None, tenant=tenant, first_name="Staff",
                                         is_staff=True)
    host = User.objects.filter(tenant=tenant, email="demo-host-1@demo.invalid").get()
    return tenant, staff, host


def timed(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    setup(args.reuse)
    from django.db import connection
    from django.utils import timezone

    from meetings import reporting
    from meetings.models import AnalyticsSession, SessionParticipant

    tenant, staff, host = populate(args.sessions)
    now = timezone.now()
    filters = {
        "no filter": {},
        "last 30 days": {"startDateRange": now - timedelta(days=30), "endDateRange": now},
        "type webinar": {"sessionType": "webinar"},
        "city London": {"cityName": "London"},
        "country DE, 90 days, domain": {"countryCode": "DE", "startDateRange": now - timedelta(days=90),
                                        "domain": "bench.test"},
    }
    reports = {
        "total": lambda qs: reporting.total_sessions(qs),
        "per day and domain": lambda qs: reporting.sessions_per_day_and_domain(qs),
        "by type": lambda qs: reporting.sessions_statistics(qs),
        "by location": lambda qs: reporting.sessions_by_location(qs),
        "participants by city": lambda qs: reporting.sessions_and_participants_by_city(qs),
    }
    sessions = AnalyticsSession.objects.filter(tenant=tenant).count()
    participants = SessionParticipant.objects.filter(tenant=tenant).count()
    print(f"{connection.vendor}: {sessions} sessions, {participants} participants; "
          f"median / worst of {args.runs} runs, ms\n")
    print("| who | filter | " + " | ".join(reports) + " | all five |")
    print("|---|---|" + "---|" * (len(reports) + 1))
    for who, user in (("staff (tenant)", staff), ("one host", host)):
        for name, flt in filters.items():
            cells, total = [], 0.0
            for report in reports.values():
                median, worst = timed(
                    lambda: report(reporting.report_sessions(user=user, filters=flt)), args.runs  # noqa: B023
                )
                total += median
                cells.append(f"{median:.0f} / {worst:.0f}")
            print(f"| {who} | {name} | " + " | ".join(cells) + f" | {total:.0f} |")


if __name__ == "__main__":
    main()
