"""Tenant branding: a name, a logo and an accent colour, shown on the tenant's pages and in
its emails.

- Pages link ``/brand/theme.css`` (generated per tenant: CSS custom properties only, so the
  strict CSP needs no inline style) and show ``/brand/logo``. Both are public, like any
  site's logo and stylesheet, and versioned with ``?v=`` so they can be cached for a day.
- The logo is stored through Django's storage API (local disk or S3 via django-storages)
  under ``branding/<tenant id>/`` and only ever served by ``logo`` below, with the type
  Pillow found in it — never an SVG or anything a browser could run.
- Emails extend ``templates/email/base.html`` / ``base.txt`` through ``tenant_mail_send``.
"""

import logging
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from portal.plans.web import plan_feature

log = logging.getLogger(__name__)

DEFAULT_NAME = "Parley"
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 4.5               # WCAG AA for normal text: white on the accent colour
LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_SIDE = 1024
LOGO_TYPES = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "GIF": ("gif", "image/gif"),
              "WEBP": ("webp", "image/webp")}
CACHE_SECONDS = 24 * 3600


# --- colour -------------------------------------------------------------------------------------
def _rgb(value: str) -> tuple[int, int, int]:
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def _hex(rgb) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def _luminance(value: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(value))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(value: str) -> float:
    return 1.05 / (_luminance(value) + 0.05)


def validate_accent(value: str) -> None:
    if not value:
        return
    if not HEX.match(value):
        raise ValidationError("Use a hex colour like #0b6e4f.", code="invalid")
    ratio = contrast_with_white(value)
    if ratio < MIN_CONTRAST:
        raise ValidationError(
            f"White text on {value} has a contrast of {ratio:.1f}:1; pick a darker colour "
            f"(at least {MIN_CONTRAST}:1).", code="low_contrast",
        )


def accent_shades(value: str) -> dict[str, str]:
    """The three custom properties the stylesheet uses, derived from one colour."""
    r, g, b = _rgb(value)
    return {
        "--accent": value.lower(),
        "--accent-dark": _hex((r * 0.82, g * 0.82, b * 0.82)),
        "--accent-soft": _hex((255 - (255 - r) * 0.1, 255 - (255 - g) * 0.1, 255 - (255 - b) * 0.1)),
    }


# --- logo ---------------------------------------------------------------------------------------
def _image_format(file) -> str | None:
    from PIL import Image, UnidentifiedImageError

    try:
        file.seek(0)
        with Image.open(file) as image:
            image.verify()
            fmt, size = image.format, image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    finally:
        file.seek(0)
    if fmt not in LOGO_TYPES or max(size) > LOGO_MAX_SIDE:
        return None
    return fmt


def validate_logo(file) -> None:
    if file is None or not getattr(file, "name", ""):
        return
    if getattr(file, "_committed", False):
        return  # already stored: it was checked when it was uploaded
    if file.size > LOGO_MAX_BYTES:
        raise ValidationError(f"The logo may be at most {LOGO_MAX_BYTES // 1024} KiB.", code="too_large")
    if _image_format(file) is None:
        raise ValidationError(
            f"The logo must be a PNG, JPEG, GIF or WebP image of at most {LOGO_MAX_SIDE} pixels a side.",
            code="invalid_image",
        )


def logo_upload_to(tenant, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "img"
    ext = ext if ext in {"png", "jpg", "jpeg", "gif", "webp"} else "img"
    return f"branding/{tenant.pk or 'new'}/logo-{secrets.token_hex(6)}.{ext}"


# --- what pages and emails show ---------------------------------------------------------------------
def _version(tenant) -> str:
    stamp = getattr(tenant, "updated_at", None)
    return str(int(stamp.timestamp())) if stamp else "0"


def brand_for(tenant) -> dict:
    """Name, logo URL (or None), stylesheet URL and accent colour of a tenant (no queries)."""
    if tenant is None:
        return {"name": DEFAULT_NAME, "logo_url": None, "css_url": None, "accent": None}
    v = urlencode({"v": _version(tenant)})
    return {
        "name": tenant.brand_name or DEFAULT_NAME,
        "logo_url": f"{reverse('brand-logo')}?{v}" if tenant.logo else None,
        "css_url": f"{reverse('brand-css')}?{v}",
        "accent": tenant.accent_color or None,
    }


def context(request) -> dict:
    """Template context processor: ``brand``."""
    return {"brand": brand_for(getattr(request, "tenant", None))}


def _cached(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@plan_feature("essential")
@require_GET
def theme_css(request):
    """The tenant's colours as CSS custom properties (empty when it keeps the defaults)."""
    accent = request.tenant.accent_color
    body = "/* Parley default colours */\n"
    if accent and HEX.match(accent):
        rules = ";".join(f"{k}:{v}" for k, v in accent_shades(accent).items())
        body = f":root{{{rules}}}\n"
    return _cached(HttpResponse(body, content_type="text/css; charset=utf-8"))


@plan_feature("essential")
@require_GET
def logo(request):
    """The tenant's logo from storage, with the type its bytes were checked to be."""
    tenant = request.tenant
    if not tenant.logo:
        raise Http404("No logo.")
    try:
        with default_storage.open(tenant.logo.name, "rb") as f:
            data = f.read(LOGO_MAX_BYTES + 1)
    except (FileNotFoundError, OSError):
        raise Http404("No logo.") from None
    from io import BytesIO

    fmt = _image_format(BytesIO(data))
    if fmt is None:
        raise Http404("No logo.")
    response = _cached(HttpResponse(data, content_type=LOGO_TYPES[fmt][1]))
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- email --------------------------------------------------------------------------------------------
def site_url(tenant) -> str:
    scheme = "https" if settings.SECURE_SSL_REDIRECT or settings.SESSION_COOKIE_SECURE else "http"
    return f"{scheme}://{tenant.primary_domain or 'localhost'}"


def tenant_mail_send(*, tenant, to: list[str], subject: str, template: str, context: dict) -> int:
    """Send ``<template>.txt`` (and ``<template>.html``) in the tenant's branding, once SMTP is
    configured (``EMAIL_ENABLED``); otherwise the notice is logged and skipped.

    Templates extend ``email/base.txt`` / ``email/base.html``, which show the tenant's name,
    logo and accent colour; ``brand`` and ``site_url`` are in their context.
    """
    if not to:
        return 0
    if not settings.EMAIL_ENABLED:
        log.info("Email to %d recipient(s) not sent: EMAIL_HOST is not set (%s)", len(to), subject)
        return 0
    return tenant_mail_build(tenant=tenant, to=to, subject=subject, template=template,
                             context=context).send()


def tenant_mail_build(*, tenant, to: list[str], subject: str, template: str, context: dict,
                      reply_to: list[str] | None = None) -> EmailMultiAlternatives:
    """The branded message (text and HTML), for the caller to attach files to and send."""
    base = site_url(tenant)
    brand = brand_for(tenant)
    brand["logo_url"] = f"{base}{brand['logo_url']}" if brand["logo_url"] else None
    ctx = {**context, "brand": brand, "site_url": base, "accent": tenant.accent_color or "#5b4ff5"}
    message = EmailMultiAlternatives(
        subject=f"[{brand['name']}] {subject}", body=render_to_string(f"{template}.txt", ctx), to=to,
        reply_to=reply_to or [],
    )
    message.attach_alternative(render_to_string(f"{template}.html", ctx), "text/html")
    return message
