"""Encoding of outgoing frames: once per frame, compact, UTF-8 kept as is."""

import json
import time

_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encode(frame: dict) -> str:
    return _encoder.encode(frame)


def now_ms() -> int:
    """The server's clock stamped on relayed frames: milliseconds since the epoch."""
    return int(time.time() * 1000)


def error(code: str, detail: str, **extra) -> str:
    return encode({"type": "error", "code": code, "detail": detail, **extra})
