"""Log in by email within the request's tenant (platform superusers on any host)."""

from django.contrib.auth.backends import ModelBackend
from django.db.models import F, Q

from portal.accounts.models import User


class TenantEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        username = username or kwargs.get(User.USERNAME_FIELD)
        tenant = getattr(request, "tenant", None)
        if not username or password is None or tenant is None:
            return None
        user = (
            User.objects.filter(email__iexact=username.strip())
            .filter(Q(tenant=tenant) | Q(tenant__isnull=True, is_superuser=True))
            .order_by(F("tenant_id").asc(nulls_last=True))  # the tenant's own account wins
            .first()
        )
        if user is None:
            User().set_password(password)  # equalise timing with a real check
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
