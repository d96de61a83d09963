"""What every Meet API view shares: strict parsing, safe path ids, error schemas."""

import re

from django.http import Http404
from rest_framework.views import APIView

from portal.accounts.serializers import ErrorSerializer
from portal.plans.api import PLAN_ERROR

_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def path_id(value: str) -> str:
    """An id taken from the URL; anything that cannot be one of ours is simply not found
    (and never reaches the database, which may refuse e.g. NUL characters)."""
    if not _SAFE_ID.fullmatch(value or ""):
        raise Http404("Not found.")
    return value


def errors(*codes: int, plan: bool = False) -> dict:
    """OpenAPI responses for the error statuses an endpoint may answer (401 always); ``plan``:
    a 403 with the plan error's fields (``plan_required`` / ``plan_limit``)."""
    return {code: ErrorSerializer for code in sorted({401, *codes})} | (PLAN_ERROR if plan else {})


class MeetAPIView(APIView):
    """A Meet API endpoint: bearer-JWT (or session) authenticated, JSON errors."""

    def validated(self, serializer_class, data=None) -> dict:
        serializer = serializer_class(data=self.request.data if data is None else data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
