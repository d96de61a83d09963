"""The five ``GET /reporting/...`` analytics endpoints (see ``meetings.reporting``).

Counts of sessions (in total, per day and domain, by type) are basic analytics, on every plan;
the breakdowns by location are advanced analytics, part of Professional (docs/plans.md)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from meetings import reporting
from meetings.api import serializers as s
from meetings.api.views.base import MeetAPIView, errors

_FILTER_HELP = {
    "domain": "Domain name (tenant host) the session ran on.",
    "sessionType": "Type of session (meeting, conference, webinar, live).",
    "countryCode": "ISO 3166 two-letter country code of the session's location.",
    "countryName": "Country name of the session's location.",
    "cityName": "City of the session's location.",
    "startDateRange": "ISO 8601; sessions that started at or after it.",
    "endDateRange": "ISO 8601; sessions that started at or before it.",
    "userID": "Host's user id; only your own unless you are tenant staff.",
}
FILTER_PARAMETERS = [
    OpenApiParameter(name, str, OpenApiParameter.QUERY, required=False, description=text)
    for name, text in _FILTER_HELP.items()
]


class ReportView(MeetAPIView):
    """A report over the filtered, completed sessions of the caller's tenant."""

    report = None  # a function of meetings.reporting: sessions → data
    response_serializer: type

    def render_report(self, request) -> Response:
        filters = self.validated(s.ReportingFilterSerializer, data=request.query_params)
        sessions = reporting.report_sessions(user=request.user, filters=filters)
        body = {"success": True, "data": type(self).report(sessions)}
        return Response(self.response_serializer(body).data)


def _schema(operation_id: str, summary: str, response_serializer, *, plan: bool = False) -> dict:
    return {
        "operation_id": operation_id, "summary": summary, "tags": ["reporting"],
        "parameters": FILTER_PARAMETERS,
        "responses": {200: response_serializer, **errors(400, 403, plan=plan)},
    }


class TotalSessionsView(ReportView):
    plan_feature = "analytics"
    report = staticmethod(reporting.total_sessions)
    response_serializer = s.CountResponseSerializer

    @extend_schema(**_schema("reporting_total_sessions", "Total completed sessions", response_serializer))
    def get(self, request):
        return self.render_report(request)


class SessionsAggregationView(ReportView):
    plan_feature = "analytics"
    report = staticmethod(reporting.sessions_per_day_and_domain)
    response_serializer = s.AggregationResponseSerializer

    @extend_schema(
        **_schema("reporting_sessions_aggregation", "Sessions per day and domain", response_serializer)
    )
    def get(self, request):
        return self.render_report(request)


class SessionsStatisticsView(ReportView):
    plan_feature = "analytics"
    report = staticmethod(reporting.sessions_statistics)
    response_serializer = s.StatisticsResponseSerializer

    @extend_schema(
        **_schema("reporting_sessions_statistics", "Sessions in total and by type", response_serializer)
    )
    def get(self, request):
        return self.render_report(request)


class SessionsByLocationView(ReportView):
    plan_feature = "advanced_analytics"
    report = staticmethod(reporting.sessions_by_location)
    response_serializer = s.LocationResponseSerializer

    @extend_schema(**_schema("reporting_sessions_by_location", "Sessions by location", response_serializer,
                           plan=True))
    def get(self, request):
        return self.render_report(request)


class SessionsAndParticipantsByCityView(ReportView):
    plan_feature = "advanced_analytics"
    report = staticmethod(reporting.sessions_and_participants_by_city)
    response_serializer = s.CityTotalsResponseSerializer

    @extend_schema(
        **_schema("reporting_sessions_and_participants_by_city", "Sessions and participants by city",
                  response_serializer, plan=True)
    )
    def get(self, request):
        return self.render_report(request)
