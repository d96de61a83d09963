"""The meet socket records analytics sessions; the room socket does too."""

import json

from channels.db import database_sync_to_async as db
from channels.testing import WebsocketCommunicator

from meetings.models import AnalyticsSession, SessionParticipant
from meetings.services.rooms import room_create
from meetings.tokens import room_token_mint
from portal.accounts.tokens import login_token_for
from portal.asgi import application
from realtime.tests.conftest import socket_db

pytestmark = socket_db


def meet(token: str, host: bytes = b"localhost") -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/meet/?token={token}", headers=[(b"host", host)])


async def test_room_join_with_login_jwt_records_a_session(host, room):
    comm = meet(login_token_for(host))
    assert (await comm.connect())[0]
    await comm.send_to(text_data=json.dumps(
        {"type": "room.join", "roomId": room.pk, "sessionType": "viewer", "ip": "192.168.0.100"}))
    ack = json.loads(await comm.receive_from())
    assert ack == {"type": "room.joined", "roomId": room.pk, "sessionType": "viewer"}
    session = await db(AnalyticsSession.objects.get)(room=room)
    assert session.session_type == "viewer" and session.ended_at is None
    part = await db(SessionParticipant.objects.get)(session=session)
    assert (part.user_id, part.ip, part.left_at) == (host.pk, "192.168.0.100", None)
    await comm.disconnect()
    session = await db(AnalyticsSession.objects.get)(room=room)
    assert session.ended_at is not None


async def test_room_join_without_type_and_with_room_token(room):
    token = room_token_mint(tenant_id=room.tenant_id, room_id=room.pk, role="viewer", name="Guest")
    comm = meet(token)
    assert (await comm.connect())[0]
    await comm.send_to(text_data=json.dumps({"roomId": room.pk, "sessionType": "viewer", "ip": "10.0.0.1"}))
    assert json.loads(await comm.receive_from())["type"] == "room.joined"
    assert await db(SessionParticipant.objects.filter(name="Guest").count)() == 1
    await comm.disconnect()


async def test_room_token_is_good_for_its_room_only(room, host):
    other = await db(room_create)(owner=host, name="Other")
    comm = meet(room_token_mint(tenant_id=room.tenant_id, room_id=room.pk, role="viewer", name="G"))
    assert (await comm.connect())[0]
    await comm.send_to(text_data=json.dumps({"type": "room.join", "roomId": other.pk}))
    assert json.loads(await comm.receive_from())["code"] == "forbidden"
    assert await db(AnalyticsSession.objects.count)() == 0
    await comm.disconnect()


async def test_bad_frames_and_other_tenants_room(host, outsider):
    theirs = await db(room_create)(owner=outsider, name="Beta")
    comm = meet(login_token_for(host))
    assert (await comm.connect())[0]
    for raw, code in [("nope", "invalid_json"), ('{"type": "room.join"}', "invalid_payload"),
                      ('{"type": "room.join", "roomId": "x", "ip": "not-an-ip"}', "invalid_payload"),
                      ('{"type": "room.leave"}', "unknown_type"),
                      (json.dumps({"type": "room.join", "roomId": theirs.pk}), "not_found")]:
        await comm.send_to(text_data=raw)
        assert json.loads(await comm.receive_from())["code"] == code, raw
    await comm.disconnect()


async def test_refused_tokens(host, outsider):
    for token, site in [("garbage", b"localhost"), (login_token_for(outsider), b"localhost"),
                        (login_token_for(host), b"beta.test")]:
        comm = meet(token, site)
        assert not (await comm.connect())[0]
        await comm.disconnect()


async def test_room_socket_records_joins_and_leaves(client_for, room):
    h = await client_for("host", "Alice")
    p = await client_for("participant", "Bob")
    names = await db(lambda: sorted(SessionParticipant.objects.values_list("name", "role")))()
    assert names == [("Alice", "host"), ("Bob", "participant")]
    await p.close()
    await h.close()
    session = await db(AnalyticsSession.objects.get)(room=room)
    assert session.ended_at is not None
    assert await db(SessionParticipant.objects.filter(left_at=None).count)() == 0
