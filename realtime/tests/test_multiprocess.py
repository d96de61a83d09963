"""Two real daphne processes sharing rooms through Redis: every routing kind crosses,
whiteboard state and presence are shared, and a dead process leaves no ghosts."""

import asyncio
import json
import os

import pytest
import websockets
from channels.db import database_sync_to_async

from meetings.services.rooms import room_create
from meetings.tokens import room_token_mint
from tests.live import daphne_server

pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL"),
]


class Peer:
    def __init__(self, ws, state):
        self.ws = ws
        self.state = state
        self.id = state["you"]["id"]

    @classmethod
    async def join(cls, base: str, room, role: str, name: str, token: str | None = None):
        token = token or room_token_mint(tenant_id=room.tenant_id, room_id=room.pk, role=role, name=name)
        ws = await websockets.connect(f"{base.replace('http', 'ws')}/ws/rooms/{room.pk}/?token={token}")
        state = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert state["type"] == "room_state"
        return cls(ws, state)

    async def send(self, frame: dict):
        await self.ws.send(json.dumps(frame))

    async def next(self, kind: str, timeout: float = 5) -> dict:
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.ws.recv())
                if frame["type"] == kind:
                    return frame

    async def nothing_of(self, kind: str, wait: float = 0.5) -> bool:
        try:
            async with asyncio.timeout(wait):
                while True:
                    if json.loads(await self.ws.recv())["type"] == kind:
                        return False
        except TimeoutError:
            return True


@pytest.fixture
def two_servers():
    env = {"WS_PRESENCE_TTL_SECONDS": "3", "WS_RATE_PER_SECOND": "1000"}
    with daphne_server(extra_env=env, name="rt-a") as (a, _):
        with daphne_server(extra_env=env, name="rt-b") as (b, proc_b):
            yield a, b, proc_b


async def test_every_routing_kind_crosses_processes(two_servers, host):
    a, b, proc_b = two_servers
    room = await database_sync_to_async(room_create)(owner=host, name="Cross")
    h = await Peer.join(a, room, "host", "Alice")          # process A
    p = await Peer.join(b, room, "participant", "Bob")     # process B
    v = await Peer.join(b, room, "viewer", "Vic")          # process B
    while (await h.next("room_connected"))["id"] != p.id:
        pass
    assert {x["id"] for x in v.state["participants"]} == {h.id, p.id, v.id}

    # others: chat B → A
    await p.send({"type": "chat-box", "msg": "from B"})
    assert (await h.next("chat-box"))["msg"] == "from B"
    # others, ordered: 200 strokes A → B
    for i in range(200):
        await h.send({"type": "sendDrawingData", "msg": {"drawingType": "mousemove", "payload": {"n": i}}})
    got = [(await p.next("sendDrawingData"))["msg"]["payload"]["n"] for _ in range(200)]
    assert got == list(range(200))
    # hosts: request-mic B → host on A only
    await v.send({"type": "request-mic"})
    assert (await h.next("request-mic"))["id"] == v.id
    # one: signal and mic answer A → the viewer on B, not the participant beside it
    await h.send({"type": "signal", "to": v.id, "data": {"sdp": "offer"}})
    assert (await v.next("signal"))["from"] == h.id
    await h.send({"type": "request-mic-accepted", "userId": v.id})
    assert (await v.next("request-mic-accepted"))["userId"] == v.id
    assert await p.nothing_of("signal") and await p.nothing_of("request-mic-accepted", 0.1)
    # room: host control A → everyone on B
    await h.send({"type": "mute-participant", "userId": p.id})
    assert (await p.next("mute-participant"))["muted"] is True
    # shared whiteboard state: a joiner on B asks after the drawer on A has left
    late = await Peer.join(b, room, "participant", "Late")
    assert {x["id"]: x["muted"] for x in late.state["participants"]}[p.id] is True
    await late.send({"type": "whiteBoardStateRequest", "msg": {}})
    state = await late.next("white-board-stage")
    assert [s["payload"]["n"] for s in state["msg"]["strokes"]] == list(range(200))
    # removal A → closes the viewer's socket on B; its token cannot rejoin
    token = room_token_mint(tenant_id=room.tenant_id, room_id=room.pk, role="viewer", name="Eve")
    eve = await Peer.join(b, room, "viewer", "Eve", token=token)
    await h.send({"type": "remove-participant", "userId": eve.id})
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await eve.next("never", timeout=5)
    assert closed.value.rcvd.code == 4003
    assert (await h.next("room_disconnected"))["id"] == eve.id
    # the revoked token is accepted only to be closed with 4401, so a browser sees why
    with pytest.raises(websockets.ConnectionClosed) as refused:
        await Peer.join(b, room, "viewer", "Eve", token=token)
    assert refused.value.rcvd.code == 4401

    # a process dies: its sockets disappear from the roster within the presence TTL
    proc_b.kill()
    proc_b.wait()
    gone = set()
    async with asyncio.timeout(15):
        while len(gone) < 3:
            frame = await h.next("room_disconnected", timeout=15)
            gone.add(frame["id"])
    assert gone == {p.id, v.id, late.id}
    again = await Peer.join(a, room, "participant", "Fresh")
    assert {x["id"] for x in again.state["participants"]} == {h.id, again.id}
    await again.ws.close()
    await h.ws.close()
