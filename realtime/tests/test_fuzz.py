"""Hypothesis fuzzing of every room-socket event's payload, enumerated from the registry.

Each example sends one frame of the event — its declared fields (and stray ones) filled with
strings holding NUL and unpaired surrogates, huge strings, deep nests, non-finite numbers and
values of the wrong type — from a host, a participant or a viewer of a live room. Whatever it
is, the sender gets an ``error`` frame or the frame is relayed; no socket is ever closed (no
1011); and afterwards the roster holds exactly the live sockets.
"""

import json
import secrets

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realtime.groups import room_key
from realtime.protocol import REGISTRY, REPLY
from realtime.store import get_store
from realtime.tests.conftest import Client, socket_db

pytestmark = socket_db

EVENTS = sorted(REGISTRY)
DEEP = "\u2063deep\u2063"  # a placeholder string, replaced by a nest too deep to build as a list
ROLES = ("host", "participant", "viewer")

nasty_char = st.one_of(st.characters(), st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff",
                                                         "\\", '"', "\u2028", "\ufeff"]))
text = st.one_of(
    st.text(nasty_char, max_size=40),
    st.builds(lambda n, c: c * n, st.integers(3_000, 70_000), st.sampled_from(["a", "é", "😀", "\x00"])),
    st.just(DEEP),
)
scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                   st.floats(allow_nan=True, allow_infinity=True), text)
value = st.recursive(scalar, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(text, inner, max_size=4)), max_leaves=12)


def frame_for(name: str):
    """A strategy of (frame text, sender role) for event ``name``: each declared field (and
    its seed alias) absent, well typed but nasty, or of any type at all; plus stray keys."""
    event = REGISTRY[name]
    fields = {}
    for field_name, spec in event.fields.items():
        typed = {str: text, bool: st.booleans(), dict: st.dictionaries(text, value, max_size=4),
                 list: st.lists(value, max_size=4), "number": st.floats()}[spec.kind]
        fields[field_name] = st.one_of(typed, value)
    stray = {"id": value, "username": value}
    frame = st.fixed_dictionaries({"type": st.just(name)}, optional={**fields, **stray})
    extra = st.dictionaries(text, value, max_size=3)
    depth = st.integers(1, 40_000)
    return st.tuples(frame, extra, depth, st.booleans(), st.sampled_from(ROLES))


def encode(frame: dict, extra: dict, depth: int, ascii_only: bool) -> str:
    raw = json.dumps({**extra, **frame}, ensure_ascii=ascii_only)
    nest = "[" * depth + "]" * depth
    return raw.replace(json.dumps(DEEP, ensure_ascii=ascii_only), nest)


async def outputs(client: Client, timeout: float = 0.01) -> list[dict]:
    """Every ASGI message the client got (frames and closes), without waiting for more."""
    got = []
    while not await client.comm.receive_nothing(timeout=timeout):
        got.append(await client.comm.receive_output(timeout=1))
    return got


async def until_answered(client: Client) -> list[dict]:
    """What ``client`` got up to the answer to a sentinel frame sent now (an unknown type, so
    refused with its name in the detail): a socket's frames are handled in order, so every
    earlier frame of its was handled by then."""
    sentinel = f"sentinel-{secrets.token_hex(4)}"
    await client.send({"type": sentinel})
    got = []
    while True:
        message = await client.comm.receive_output(timeout=10)
        assert message["type"] == "websocket.send", f"the socket was closed: {message}"
        frame = json.loads(message["text"])
        if frame["type"] == "error" and sentinel in frame["detail"]:
            return got
        got.append(frame)


@pytest.fixture
def fast(settings):
    settings.WS_RATE_PER_SECOND = 1_000_000


@pytest.mark.parametrize("name", EVENTS)
@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
async def test_fuzzed_payloads_never_kill_a_socket(name, fast, cast, room, data):
    frame, extra, depth, ascii_only, role = data.draw(frame_for(name))
    sender = cast[role]
    await sender.comm.send_to(text_data=encode(frame, extra, depth, ascii_only))
    answered = await until_answered(sender)
    relayed = []
    for r, c in cast.items():
        if c is not sender:
            for message in await outputs(c):
                assert message["type"] == "websocket.send", f"{r}'s socket was closed: {message}"
                relayed.append(json.loads(message["text"]))
    errors = [f for f in answered if f["type"] == "error"]
    if REGISTRY[name].route == REPLY:
        delivered = any(f["type"] == "white-board-stage" for f in answered)
    else:
        delivered = any(f["type"] == name for f in relayed + answered)
    assert errors or delivered, (frame, answered, relayed)
    assert not (errors and delivered), (errors, relayed)  # refused means not relayed
    key = room_key(tenant_id=room.tenant_id, room_id=room.pk)
    assert {e["id"] for e in await get_store().roster(key)} == {c.id for c in cast.values()}
