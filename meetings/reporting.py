"""Analytics for the five ``/reporting/...`` endpoints, aggregated in the database.

The sessions counted are *completed* ones (``ended_at`` set) of the caller's tenant;
the date range applies to their start. Callers who are not tenant staff see only the
sessions they hosted (``userID`` may only name themselves); staff see the tenant's,
optionally narrowed to one host by ``userID``. Each report is one query.
"""

from datetime import UTC, datetime

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Substr, TruncDate

from meetings.models import AnalyticsSession
from meetings.selectors import user_is_tenant_staff

_TEXT_FILTERS = {
    "domain": "domain__iexact",
    "sessionType": "session_type__iexact",
    "countryCode": "country_code__iexact",
    "countryName": "country_name__iexact",
    "cityName": "city__iexact",
}


def report_sessions(*, user, filters: dict) -> QuerySet[AnalyticsSession]:
    """The completed sessions a report covers, after the seed's filters."""
    qs = AnalyticsSession.objects.for_tenant(user.tenant).filter(ended_at__isnull=False)
    host_id = filters.get("userID") or None
    if not user_is_tenant_staff(user):
        if host_id not in (None, user.pk):
            raise PermissionDenied("You may only report on your own sessions.")
        host_id = user.pk
    if host_id:
        qs = qs.filter(host_id=host_id)
    for name, lookup in _TEXT_FILTERS.items():
        if value := (filters.get(name) or "").strip():
            qs = qs.filter(**{lookup: value})
    if start := filters.get("startDateRange"):
        qs = qs.filter(started_at__gte=start)
    if end := filters.get("endDateRange"):
        qs = qs.filter(started_at__lte=end)
    return qs


def total_sessions(sessions: QuerySet) -> int:
    return sessions.count()


def sessions_per_day_and_domain(sessions: QuerySet) -> list[dict]:
    """``[{"domainCounts": [{"domain", "count"}], "date"}]`` by UTC day, oldest first."""
    rows = (
        sessions.annotate(day=_utc_day())
        .values("day", "domain")
        .annotate(count=Count("id"))
        .order_by("day", "domain")
    )
    days: dict = {}
    for row in rows:
        days.setdefault(str(row["day"])[:10], []).append({"domain": row["domain"], "count": row["count"]})
    return [
        {"domainCounts": counts, "date": datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)}
        for day, counts in days.items()
    ]


def _utc_day():
    """The UTC day of a session's start. SQLite stores datetimes as UTC text
    (``YYYY-MM-DD HH:MM:SS``): its first ten characters are the day, read natively — Django's
    ``TruncDate`` there is a Python function called per row, several times slower on 100,000
    sessions. Other databases truncate natively."""
    if connection.vendor == "sqlite":
        return Substr("started_at", 1, 10)
    return TruncDate("started_at", tzinfo=UTC)


def sessions_statistics(sessions: QuerySet) -> dict:
    by_type = list(
        sessions.values("session_type").annotate(total=Count("id")).order_by("-total", "session_type")
    )
    return {
        "totalSessions": sum(row["total"] for row in by_type),
        "totalSessionsByType": [
            {"sessionType": row["session_type"], "totalSessions": row["total"]} for row in by_type
        ],
    }


def sessions_by_location(sessions: QuerySet) -> list[dict]:
    rows = (
        sessions.values("city", "region", "country_code", "country_name")
        .annotate(count=Count("id"))
        .order_by("-count", "country_code", "region", "city")
    )
    return [
        {
            "_id": {
                "city": row["city"], "region": row["region"], "country": row["country_code"],
                "country_name": row["country_name"],
            },
            "count": row["count"],
        }
        for row in rows
    ]


def sessions_and_participants_by_city(sessions: QuerySet) -> list[dict]:
    """Sessions by the city they were held in, with how many participants they had (the
    sessions' ``participant_count``, so no participant row is read)."""
    rows = (
        sessions.values("city")
        .annotate(total_sessions=Count("id"), total_participants=Sum("participant_count"))
        .order_by("-total_sessions", "city")
    )
    return [
        {
            "_id": row["city"], "totalSessions": row["total_sessions"],
            "totalParticipants": row["total_participants"] or 0,
        }
        for row in rows
    ]
