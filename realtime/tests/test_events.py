"""Every registered event, parametrized over the registry: the happy path reaches exactly
the participants its route names (stamped with the sender's identity), a bad payload is
refused, and a sender of the wrong role is refused — with nothing leaked to anyone."""

import pytest

from realtime.protocol import HOST, HOSTS, MEMBER, OTHERS, REGISTRY, REPLY, ROOM, TARGET
from realtime.tests.conftest import socket_db

pytestmark = socket_db

EVENTS = sorted(REGISTRY)
# The media plane's events answer through a media server (realtime/tests/test_media.py).
MEDIA = {name for name in EVENTS if name.startswith("sfu-")}
# end-meeting is not relayed: the server announces meeting-ended and closes the room (test_room_portal.py)
RELAYED = [name for name in EVENTS if name not in MEDIA and name != "end-meeting"]
WITH_FIELDS = [name for name in EVENTS if REGISTRY[name].fields]
RESTRICTED = [name for name in EVENTS if REGISTRY[name].sender in (HOST, MEMBER)]


def sender_role(event) -> str:
    return "host" if event.sender == HOST else "participant"


def payload(event, cast, meeting) -> dict:
    frame = {"type": event.name, **event.example}
    for name, spec in event.fields.items():
        if name not in frame and spec.required:
            frame[name] = {str: "text", bool: True, dict: {"k": 1}}[spec.kind]
    if event.target:
        frame[event.target] = cast["viewer"].id
    if "meetingId" in event.fields and event.name == "meetingId":
        frame["meetingId"] = meeting.pk
    # Identity comes from the server, never from the frame.
    frame["username"] = "mallory"
    frame["time"] = 1
    return frame


def recipients(event, cast, sender: str) -> set[str]:
    everyone = set(cast)
    return {
        ROOM: everyone,
        OTHERS: everyone - {sender},
        HOSTS: {"host"},
        TARGET: {"viewer"},
        REPLY: {sender},
    }[event.route]


def test_registry_covers_the_seed_and_the_contract():
    seed = {
        "chat-box", "request-mic", "request-mic-accepted", "request-mic-rejected", "mic-accepted-ack",
        "mute-mic-request", "video-off", "device-switch", "product-selected", "sell-live", "recording",
        "sharing-toggle", "whiteBoardToggle", "whiteBoardStateRequest", "white-board-stage",
        "sendDrawingData", "Un-do", "clear-whiteBoard", "mute-all-participants", "mute-participant",
        "remove-participant", "transcript", "annotation", "meetingId", "start-transcript", "signal",
    }
    parley = {"stop-transcript", "lower-hand", "end-meeting", "file-shared"}  # additions (docs/protocol.md)
    assert set(REGISTRY) - MEDIA == seed | parley
    assert MEDIA == {"sfu-publish", "sfu-unpublish", "sfu-subscribe", "sfu-answer", "sfu-trickle",
                     "sfu-layer", "sfu-keyframe", "sfu-record"}
    host_only = {
        "request-mic-accepted", "request-mic-rejected", "mute-mic-request", "mute-participant",
        "remove-participant", "mute-all-participants", "recording", "sell-live", "whiteBoardToggle",
        "start-transcript", "stop-transcript", "meetingId", "sfu-record", "end-meeting",
    }
    assert {n for n, e in REGISTRY.items() if e.sender == HOST} == host_only


@pytest.mark.parametrize("name", RELAYED)
async def test_happy_path_reaches_exactly_its_route(name, cast, meeting):
    event = REGISTRY[name]
    who = sender_role(event)
    sender = cast[who]
    await sender.send(payload(event, cast, meeting))
    expected_type = "white-board-stage" if event.route == REPLY else name
    targets = recipients(event, cast, who)
    for role in targets:
        frame = await cast[role].recv()
        assert frame["type"] == expected_type, (role, frame)
        if event.route != REPLY:
            # where the seed's id means something else (event.seed_id), the sender is senderId
            sender_field = "id" if event.seed_id is None else "senderId"
            assert (frame[sender_field], frame["username"]) == (sender.id, sender.state["you"]["username"])
            assert frame["time"] > 1
    for role in set(cast) - targets:
        assert await cast[role].nothing(), role


@pytest.mark.parametrize("name", WITH_FIELDS)
async def test_bad_payload_is_refused(name, cast, meeting):
    event = REGISTRY[name]
    sender = cast[sender_role(event)]
    frame = payload(event, cast, meeting)
    field_name, spec = next(iter(sorted(event.fields.items(), key=lambda item: not item[1].required)))
    frame[field_name] = 12345 if spec.kind is str else "x"
    frame.pop(spec.alias or "", None)
    await sender.send(frame)
    error = await sender.recv()
    assert (error["type"], error["code"]) == ("error", "invalid_payload"), error
    assert field_name in error["detail"]
    for role in cast:
        assert await cast[role].nothing(), role


@pytest.mark.parametrize("name", [n for n in EVENTS if REGISTRY[n].target])
async def test_target_must_be_in_the_room(name, cast, meeting):
    event = REGISTRY[name]
    sender = cast[sender_role(event)]
    frame = payload(event, cast, meeting)
    frame[event.target] = "nobody"
    await sender.send(frame)
    error = await sender.recv()
    assert error["code"] == "not_found"
    for role in cast:
        assert await cast[role].nothing(), role


@pytest.mark.parametrize("name", RESTRICTED)
async def test_wrong_role_is_refused_without_effect(name, cast, meeting):
    event = REGISTRY[name]
    role = "participant" if event.sender == HOST else "viewer"
    frame = payload(event, cast, meeting)
    if event.target:
        frame[event.target] = cast["host"].id
    await cast[role].send(frame)
    error = await cast[role].recv()
    assert (error["type"], error["code"]) == ("error", "forbidden")
    for other in cast:
        assert await cast[other].nothing(), other
    if name == "remove-participant":
        # The host is still there and can still talk.
        await cast["host"].send({"type": "chat-box", "msg": "still here"})
        assert (await cast["participant"].recv())["msg"] == "still here"
