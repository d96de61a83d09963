"""API-wide conventions: JSON errors for every failure, in the seed's envelope."""

import json
import logging
import math

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

log = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Payload too large."
    default_code = "too_large"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Service unavailable."
    default_code = "unavailable"


def _message(detail) -> str:
    if isinstance(detail, dict):
        if "detail" in detail:
            return str(detail["detail"])
        return "Invalid input."
    if isinstance(detail, list):
        return str(detail[0]) if detail else "Invalid input."
    return str(detail)


def exception_handler(exc, context):
    """Every error is ``{"success": false, "message": ..., ["errors": {...}]}``; plan errors
    add ``detail``, ``code``, ``plan`` and ``feature`` or ``limit`` (``portal.plans.api``)."""
    from portal.plans.api import PlanError, as_api_exception

    exc = as_api_exception(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    body = {"success": False, "message": _message(response.data)}
    if isinstance(exc, exceptions.ValidationError) and isinstance(response.data, dict):
        body["errors"] = response.data
    if isinstance(exc, PlanError):
        body.update(exc.body)
    response.data = body
    return response


def error_response(message: str, status_code: int, **extra) -> Response:
    return Response({"success": False, "message": message, **extra}, status=status_code)


class StrictJSONParser(JSONParser):
    """The JSON every API endpoint accepts: the rules of the socket gate (``realtime.frames``) —
    nested at most ``MAX_DEPTH`` levels, no NUL and no unpaired surrogate in any string or key,
    finite numbers only. Anything else is a 400 before a view, the database or the JSON renderer
    (which cannot encode a lone surrogate) sees it; a 50,000-deep body is a ``RecursionError``
    inside ``json`` and is caught here."""

    def parse(self, stream, media_type=None, parser_context=None):
        from realtime.frames import MAX_DEPTH, EventError, check

        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise exceptions.ParseError("JSON parse error - the body is not valid UTF-8.") from None
        if not text.strip():
            return {}
        try:
            data = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
        except RecursionError:
            raise exceptions.ParseError(f"JSON parse error - nested more than {MAX_DEPTH} levels.") from None
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {_ascii(exc)}") from None
        try:
            check(data)
        except EventError as exc:
            raise _refused(data, exc) from None
        return data


def _refused(data, exc) -> exceptions.APIException:
    """A 400 naming the top-level field that holds the bad value (``errors``), when there is one."""
    from realtime.frames import EventError, check

    if isinstance(data, dict):
        for key, value in data.items():
            try:
                check({key: value})
            except EventError:
                name = key if isinstance(key, str) and "\x00" not in key and key.isprintable() else "body"
                return exceptions.ValidationError({name: [exc.detail]})
    return exceptions.ParseError(f"JSON parse error - {exc.detail}")


class StrictFormParser(FormParser):
    """Form bodies under the same rule: no NUL in any field (PostgreSQL refuses it)."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        for key, values in data.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                raise exceptions.ParseError("Form fields may not contain NUL.")
        return data


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise ValueError("numbers must be finite")
    return number


def _ascii(exc: Exception) -> str:
    return str(exc).encode("ascii", "backslashreplace").decode()[:200]


def _wants_html(request) -> bool:
    """Browsers (``Accept: text/html``) get the page; the API and everyone else JSON."""
    return "text/html" in request.headers.get("Accept", "")


def _json_error(message: str, status_code: int):
    from django.http import JsonResponse

    return JsonResponse({"success": False, "message": message}, status=status_code)


def not_found(request, exception=None):
    """Django's 404 for unmatched URLs: a page for browsers, the API's JSON for everyone else."""
    from django.shortcuts import render

    if _wants_html(request):
        return render(request, "404.html", status=404)
    return _json_error("Not found.", 404)


def server_error(request):
    """An unhandled failure: JSON for the API, Django's plain page for browsers. Never a
    traceback or a server path, whatever ``DEBUG`` is."""
    from django.views.defaults import server_error as page

    if _wants_html(request):
        return page(request)
    return _json_error("Internal server error.", 500)


def bad_request(request, exception=None):
    from django.views.defaults import bad_request as page

    if _wants_html(request):
        return page(request, exception)
    return _json_error("Bad request.", 400)


def permission_denied(request, exception=None):
    from django.views.defaults import permission_denied as page

    if _wants_html(request):
        return page(request, exception)
    return _json_error("Forbidden.", 403)
