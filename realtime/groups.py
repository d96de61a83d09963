"""Names shared between processes: channel-layer groups and Redis keys.

Every name is built here and nowhere else. Group names stay inside what Channels
accepts (ASCII ``[A-Za-z0-9-_.]``, under 100 characters) and always lead with the
tenant, so two tenants can never meet in one group even if room ids collided.
"""

import re

_SAFE = re.compile(r"[^A-Za-z0-9_-]")


def _safe(value) -> str:
    return _SAFE.sub("_", str(value))[:40]


def room_key(*, tenant_id, room_id: str) -> str:
    """The identity of one room of one tenant inside this package (``"<tenant>.<room>"``)."""
    return f"{_safe(tenant_id)}.{_safe(room_id)}"


def room_group(key: str) -> str:
    """The channel-layer group of a room: one member per process that has local sockets in it."""
    return f"room.{key}"


def redis_key(prefix: str, kind: str, key: str = "") -> str:
    """A Redis key of the realtime state (presence, room meta, whiteboard, process heartbeats)."""
    return f"{prefix}:rt:{kind}:{key}" if key else f"{prefix}:rt:{kind}"
