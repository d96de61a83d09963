"""Log in by email within the request's tenant (platform superusers on any host)."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q

from portal.accounts import throttle
from portal.accounts.models import User


class TenantEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        username = username or kwargs.get(User.USERNAME_FIELD)
        tenant = getattr(request, "tenant", None)
        if not username or password is None or tenant is None:
            return None
        # Per-account brute-force window (portal.accounts.throttle): every login path passes here.
        wait = throttle.account_wait(request, username)
        if wait:
            throttle.flag(request, wait)
            raise PermissionDenied("Too many failed log-in attempts for this account.")
        user = (
            User.objects.filter(email__iexact=username.strip())
            .filter(Q(tenant=tenant) | Q(tenant__isnull=True, is_superuser=True))
            .order_by(F("tenant_id").asc(nulls_last=True))  # the tenant's own account wins
            .first()
        )
        if user is not None and user.check_password(password) and self.user_can_authenticate(user):
            return user
        if user is None:
            User().set_password(password)  # equalise timing with a real check
        throttle.account_failed(request, username)
        return None
