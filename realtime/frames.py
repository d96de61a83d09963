"""Frames on the wire: decoding (and checking) what a client sent, encoding what the server
sends — once per frame, compact, UTF-8 kept as is.

``decode`` is the one gate every client text frame passes before anything reaches a handler,
the database, the shared store or another socket: a JSON object with a string ``type``,
nested at most ``MAX_DEPTH`` levels, whose strings (keys included) hold no NUL and no
unpaired surrogate, and whose numbers are finite. PostgreSQL refuses NUL, UTF-8 cannot carry
a lone surrogate (the frame would kill the socket of everyone it is relayed to), and a deep
nest blows the recursion limit of whatever walks it next.
"""

import json
import math
import re
import time

_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)

#: Deepest nesting of objects and arrays a client frame may have (a Konva stage is ~10).
MAX_DEPTH = 64

# A decoded string can hold NUL or a lone surrogate only if the text holds one raw (JSON refuses
# a raw NUL inside a string, and ASCII text holds neither) or escaped. Frames with neither (nearly
# all of them) skip the walk; a match only means "look closer". Non-finite numbers are refused
# while parsing (``parse_float``, ``parse_constant``), so they cost nothing here.
_ESCAPED = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_BAD_TEXT = re.compile(r"[\x00\ud800-\udfff]")


class EventError(Exception):
    """A refused frame: answered with ``{"type": "error", "code", "detail"}``."""

    def __init__(self, code: str, detail: str, **extra):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.extra = extra  # more fields of the error frame (e.g. plan_required's plan, feature)


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):  # 1e999
        raise ValueError("numbers must be finite")
    return number


_decoder = json.JSONDecoder(parse_constant=_no_constants, parse_float=_finite)


def _suspect(text: str) -> bool:
    if "\\u" in text and _ESCAPED.search(text) is not None:
        return True
    if not text.isascii() and _BAD_TEXT.search(text) is not None:
        return True
    return text.count("{") + text.count("[") > MAX_DEPTH


def decode(text: str, *, max_bytes: int, typed: bool = True) -> dict:
    """The frame in ``text``, checked; ``EventError`` when it may not go further. ``typed``:
    the object must carry a string ``type`` (the meet socket's ``room.join`` may leave it out)."""
    if len(text) * 4 > max_bytes and len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise EventError("frame_too_large", f"Frames are limited to {max_bytes} bytes.")
    try:
        frame = _decoder.decode(text)
    except RecursionError:
        raise EventError("invalid_payload", f"Frames may nest at most {MAX_DEPTH} levels.") from None
    except ValueError:
        raise EventError("invalid_json", "The frame is not valid JSON.") from None
    if not isinstance(frame, dict):
        raise EventError("invalid_payload", "A frame is a JSON object.")
    if typed and not isinstance(frame.get("type"), str):
        raise EventError("invalid_payload", "A frame is a JSON object with a string 'type'.")
    if _suspect(text):
        check(frame)
    return frame


def check(value) -> None:
    """Walk ``value`` (iteratively: its depth is what is being checked)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _BAD_TEXT.search(item) is not None:
                raise EventError("invalid_payload", "Strings may not contain NUL or unpaired surrogates.")
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise EventError("invalid_payload", f"Frames may nest at most {MAX_DEPTH} levels.")
            if isinstance(item, dict):
                stack.extend((k, depth) for k in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)


def printable(text: str) -> str:
    """``text`` with NUL and unpaired surrogates replaced (names from tokens minted elsewhere)."""
    return _BAD_TEXT.sub("\ufffd", text)


def encode(frame: dict) -> str:
    return _encoder.encode(frame)


def now_ms() -> int:
    """The server's clock stamped on relayed frames: milliseconds since the epoch."""
    return int(time.time() * 1000)


def error(code: str, detail: str, **extra) -> str:
    return encode({"type": "error", "code": code, "detail": detail, **extra})
