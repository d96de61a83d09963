"""Row-level tenancy: tenants, their host names, the tenant-owned base model, and
resolution of a request's Host (HTTP and WebSocket) to its tenant.

Every tenant-owned row carries ``tenant_id``; reads go through
``Model.objects.for_tenant(tenant)``. An unknown host is a 404 and nothing else.
"""

import secrets
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import logout
from django.db import models
from django.http import HttpRequest, JsonResponse
from django.http.request import split_domain_port
from django.utils.text import slugify

from portal import branding
from portal.plans.catalogue import PLAN_CHOICES, PLANS, default_plan_code

DEFAULT_TENANT_SLUG = "default"
DEFAULT_DOMAINS = ("localhost", "127.0.0.1", "[::1]")


def new_object_id() -> str:
    """A 24-hex id in the shape of the seed's ``_id`` values: 4 bytes of time, 8 random."""
    return f"{int(time.time()):08x}{secrets.token_hex(8)}"


class Tenant(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The plan (portal.plans): changed only through portal.plans.services.tenant_plan_set,
    # which keeps the history. Empty limit overrides mean "the plan's".
    plan = models.CharField(max_length=32, choices=PLAN_CHOICES, default=default_plan_code)
    limit_max_participants = models.PositiveIntegerField(
        "people in one room", null=True, blank=True, help_text="Empty: the plan's limit."
    )
    limit_recording_minutes = models.PositiveIntegerField(
        "recording minutes per month", null=True, blank=True, help_text="Empty: the plan's limit."
    )
    limit_storage_bytes = models.PositiveBigIntegerField(
        "room file storage (bytes)", null=True, blank=True, help_text="Empty: the plan's limit."
    )

    # Branding (portal.branding): shown on the tenant's pages and in its emails.
    brand_name = models.CharField(
        max_length=120, blank=True, help_text="Shown in the page header and emails; empty: Parley."
    )
    logo = models.ImageField(
        upload_to=branding.logo_upload_to, blank=True, validators=[branding.validate_logo],
        help_text="PNG, JPEG, GIF or WebP, at most 512 KiB and 1024 pixels a side.",
    )
    accent_color = models.CharField(
        max_length=7, blank=True, validators=[branding.validate_accent],
        help_text="A hex colour like #0b6e4f, dark enough for white text (contrast 4.5:1).",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(plan__in=list(PLANS)), name="tenant_plan_known"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def primary_domain(self) -> str:
        first = self.domains.order_by("-is_primary", "host").first()
        return first.host if first else ""


class Domain(models.Model):
    """A host name (no port) that resolves to one tenant."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="domains")
    host = models.CharField(max_length=253, unique=True)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["host"]

    def __str__(self) -> str:
        return self.host

    def save(self, *args, **kwargs):
        self.host = normalise_host(self.host)
        super().save(*args, **kwargs)


def normalise_host(host: str) -> str:
    domain, _port = split_domain_port(host.strip().lower())
    return domain or host.strip().lower()


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant: Tenant | None):
        """Rows of one tenant; no tenant (unresolved) means no rows at all."""
        if tenant is None:
            return self.none()
        return self.filter(tenant=tenant)


class TenantOwnedModel(models.Model):
    """Base of every tenant-owned row: a seed-shaped string id and a tenant column."""

    id = models.CharField(primary_key=True, max_length=24, default=new_object_id, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


def tenant_create(*, name: str, domains: list[str]) -> tuple[Tenant, list[str]]:
    """Create (or extend) a tenant with host names; returns the tenant and the hosts added.

    Raises ``ValueError`` when a host already belongs to another tenant.
    """
    from django.db import transaction

    hosts = [normalise_host(d) for d in domains]
    with transaction.atomic():
        tenant = Tenant.objects.filter(name=name).first()
        taken = (
            Domain.objects.filter(host__in=hosts).exclude(tenant=tenant).select_related("tenant").first()
        )
        if taken is not None:
            raise ValueError(f"Domain {taken.host} already belongs to tenant {taken.tenant.name!r}")
        if tenant is None:
            tenant = Tenant.objects.create(name=name, slug=_unique_slug(name))
        added = []
        has_primary = tenant.domains.filter(is_primary=True).exists()
        for host in hosts:
            _, created = Domain.objects.get_or_create(
                host=host, defaults={"tenant": tenant, "is_primary": not has_primary}
            )
            if created:
                added.append(host)
                has_primary = True
    return tenant, added


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "tenant"
    slug, n = base, 1
    while Tenant.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def tenant_for_host(host: str) -> Tenant | None:
    domain = (
        Domain.objects.select_related("tenant")
        .filter(host=normalise_host(host), tenant__is_active=True)
        .first()
    )
    return domain.tenant if domain else None


def _not_found() -> JsonResponse:
    return JsonResponse({"success": False, "message": "Not found."}, status=404)


class TenantMiddleware:
    """Sets ``request.tenant`` from the Host header; an unknown host is a 404."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
        tenant = tenant_for_host(host)
        if tenant is None:
            return _not_found()
        request.tenant = tenant
        return self.get_response(request)


class TenantUserMiddleware:
    """A session belongs to one tenant: a user of another tenant is logged out here.

    Platform superusers (no tenant) may work on any host.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user_belongs_to(user, request.tenant):
            logout(request)
        return self.get_response(request)


def user_belongs_to(user, tenant: Tenant) -> bool:
    if user.tenant_id is None:
        return user.is_superuser
    return user.tenant_id == tenant.id


class TenantASGIMiddleware:
    """ASGI middleware for WebSockets: sets ``scope["tenant"]`` or closes the handshake."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1")
        tenant = await sync_to_async(tenant_for_host)(host) if host else None
        if tenant is None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 4404})
                return
            raise ValueError("TenantASGIMiddleware only guards websocket scopes")
        return await self.app(dict(scope, tenant=tenant), receive, send)


def allowed_origin(scope) -> bool:
    """The WebSocket's Origin must be the request's own host, from a web page (``http``, or
    ``https``; only ``https`` when the socket itself is ``wss``), or a configured origin.

    Non-browser clients send no Origin and are judged by their token alone.
    """
    headers = dict(scope.get("headers") or [])
    origin = headers.get(b"origin")
    if origin is None:
        return True
    origin = origin.decode("latin-1")
    if origin in settings.WS_ALLOWED_ORIGINS:
        return True
    scheme, _, origin_host = origin.partition("://")
    schemes = ("https",) if scope.get("scheme") == "wss" else ("http", "https")
    host = headers.get(b"host", b"").decode("latin-1")
    return scheme.lower() in schemes and origin_host == host
