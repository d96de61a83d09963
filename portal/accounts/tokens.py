"""REST authentication: JWTs bound to the tenant that issued them.

A token carries ``tenant``; presented on another tenant's host it is refused, as are
expired, forged and ``alg=none`` tokens and tokens of inactive users (all 401).
"""

from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from portal.accounts.models import User

TENANT_CLAIM = "tenant"


class TenantAccessToken(AccessToken):
    pass


def login_token_for(user: User) -> str:
    token = TenantAccessToken.for_user(user)
    token[TENANT_CLAIM] = user.tenant_id
    return str(token)


def login_token_read(raw_token, *, tenant) -> tuple[User, TenantAccessToken] | None:
    """The active user of ``tenant`` that a login JWT names, with the token; None for a
    forged, expired or malformed token, another tenant's token, or an inactive user.
    Platform accounts (no tenant) never match."""
    try:
        token = TenantAccessToken(raw_token)
    except TokenError:
        return None
    if token.get(TENANT_CLAIM) != tenant.id:
        return None
    user = User.objects.filter(pk=token.get("user_id"), tenant=tenant, is_active=True).first()
    return (user, token) if user is not None else None


class TenantJWTAuthentication(JWTAuthentication):
    def authenticate(self, request):
        header = self.get_header(request)
        raw_token = self.get_raw_token(header) if header is not None else None
        if raw_token is None:
            return None
        result = login_token_read(raw_token, tenant=request.tenant)
        if result is None:
            raise AuthenticationFailed("Token is invalid, expired, or not valid for this site.")
        return result


class CsrfSessionAuthentication(SessionAuthentication):
    """The browser pages' session, for the same API; CSRF is enforced by DRF."""
