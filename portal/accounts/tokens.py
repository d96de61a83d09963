"""REST authentication: JWTs bound to the tenant that issued them.

A token carries ``tenant``; presented on another tenant's host it is refused, as are
expired, forged and ``alg=none`` tokens and tokens of inactive users (all 401).
"""

from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.tokens import AccessToken

from portal.accounts.models import User

TENANT_CLAIM = "tenant"


class TenantAccessToken(AccessToken):
    pass


def login_token_for(user: User) -> str:
    token = TenantAccessToken.for_user(user)
    token[TENANT_CLAIM] = user.tenant_id
    return str(token)


class TenantJWTAuthentication(JWTAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        tenant = request.tenant
        if token.get(TENANT_CLAIM) != tenant.id or user.tenant_id != tenant.id:
            raise AuthenticationFailed("Token is not valid for this site.", code="wrong_tenant")
        return user, token

    def get_user(self, validated_token):
        # Only users of the token's own tenant are candidates (and never platform accounts).
        tenant_id = validated_token.get(TENANT_CLAIM)
        user_id = validated_token.get("user_id")
        user = User.objects.filter(pk=user_id, tenant_id=tenant_id).first() if tenant_id else None
        if user is None or not user.is_active:
            raise AuthenticationFailed("User not found or inactive.", code="user_not_found")
        return user


class CsrfSessionAuthentication(SessionAuthentication):
    """The browser pages' session, for the same API; CSRF is enforced by DRF."""
