"""GET /api/get-speech-token: a short-lived Azure Speech token for browser captions.

The subscription key stays on the server; the browser gets a 10-minute token from
Azure's token service (``AZURE_SPEECH_TOKEN_URL`` overrides its address, for tests
and sovereign clouds).

Besides a login (JWT or session), a **room token** of a host or participant is accepted as
``Authorization: Bearer <room token>``: a guest in a room captions its own voice too, and a
room page carries a room token only. Viewers and revoked tokens are refused.
"""

import http.client
import logging
import urllib.error
import urllib.request

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework.response import Response

from meetings.api import serializers as s
from meetings.api.views.base import MeetAPIView, errors
from meetings.services.rooms import room_token_is_revoked
from meetings.tokens import InvalidRoomToken, room_token_read
from portal.api import ServiceUnavailable

log = logging.getLogger(__name__)
TOKEN_TIMEOUT_SECONDS = 5
MAX_TOKEN_BYTES = 16 * 1024


class BadGateway(APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = "The speech service did not answer."
    default_code = "bad_gateway"


def speech_token_fetch(*, key: str, region: str) -> str:
    url = settings.AZURE_SPEECH_TOKEN_URL or (
        f"https://{region}.api.cognitive.microsoft.com/sts/v1.0/issueToken"
    )
    if not url.startswith(("http://", "https://")):
        raise BadGateway("The speech token URL is not an http(s) URL.")
    request = urllib.request.Request(  # noqa: S310 (scheme checked)
        url, data=b"", method="POST",
        headers={"Ocp-Apim-Subscription-Key": key, "Content-Length": "0"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TOKEN_TIMEOUT_SECONDS) as response:  # noqa: S310
            token = response.read(MAX_TOKEN_BYTES).decode("ascii").strip()
    except (urllib.error.URLError, http.client.HTTPException, OSError, UnicodeDecodeError) as exc:
        log.warning("Azure speech token request failed: %s", exc)
        raise BadGateway() from None
    if not token:
        raise BadGateway()
    return token


class RoomSpeaker:
    """The holder of a room token, for the one endpoint that accepts it."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, grant):
        self.grant = grant
        self.pk = None


class RoomTokenAuthentication(BaseAuthentication):
    """``Bearer <room token>`` of a host or participant in the request's tenant; anything that
    is not a room token is left to the login authenticators."""

    allow_viewers = False

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            return None
        tenant = getattr(request, "tenant", None)
        try:
            grant = room_token_read(parts[1].decode("latin-1"), tenant_id=tenant.id if tenant else -1)
        except InvalidRoomToken:
            return None
        if (grant.role == "viewer" and not self.allow_viewers) or room_token_is_revoked(grant=grant):
            raise AuthenticationFailed("This room token may not caption.")
        return RoomSpeaker(grant), grant

    def authenticate_header(self, request):
        return "Bearer"


class SpeechTokenView(MeetAPIView):
    authentication_classes = [RoomTokenAuthentication, *MeetAPIView.authentication_classes]
    plan_feature = "captions"

    @extend_schema(
        operation_id="speech_token_get",
        summary="Get speech token",
        description="A login, or a host's or participant's room token as `Bearer`. 503 when "
        "`AZURE_SPEECH_KEY`/`AZURE_SPEECH_REGION` are not configured; 502 when Azure does not answer.",
        tags=["transcripts"],
        responses={200: s.SpeechTokenSerializer, **errors(502, 503, plan=True)},
    )
    def get(self, request):
        key, region = settings.AZURE_SPEECH_KEY, settings.AZURE_SPEECH_REGION
        if not (key and region):
            raise ServiceUnavailable("The speech service is not configured.")
        token = speech_token_fetch(key=key, region=region)
        return Response({"token": token, "region": region}, headers={"Cache-Control": "no-store"})
