"""Parley's user: one account per email *per tenant*; platform superusers have no tenant."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.tenancy import Tenant, TenantQuerySet, new_object_id


class UserQuerySet(TenantQuerySet):
    pass


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        # Natural keys (createsuperuser, fixtures) address platform accounts without a tenant.
        return self.get(email__iexact=email, tenant__isnull=True)

    def create_user(self, email, password=None, *, tenant=None, **extra):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), tenant=tenant, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("first_name", "Admin")
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.CharField(primary_key=True, max_length=24, default=new_object_id, editable=False)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="users",
        help_text="Empty only for platform superusers.",
    )
    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150, blank=True)
    phone_number = models.CharField(max_length=32, blank=True)
    country = models.CharField(max_length=100, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name"]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "email"], name="user_email_unique_per_tenant"),
            models.UniqueConstraint(
                fields=["email"], condition=Q(tenant__isnull=True), name="user_email_unique_platform"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "email"], name="user_tenant_email_idx")]

    def __str__(self) -> str:
        return self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name
