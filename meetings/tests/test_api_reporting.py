"""The five /reporting endpoints over a fixture of sessions across cities, types,
domains and days, located through a tiny MaxMind database built here."""

from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from meetings.models import AnalyticsSession, Room
from meetings.services.analytics import participant_joined, participant_left
from meetings.services.rooms import room_create
from meetings.tests.api_helpers import (
    assert_error,
    fast_password_hashing,  # noqa: F401 (fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

LAHORE, KARACHI, LONDON, NOWHERE = "203.0.113.10", "203.0.113.70", "198.51.100.5", "192.0.2.1"
D1, D2, D3 = (datetime(2025, 10, d, tzinfo=UTC) for d in (12, 13, 20))
TOTAL = "/reporting/total-sessions-for-user"
AGGREGATION = "/reporting/total-sessions-aggregation-for-user"
STATISTICS = "/reporting/total-sessions-statistics-for-user"
BY_LOCATION = "/reporting/total-sessions-by-location-for-user"
BY_CITY = "/reporting/total-sessions-and-participants-count-by-location-for-user"
ALL = [TOTAL, AGGREGATION, STATISTICS, BY_LOCATION, BY_CITY]


def city(name, region, code, country):
    return {
        "city": {"names": {"en": name}},
        "subdivisions": [{"names": {"en": region}}],
        "country": {"iso_code": code, "names": {"en": country}},
    }


@pytest.fixture
def geoip(settings, tmp_path):
    writer = MMDBWriter(database_type="GeoIP2-City")
    writer.insert_network(IPSet(["203.0.113.0/26"]), city("Lahore", "Punjab", "PK", "Pakistan"))
    writer.insert_network(IPSet(["203.0.113.64/26"]), city("Karachi", "Sindh", "PK", "Pakistan"))
    writer.insert_network(IPSet(["198.51.100.0/24"]), city("London", "England", "GB", "United Kingdom"))
    path = tmp_path / "city.mmdb"
    writer.to_db_file(str(path))
    settings.GEOIP_PATH = str(path)
    return path


def held(room, ips, at, domain, *, end=True):
    """One live occurrence of ``room``: everyone joins (the first from ``ips[0]``), then leaves."""
    for i, ip in enumerate(ips):
        participant_joined(room=room, participant_id=f"p{i}", name=f"P{i}", ip=ip, domain=domain)
    session = AnalyticsSession.objects.get(room=room, ended_at__isnull=True)
    if end:
        for i in range(len(ips)):
            participant_left(room=room, participant_id=f"p{i}")
    AnalyticsSession.objects.filter(pk=session.pk).update(
        started_at=at, ended_at=at.replace(hour=at.hour + 1) if end else None
    )


@pytest.fixture
def sessions(geoip, host, participant, outsider):
    rooms = {
        (user.pk, kind): room_create(owner=user, name=kind, type=kind)
        for user in (host, participant, outsider)
        for kind in Room.Type.values
    }
    a, b, c = host.pk, participant.pk, outsider.pk
    held(rooms[a, "conference"], [LAHORE, KARACHI, LONDON], D1.replace(hour=10), "meet.example.com")
    held(rooms[a, "conference"], [LAHORE, LAHORE], D1.replace(hour=15), "localhost")
    held(rooms[a, "webinar"], [KARACHI, LAHORE, LAHORE, LONDON], D2.replace(hour=9), "meet.example.com")
    held(rooms[a, "live"], [LONDON], D3.replace(hour=12), "meet.example.com")
    held(rooms[a, "meeting"], [NOWHERE, "10.0.0.1"], D3.replace(hour=13), "localhost")
    held(rooms[b, "conference"], [LAHORE, KARACHI], D2.replace(hour=11), "localhost")
    held(rooms[a, "conference"], [LAHORE], D2.replace(hour=16), "localhost", end=False)  # still live
    held(rooms[c, "conference"], [LAHORE, LAHORE], D1.replace(hour=10), "beta.test")


def get(api, user, path, **params):
    response = api(user).get(path, params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    return body["data"]


def test_sessions_are_located_through_the_geoip_database(sessions):
    first = AnalyticsSession.objects.order_by("started_at").first()
    assert (first.city, first.region, first.country_code, first.country_name) == (
        "Lahore", "Punjab", "PK", "Pakistan"
    )
    assert first.participants.get(participant_id="p2").city == "London"


def test_total_sessions_counts_completed_sessions(api, host, sessions):
    assert get(api, host, TOTAL) == 5
    # The seed's example query: empty sessionType, the caller's own userID, an October range.
    assert get(api, host, TOTAL, startDateRange="2025-10-01T00:00:00.000Z",
               endDateRange="2025-10-31T23:59:59.999Z", sessionType="", userID=host.pk) == 5


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"sessionType": "conference"}, 2),
        ({"sessionType": "Webinar"}, 1),
        ({"domain": "meet.example.com"}, 3),
        ({"domain": "localhost"}, 2),
        ({"countryCode": "PK"}, 3),
        ({"countryCode": "gb"}, 1),
        ({"countryName": "Pakistan"}, 3),
        ({"cityName": "Karachi"}, 1),
        ({"cityName": "lahore"}, 2),
        ({"cityName": "Unknown"}, 1),
        ({"startDateRange": "2025-10-13T00:00:00.000Z"}, 3),
        ({"endDateRange": "2025-10-13T23:59:59.999Z"}, 3),
        ({"startDateRange": "2025-10-13", "endDateRange": "2025-10-13T23:59:59Z"}, 1),
        ({"startDateRange": "2025-11-01T00:00:00Z"}, 0),
        ({"sessionType": "conference", "countryCode": "PK", "domain": "localhost"}, 1),
        ({"sessionType": "", "domain": "", "cityName": ""}, 5),
    ],
)
def test_each_filter(api, host, sessions, params, expected):
    assert get(api, host, TOTAL, **params) == expected
    assert get(api, host, STATISTICS, **params)["totalSessions"] == expected


def test_aggregation_by_day_and_domain(api, host, sessions):
    assert get(api, host, AGGREGATION) == [
        {"domainCounts": [{"domain": "localhost", "count": 1}, {"domain": "meet.example.com", "count": 1}],
         "date": "2025-10-12T00:00:00.000Z"},
        {"domainCounts": [{"domain": "meet.example.com", "count": 1}], "date": "2025-10-13T00:00:00.000Z"},
        {"domainCounts": [{"domain": "localhost", "count": 1}, {"domain": "meet.example.com", "count": 1}],
         "date": "2025-10-20T00:00:00.000Z"},
    ]
    assert get(api, host, AGGREGATION, startDateRange="2025-10-12T00:00:00.000Z",
               endDateRange="2025-10-18T23:59:59.999Z", domain="localhost") == [
        {"domainCounts": [{"domain": "localhost", "count": 1}], "date": "2025-10-12T00:00:00.000Z"},
    ]


def test_statistics_by_type(api, host, sessions):
    assert get(api, host, STATISTICS) == {
        "totalSessions": 5,
        "totalSessionsByType": [
            {"sessionType": "conference", "totalSessions": 2},
            {"sessionType": "live", "totalSessions": 1},
            {"sessionType": "meeting", "totalSessions": 1},
            {"sessionType": "webinar", "totalSessions": 1},
        ],
    }


def test_sessions_by_location(api, host, sessions):
    def loc(city_name, region, country, country_name, count):
        key = {"city": city_name, "region": region, "country": country, "country_name": country_name}
        return {"_id": key, "count": count}

    assert get(api, host, BY_LOCATION) == [
        loc("Lahore", "Punjab", "PK", "Pakistan", 2),
        loc("London", "England", "GB", "United Kingdom", 1),
        loc("Karachi", "Sindh", "PK", "Pakistan", 1),
        loc("Unknown", "Unknown", "Unknown", "Unknown", 1),
    ]
    assert get(api, host, BY_LOCATION, countryCode="PK", sessionType="webinar") == [
        loc("Karachi", "Sindh", "PK", "Pakistan", 1)
    ]


def test_sessions_and_participants_by_city(api, host, sessions):
    assert get(api, host, BY_CITY) == [
        {"_id": "Lahore", "totalSessions": 2, "totalParticipants": 5},
        {"_id": "Karachi", "totalSessions": 1, "totalParticipants": 4},
        {"_id": "London", "totalSessions": 1, "totalParticipants": 1},
        {"_id": "Unknown", "totalSessions": 1, "totalParticipants": 2},
    ]
    assert get(api, host, BY_CITY, startDateRange="2025-10-12T12:00:00Z", endDateRange="2025-10-13") == [
        {"_id": "Lahore", "totalSessions": 1, "totalParticipants": 2},
    ]


def test_staff_see_the_whole_tenant_and_may_pick_a_host(api, staff, host, participant, sessions):
    assert get(api, staff, TOTAL) == 6
    assert get(api, staff, TOTAL, userID=participant.pk) == 1
    assert get(api, staff, TOTAL, userID=host.pk) == 5
    assert get(api, staff, STATISTICS)["totalSessionsByType"][0] == {"sessionType": "conference",
                                                                      "totalSessions": 3}


LAHORE_PK = {"city": "Lahore", "region": "Punjab", "country": "PK", "country_name": "Pakistan"}
TENANT_B_REPORTS = {
    TOTAL: 1,
    AGGREGATION: [
        {"domainCounts": [{"domain": "beta.test", "count": 1}], "date": "2025-10-12T00:00:00.000Z"}
    ],
    STATISTICS: {
        "totalSessions": 1, "totalSessionsByType": [{"sessionType": "conference", "totalSessions": 1}]
    },
    BY_LOCATION: [{"_id": LAHORE_PK, "count": 1}],
    BY_CITY: [{"_id": "Lahore", "totalSessions": 1, "totalParticipants": 2}],
}


@pytest.mark.parametrize("path", ALL)
def test_reports_stay_within_the_tenant_and_the_callers_sessions(api, host, participant, outsider, sessions,
                                                                  path):
    assert_error(api(participant).get(path, {"userID": host.pk}), 403)
    assert_error(api().get(path), 401)
    assert_error(api(outsider, host="localhost").get(path), 401)
    assert get(api, outsider, path) == TENANT_B_REPORTS[path]
    assert get(api, outsider, path, userID=outsider.pk) == TENANT_B_REPORTS[path]


@pytest.mark.parametrize("path", ALL)
@pytest.mark.parametrize(
    "params",
    [
        {"startDateRange": "yesterday"},
        {"endDateRange": "2025-13-45T00:00:00Z"},
        {"startDateRange": "2025-10-20", "endDateRange": "2025-10-01"},
        {"countryCode": "PAK"},
        {"sessionType": "a b"},
        {"userID": "../x"},
        {"domain": "evil/path"},
        {"cityName": "x" * 101},
        {"startDateRange": "2025-10-01\x00"},
    ],
)
def test_invalid_filters_are_400(api, host, path, params):
    assert_error(api(host).get(path, params), 400)


@pytest.mark.parametrize("path", ALL)
def test_one_query_per_report(api, host, sessions, path, django_assert_num_queries):
    client = api(host)
    with django_assert_num_queries(4):  # tenant, user, user's tenant, the report
        client.get(path, {"countryCode": "PK"})


def test_without_a_geoip_database_locations_are_unknown(api, host, settings):
    settings.GEOIP_PATH = ""
    held(room_create(owner=host, name="r", type="meeting"), [LAHORE], D1, "localhost")
    assert get(api, host, BY_CITY) == [{"_id": "Unknown", "totalSessions": 1, "totalParticipants": 1}]


def test_demo_sessions_command(api, staff, tenant_a, capsys):
    call_command("demo_sessions", "localhost", "--sessions", "40", "--days", "10", "--seed", "7")
    assert "Created 40 demo sessions" in capsys.readouterr().out
    assert get(api, staff, TOTAL) == 40
    stats = get(api, staff, STATISTICS)
    assert sum(row["totalSessions"] for row in stats["totalSessionsByType"]) == 40
    cities = get(api, staff, BY_CITY)
    assert sum(row["totalSessions"] for row in cities) == 40
    assert all(row["totalParticipants"] >= 2 * row["totalSessions"] for row in cities)
    with pytest.raises(CommandError):
        call_command("demo_sessions", "no-such-tenant")
