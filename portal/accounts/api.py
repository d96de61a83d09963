"""POST /auth/register and POST /auth/login."""

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from portal.accounts import serializers as s
from portal.accounts import throttle
from portal.accounts.services import EmailTaken, user_register
from portal.accounts.tokens import login_token_for
from portal.api import error_response


class AddressThrottle(ScopedRateThrottle):
    """DRF's scoped throttle keyed by ``portal.net.client_ip`` (``X-Forwarded-For`` only from a
    ``TRUSTED_PROXIES`` peer), in the shared ``throttle`` cache."""

    cache = throttle.LazyCache()

    def get_ident(self, request):
        from portal.net import client_ip

        return client_ip(request) or "unknown"


class AuthView(APIView):
    plan_feature = "essential"
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AddressThrottle]
    throttle_scope = "auth"


class RegisterView(AuthView):
    @extend_schema(
        request=s.RegisterSerializer,
        responses={201: s.RegisterResponseSerializer, 400: s.ErrorSerializer, 409: s.ErrorSerializer},
        summary="Register user",
        tags=["auth"],
    )
    def post(self, request):
        data = s.RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            user = user_register(
                tenant=request.tenant, email=v["email"], first_name=v["fName"],
                last_name=v["lName"], phone_number=v["phoneNumber"], country=v["country"],
                password=v["password"],
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from None
        except EmailTaken:
            return error_response("User already exists", status.HTTP_409_CONFLICT)
        return Response(
            {
                "success": True,
                "message": "User created successfully",
                "data": {"user": s.RegisteredUserSerializer(user).data},
            },
            status=status.HTTP_201_CREATED,
        )


class LoginView(AuthView):
    @extend_schema(
        request=s.LoginSerializer,
        responses={200: s.TokenSerializer, 400: s.ErrorSerializer, 401: s.ErrorSerializer},
        summary="User login",
        tags=["auth"],
    )
    def post(self, request):
        data = s.LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request, username=data.validated_data["userName"],
            password=data.validated_data["password"],
        )
        wait = throttle.flagged(request)
        if wait:  # the account's failure window is full (portal.accounts.throttle)
            raise Throttled(wait=wait, detail=f"Too many failed log-in attempts; try again in {wait}s.")
        # The API is tenant-bound: platform superusers use the admin, not tokens.
        if user is None or user.tenant_id != request.tenant.id:
            return error_response("Invalid email or password", status.HTTP_401_UNAUTHORIZED)
        return Response({"token": login_token_for(user)})


class MeView(APIView):
    """GET /auth/me — the caller's own account (a Parley addition; see docs/api.md)."""

    plan_feature = "essential"

    # Found by Schemathesis: the schema said the bare user, the body is {"success", "data": {"user"}}.
    @extend_schema(responses={200: s.MeResponseSerializer, 401: s.ErrorSerializer}, tags=["auth"])
    def get(self, request):
        return Response({"success": True, "data": {"user": s.RegisteredUserSerializer(request.user).data}})
