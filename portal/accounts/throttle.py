"""Brute-force limits on every way to log in: ``POST /auth/login`` (and ``/auth/register``), the
``/login`` page and ``/admin/login/``.

Two counters, both fixed windows in the ``throttle`` cache (Redis when ``REDIS_URL`` is set, so
every process shares them):

- **per client address** (``portal.net.client_ip``: ``X-Forwarded-For`` only from a
  ``TRUSTED_PROXIES`` peer): every login POST counts; ``AUTH_THROTTLE_RATE`` (``30/min``);
- **per account** (tenant + the email as typed, lower-cased): *failed* passwords count;
  ``LOGIN_ACCOUNT_FAILURES`` per ``LOGIN_ACCOUNT_WINDOW_SECONDS`` (10 per 15 min). It is a
  window, not a lock: when it ends the real user logs in again, and nothing is stored for good.

Over a limit: 429 with ``Retry-After`` (seconds until the window ends). The account check sits in
the authentication backend, so no login path can skip it; the backend flags the request and the
views turn the flag into the 429.
"""

import functools
import hashlib
import time

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.template.loader import render_to_string

from portal.net import client_ip

_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"30/min"`` → (30, 60)."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip().lower()]


def now() -> float:
    return time.time()


def _cache():
    return caches["throttle"]


class LazyCache:
    """The ``throttle`` cache, looked up on use (DRF throttles bind theirs at import)."""

    def __getattr__(self, name):
        return getattr(_cache(), name)


def _hit(key: str, limit: int, window: int, *, count: bool = True) -> int | None:
    """Count one hit (unless ``count`` is false); the seconds to wait if the window is full."""
    moment = now()
    start = int(moment // window) * window
    slot = f"{key}:{start}"
    cache = _cache()
    if count:
        cache.add(slot, 0, timeout=window + 1)
        try:
            hits = cache.incr(slot)
        except ValueError:  # expired between add and incr
            cache.set(slot, 1, timeout=window + 1)
            hits = 1
        full = hits > limit
    else:
        full = (cache.get(slot) or 0) >= limit
    return max(1, int(start + window - moment + 0.999)) if full else None


def address_wait(request, *, count: bool = True) -> int | None:
    limit, window = parse_rate(settings.AUTH_THROTTLE_RATE)
    return _hit(f"login-ip:{client_ip(request) or 'unknown'}", limit, window, count=count)


def _account_key(request, username: str) -> str:
    tenant = getattr(getattr(request, "tenant", None), "pk", None)
    digest = hashlib.sha256(f"{tenant}:{username.strip().lower()}".encode("utf-8", "replace")).hexdigest()
    return f"login-account:{digest[:32]}"


def account_wait(request, username: str) -> int | None:
    """Seconds until this account may be tried again, or ``None``."""
    return _hit(_account_key(request, username), settings.LOGIN_ACCOUNT_FAILURES,
                settings.LOGIN_ACCOUNT_WINDOW_SECONDS, count=False)


def account_failed(request, username: str) -> None:
    _hit(_account_key(request, username), settings.LOGIN_ACCOUNT_FAILURES,
         settings.LOGIN_ACCOUNT_WINDOW_SECONDS)


def flag(request, wait: int) -> None:
    """Mark the request refused for ``wait`` seconds (read by the views)."""
    request = getattr(request, "_request", request)
    request.login_retry_after = max(wait, getattr(request, "login_retry_after", 0))


def flagged(request) -> int | None:
    return getattr(getattr(request, "_request", request), "login_retry_after", None)


def too_many(request, wait: int) -> HttpResponse:
    """The 429 of the browser pages (the API's is DRF's ``Throttled``)."""
    body = render_to_string("429.html", {"wait": wait}, request=request)
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(wait)
    return response


def login_throttled(view):
    """For the login pages (``/login``, ``/admin/login/``): a POST counts against the client's
    address first; an account over its limit (flagged by the backend) is answered 429 too."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            wait = address_wait(request)
            if wait:
                return too_many(request, wait)
        response = view(request, *args, **kwargs)
        wait = flagged(request)
        return too_many(request, wait) if wait else response

    return wrapped


def reset() -> None:
    """Forget every counter (tests)."""
    cache = _cache()
    client = getattr(cache, "_cache", None)
    if client is not None and hasattr(client, "get_client"):  # Redis: only our prefix, never FLUSHDB
        redis = client.get_client(write=True)
        keys = list(redis.scan_iter(match=f"{cache.key_prefix}:*", count=500))
        if keys:
            redis.delete(*keys)
    else:
        cache.clear()
