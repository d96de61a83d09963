"""A socket of tenant A never receives tenant B's events."""

from channels.db import database_sync_to_async as db

from meetings.services.rooms import room_create
from meetings.tokens import room_token_mint
from realtime.announce import aannounce_to_room
from realtime.tests.conftest import Client, socket_db

pytestmark = socket_db


async def test_tenants_are_isolated(client_for, outsider, room):
    theirs = await db(room_create)(owner=outsider, name="Beta room")
    a1 = await client_for("host", "Alice")
    a2 = await client_for("participant", "Bob")
    def beta(role, name):
        token = room_token_mint(tenant_id=theirs.tenant_id, room_id=theirs.pk, role=role, name=name)
        return Client(f"/ws/rooms/{theirs.pk}/?token={token}", host=b"beta.test")

    b1, b2 = beta("host", "C"), beta("participant", "D")
    await b1.join()
    await b2.join()
    assert [p["username"] for p in b2.state["participants"]] == ["C", "D"]
    for c in (a1, a2, b1, b2):
        await c.drain()

    await b1.send({"type": "chat-box", "msg": "beta only"})
    await b1.send({"type": "sendDrawingData", "msg": {"drawingType": "mousedown", "payload": {}}})
    await b1.send({"type": "mute-all-participants"})
    for kind in ("chat-box", "sendDrawingData", "mute-all-participants"):
        await b2.recv_type(kind)
    await aannounce_to_room(tenant_id=theirs.tenant_id, room_id=theirs.pk, frame={"type": "sell-live"})
    await b2.recv_type("sell-live")
    await b1.recv_type("mute-all-participants")
    await b1.recv_type("sell-live")
    assert await a1.nothing() and await a2.nothing()
    # A room id of tenant B addressed through tenant A's key reaches nobody.
    await aannounce_to_room(tenant_id=room.tenant_id, room_id=theirs.pk, frame={"type": "sell-live"})
    assert await b1.nothing() and await b2.nothing()
    for c in (a1, a2, b1, b2):
        await c.close()
