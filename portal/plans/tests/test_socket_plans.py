"""The room socket, side by side: every registry event whose feature Essential lacks is
refused on an Essential tenant with ``plan_required`` and reaches nobody, and is relayed on a
Professional tenant — enumerated from ``realtime.protocol.REGISTRY``."""

import pytest
from channels.db import database_sync_to_async as db

from meetings.services.rooms import meeting_create, room_create
from meetings.tokens import room_token_mint
from portal.plans.catalogue import ESSENTIAL, PLANS, PROFESSIONAL, feature_known
from portal.plans.services import tenant_plan_set
from realtime.protocol import REGISTRY, Event, register
from realtime.tests.conftest import Client, socket_db
from realtime.tests.test_events import MEDIA, payload, recipients, sender_role

pytestmark = socket_db

PROFESSIONAL_EVENTS = sorted(n for n, e in REGISTRY.items() if e.feature not in PLANS[ESSENTIAL].features)
ESSENTIAL_EVENTS = sorted(set(REGISTRY) - set(PROFESSIONAL_EVENTS))


def test_every_event_declares_a_plan_feature():
    assert all(feature_known(e.feature) for e in REGISTRY.values())
    with pytest.raises(ValueError, match="declares no plan feature"):
        register(Event("new-thing", "any", "others", "An event someone forgot to classify."))
    assert "new-thing" not in REGISTRY


def test_the_professional_events_are_the_ones_expected():
    # Changing this set is a product decision: update docs/plans.md and docs/protocol.md with it.
    assert PROFESSIONAL_EVENTS == sorted([
        "whiteBoardToggle", "whiteBoardStateRequest", "white-board-stage", "sendDrawingData", "Un-do",
        "clear-whiteBoard", "annotation", "transcript", "start-transcript", "stop-transcript",
    ])


async def join(client: Client) -> Client:
    """``Client.join`` with patience for a loaded machine (the communicator's default is 1 s)."""
    connected, code = await client.comm.connect(timeout=10)
    assert connected, code
    client.state = await client.recv(timeout=10)
    client.id = client.state["you"]["id"]
    return client


async def _cast(tenant_host: bytes, owner):
    room = await db(room_create)(owner=owner, name="Room")
    meeting = await db(meeting_create)(host=owner, title="Sync", room=room)
    clients = {}
    for role, name in (("host", "Hana"), ("participant", "Pat"), ("viewer", "Vic")):
        token = room_token_mint(tenant_id=room.tenant_id, room_id=room.pk, role=role, name=name)
        clients[role] = await join(Client(f"/ws/rooms/{room.pk}/?token={token}", host=tenant_host))
    for c in clients.values():
        await c.drain()
    return clients, meeting


@pytest.fixture
async def ess_cast(ess_host):
    clients, meeting = await _cast(b"beta.test", ess_host)
    yield clients, meeting
    for c in clients.values():
        await c.close()


@pytest.fixture
async def pro_cast(pro_host):
    clients, meeting = await _cast(b"localhost", pro_host)
    yield clients, meeting
    for c in clients.values():
        await c.close()


@pytest.mark.parametrize("name", PROFESSIONAL_EVENTS)
async def test_refused_on_essential_and_not_relayed(name, ess_cast):
    cast, meeting = ess_cast
    event = REGISTRY[name]
    sender = cast[sender_role(event)]
    await sender.send(payload(event, cast, meeting))
    error = await sender.recv()
    assert error == {
        "type": "error", "code": "plan_required", "plan": PROFESSIONAL, "feature": event.feature,
        "detail": error["detail"],
    }
    assert "Professional" in error["detail"]
    for role in cast:
        assert await cast[role].nothing(), role


@pytest.mark.parametrize("name", PROFESSIONAL_EVENTS)
async def test_relayed_on_professional(name, pro_cast):
    cast, meeting = pro_cast
    event = REGISTRY[name]
    who = sender_role(event)
    await cast[who].send(payload(event, cast, meeting))
    expected = "white-board-stage" if name == "whiteBoardStateRequest" else name
    for role in recipients(event, cast, who):
        assert (await cast[role].recv())["type"] == expected, role


@pytest.mark.parametrize("name", ESSENTIAL_EVENTS)
async def test_essential_events_work_on_essential(name, ess_cast):
    cast, meeting = ess_cast
    event = REGISTRY[name]
    who = sender_role(event)
    frame = payload(event, cast, meeting)
    await cast[who].send(frame)
    if name in MEDIA:  # the plan lets it through to the media plane; no media server here
        assert (await cast[who].recv())["code"] == "invalid_state"
        return
    if name == "end-meeting":  # not relayed: everyone is told the meeting ended
        for role in cast:
            assert (await cast[role].recv())["type"] == "meeting-ended", role
        return
    for role in recipients(event, cast, who):
        received = await cast[role].recv()
        assert received["type"] == name, (role, received)


async def test_room_state_tells_the_plan(ess_cast, pro_cast):
    ess_state = ess_cast[0]["host"].state["plan"]
    pro_state = pro_cast[0]["host"].state["plan"]
    assert (ess_state["code"], pro_state["code"]) == ("essential", "professional")
    assert "whiteboard" not in ess_state["features"] and "whiteboard" in pro_state["features"]
    assert set(ess_state["features"]) == PLANS[ESSENTIAL].features


async def test_a_socket_keeps_the_plan_it_joined_with(pro_host, pro):
    """A downgrade applies to sockets that join after it (no query per frame); reconnecting
    picks up the new plan."""
    room = await db(room_create)(owner=pro_host, name="Room")
    token = room_token_mint(tenant_id=room.tenant_id, room_id=room.pk, role="host", name="Hana")
    before = await join(Client(f"/ws/rooms/{room.pk}/?token={token}"))
    await db(tenant_plan_set)(tenant=pro, plan=ESSENTIAL, via="command")
    after = await join(Client(f"/ws/rooms/{room.pk}/?token={token}"))
    await before.drain()
    await after.drain()
    stroke = {"type": "sendDrawingData", "msg": {"drawingType": "mousedown", "payload": {}}}
    await after.send(stroke)
    assert (await after.recv())["code"] == "plan_required"
    await before.send(stroke)
    assert (await after.recv())["type"] == "sendDrawingData"
    await before.close()
    await after.close()
