"""Room tokens: signed, short-lived credentials to join one room of one tenant with one
role under one display name. The sockets accept nothing else.

They are JWTs (HS256, audience ``parley:room``) signed with a key derived from
SECRET_KEY, so a login JWT can never pass as a room token or the other way round.
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import jwt
from django.conf import settings

AUDIENCE = "parley:room"
ROLES = ("host", "participant", "viewer")


class InvalidRoomToken(Exception):
    pass


class ExpiredRoomToken(InvalidRoomToken):
    """A genuine token of this tenant (and room, when asked) past its expiry: retrying cannot help."""


@dataclass(frozen=True)
class RoomGrant:
    """What a valid room token lets its holder do."""

    tenant_id: int
    room_id: str
    role: str
    name: str
    user_id: str | None
    jti: str
    expires_at: int
    guest: str | None = None  # an invite-link holder's identity (``g:<id>``/``u:<id>``; bans)

    @property
    def is_host(self) -> bool:
        return self.role == "host"


def _key() -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), b"parley-room-token-v1", hashlib.sha256).digest()


def room_token_mint(
    *, tenant_id: int, room_id: str, role: str, name: str, user_id: str | None = None,
    ttl_seconds: int | None = None, guest: str | None = None,
) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    now = int(time.time())
    claims = {
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + (ttl_seconds or settings.ROOM_TOKEN_TTL_SECONDS),
        "jti": secrets.token_hex(12),
        "tenant": tenant_id,
        "room": room_id,
        "role": role,
        "name": name,
        "user": user_id,
    }
    if guest:
        claims["guest"] = guest
    return jwt.encode(claims, _key(), algorithm="HS256")


def room_token_read(token: str, *, tenant_id: int, room_id: str | None = None) -> RoomGrant:
    """Verify signature, expiry, tenant and (when given) room; raise ``InvalidRoomToken``."""
    try:
        claims = jwt.decode(
            token, _key(), algorithms=["HS256"], audience=AUDIENCE,
            options={"require": ["exp", "aud", "jti", "tenant", "room", "role", "name"]},
        )
    except jwt.ExpiredSignatureError:
        claims = _expired_claims(token)
        if claims.get("tenant") == tenant_id and (room_id is None or claims.get("room") == room_id):
            raise ExpiredRoomToken("token expired") from None
        raise InvalidRoomToken("token expired") from None
    except jwt.PyJWTError as exc:
        raise InvalidRoomToken(str(exc)) from None
    if claims["tenant"] != tenant_id:
        raise InvalidRoomToken("token belongs to another site")
    if room_id is not None and claims["room"] != room_id:
        raise InvalidRoomToken("token belongs to another room")
    if claims["role"] not in ROLES:
        raise InvalidRoomToken("unknown role")
    return RoomGrant(
        tenant_id=claims["tenant"], room_id=claims["room"], role=claims["role"],
        name=str(claims["name"])[:150], user_id=claims.get("user"), jti=claims["jti"],
        expires_at=claims["exp"], guest=claims.get("guest") if isinstance(claims.get("guest"), str) else None,
    )


def _expired_claims(token: str) -> dict:
    """The claims of a token whose signature was verified but whose time is up."""
    try:
        return jwt.decode(token, _key(), algorithms=["HS256"], audience=AUDIENCE,
                          options={"verify_exp": False})
    except jwt.PyJWTError:
        return {}
