"""The client's address, in one place, for HTTP requests and ASGI scopes.

The connection's peer is the client — unless the peer is one of ``TRUSTED_PROXIES`` (addresses
or networks, from the environment), in which case the address the proxy appended to
``X-Forwarded-For`` is taken: the right-most entry that is not itself a trusted proxy. A header
sent by anyone else is ignored, so rotating it buys an attacker nothing.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]):
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str | None) -> bool:
    if not address or not settings.TRUSTED_PROXIES:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(tuple(settings.TRUSTED_PROXIES)))


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def resolve_ip(peer: str | None, forwarded_for: str | None) -> str | None:
    """The rule: ``peer`` unless it is a trusted proxy, then the first untrusted hop from the right."""
    if not _trusted(peer) or not forwarded_for:
        return peer
    for hop in reversed(forwarded_for.split(",")):
        address = _valid(hop)
        if address is None:
            return peer  # a malformed hop: believe nothing beyond the proxy
        if not _trusted(address):
            return address
    return peer


def client_ip(request) -> str | None:
    """The client address of an HTTP request."""
    request = getattr(request, "_request", request)  # a DRF Request
    return resolve_ip(request.META.get("REMOTE_ADDR"), request.META.get("HTTP_X_FORWARDED_FOR"))


def scope_client_ip(scope) -> str | None:
    """The client address of an ASGI (WebSocket) scope, by the same rule."""
    client = scope.get("client")
    peer = client[0] if client else None
    forwarded = [v for k, v in scope.get("headers") or [] if k == b"x-forwarded-for"]
    header = ",".join(v.decode("latin-1") for v in forwarded) if forwarded else None
    return resolve_ip(peer, header)
