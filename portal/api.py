"""API-wide conventions: JSON errors for every failure, in the seed's envelope."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
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


def not_found(request, exception=None):
    """Django's 404 for unmatched URLs: a page for browsers, the API's JSON for everyone else."""
    from django.http import JsonResponse
    from django.shortcuts import render

    if "text/html" in request.headers.get("Accept", ""):
        return render(request, "404.html", status=404)
    return JsonResponse({"success": False, "message": "Not found."}, status=404)
