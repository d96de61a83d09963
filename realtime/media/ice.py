"""ICE servers for browsers: the static ``ICE_SERVERS`` plus, when ``TURN_URLS`` and
``TURN_SECRET`` are set, TURN credentials minted per connection with the "TURN REST API"
scheme that coturn implements (``use-auth-secret`` + ``static-auth-secret``):

    username   = "<expiry unix time>:<label>"
    credential = base64(HMAC-SHA1(TURN_SECRET, username))

coturn recomputes the HMAC and refuses the credential once the expiry has passed, so a
leaked credential is worth ``TURN_TTL_SECONDS`` of relaying at most, and the secret itself
never leaves the server.
"""

import base64
import hashlib
import hmac
import time

from django.conf import settings


def turn_credential(*, label: str, secret: str, ttl: int, now: float | None = None) -> tuple[str, str]:
    expiry = int((now if now is not None else time.time()) + ttl)
    username = f"{expiry}:{label}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(*, label: str) -> list[dict]:
    """The ``RTCIceServer`` list for one browser connection (``label`` names it in coturn's logs)."""
    servers = [dict(s) for s in settings.ICE_SERVERS]
    if settings.TURN_URLS and settings.TURN_SECRET:
        username, credential = turn_credential(
            label=label, secret=settings.TURN_SECRET, ttl=settings.TURN_TTL_SECONDS
        )
        servers.append({"urls": list(settings.TURN_URLS), "username": username, "credential": credential})
    return servers
