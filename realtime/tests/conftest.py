"""Room-socket fixtures: a room owned by the host (alice) with a meeting, room tokens,
and ``Client`` — a WebsocketCommunicator on the real router that knows its participant id.

Socket tests use ``django_db(transaction=True)``: the consumers reach the database from
another thread (database_sync_to_async), which must see the fixtures' rows.
"""

import json
import os

import pytest
from channels.testing import WebsocketCommunicator

from meetings.services.rooms import meeting_create, room_create
from meetings.tokens import room_token_mint
from portal.asgi import application

socket_db = pytest.mark.django_db(transaction=True)
requires_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")


@pytest.fixture
def room(host):
    return room_create(owner=host, name="Standup")


@pytest.fixture
def meeting(host, room):
    return meeting_create(host=host, title="Standup", room=room)


@pytest.fixture
def token_for(room):
    def mint(role="participant", name=None, *, room_=None, tenant_id=None, **kwargs):
        r = room_ or room
        return room_token_mint(
            tenant_id=tenant_id if tenant_id is not None else r.tenant_id, room_id=r.pk, role=role,
            name=name or role.title(), **kwargs,
        )

    return mint


class Client:
    """One socket in a room. ``join()`` connects and reads ``room_state``."""

    def __init__(self, path: str, *, host: bytes = b"localhost", origin: bytes | None = None):
        headers = [(b"host", host)]
        if origin is not None:
            headers.append((b"origin", origin))
        self.comm = WebsocketCommunicator(application, path, headers=headers)
        self.id = None
        self.state = None

    async def connect(self):
        return await self.comm.connect(timeout=5)

    async def join(self):
        connected, code = await self.comm.connect(timeout=5)  # a join does database work
        assert connected, f"refused with {code}"
        self.state = await self.recv()
        assert self.state["type"] == "room_state"
        self.id = self.state["you"]["id"]
        return self

    async def send(self, frame: dict):
        await self.comm.send_to(text_data=json.dumps(frame))

    async def recv(self, timeout: float = 2) -> dict:
        return json.loads(await self.comm.receive_from(timeout=timeout))

    async def recv_type(self, kind: str, timeout: float = 2) -> dict:
        """The next frame of ``kind``, skipping presence frames (room_connected, view_count...)."""
        while True:
            frame = await self.recv(timeout)
            if frame["type"] == kind:
                return frame
            assert frame["type"] in PRESENCE, f"expected {kind}, got {frame}"

    async def drain(self):
        while not await self.comm.receive_nothing(timeout=0.05):
            await self.comm.receive_output(timeout=1)

    async def nothing(self) -> bool:
        return await self.comm.receive_nothing(timeout=0.1)

    async def close(self):
        await self.comm.disconnect()


PRESENCE = {"room_connected", "room_disconnected", "view_count"}


async def refusal(client: Client) -> int | None:
    """The close code a join attempt got — refused before accept, or accepted and closed at once
    (expired or revoked tokens, so that browsers see the code) — or None if it was let in."""
    connected, code = await client.connect()
    if connected:
        first = await client.comm.receive_output(timeout=2)
        code = first["code"] if first["type"] == "websocket.close" else None
    await client.close()
    return code


@pytest.fixture
def client_for(room, token_for):
    """``await client_for(role, name)`` → a joined ``Client`` (disconnected at teardown)."""
    opened: list[Client] = []

    async def open_(role="participant", name=None, *, token=None, host=b"localhost", origin=None,
                    room_=None, join=True):
        r = room_ or room
        client = Client(f"/ws/rooms/{r.pk}/?token={token or token_for(role, name, room_=r)}",
                        host=host, origin=origin)
        opened.append(client)
        if join:
            await client.join()
        return client

    yield open_
    # Communicators left open are closed by the test itself; see ``cast``.
    opened.clear()


@pytest.fixture
async def cast(client_for):
    """A host, a participant and a viewer in the room, presence frames drained."""
    h = await client_for("host", "Alice")
    p = await client_for("participant", "Bob")
    v = await client_for("viewer", "Vic")
    for c in (h, p, v):
        await c.drain()
    yield {"host": h, "participant": p, "viewer": v}
    for c in (h, p, v):
        await c.close()
