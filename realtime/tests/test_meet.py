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


def meet(token: str, host: bytes = b"localhost", client=("203.0.113.7", 50123),
         headers=()) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(application, f"/ws/meet/?token={token}", headers=[(b"host", host), *headers])
    comm.scope["client"] = client  # the connection's address, as daphne gives it
    return comm


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
    # the address is the connection's, never the payload's
    assert (part.user_id, part.ip, part.left_at) == (host.pk, "203.0.113.7", None)
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
                      ("[1]", "invalid_payload"), ('"room.join"', "invalid_payload"),
                      ('{"type": "room.leave"}', "unknown_type"),
                      ('{"roomId": "x", "sessionType": "made-up"}', "invalid_payload"),
                      ('{"roomId": "x", "sessionType": ["viewer"]}', "invalid_payload"),
                      ('{"roomId": "x\\u0000"}', "invalid_payload"),
                      ('{"roomId": "\\ud800"}', "invalid_payload"),
                      ('{"roomId": ' + "[" * 30_000 + "]" * 30_000 + "}", "invalid_payload"),
                      (json.dumps({"type": "room.join", "roomId": theirs.pk}), "not_found")]:
        await comm.send_to(text_data=raw)
        assert json.loads(await comm.receive_from())["code"] == code, raw
    await comm.disconnect()
    assert await db(AnalyticsSession.objects.count)() == 0


async def test_another_users_private_room_is_not_found(host, participant, staff):
    private = await db(room_create)(owner=host, name="1:1", is_private=True)
    public = await db(room_create)(owner=host, name="All hands")
    bob = meet(login_token_for(participant))
    assert (await bob.connect())[0]
    await bob.send_to(text_data=json.dumps({"roomId": private.pk, "sessionType": "live"}))
    assert json.loads(await bob.receive_from())["code"] == "not_found"
    assert await db(AnalyticsSession.objects.filter(room=private).count)() == 0
    await bob.send_to(text_data=json.dumps({"type": "room.join", "roomId": public.pk}))
    assert json.loads(await bob.receive_from())["type"] == "room.joined"
    await bob.disconnect()
    for user in (host, staff):  # the owner, and the tenant's staff, may
        comm = meet(login_token_for(user))
        assert (await comm.connect())[0]
        await comm.send_to(text_data=json.dumps({"type": "room.join", "roomId": private.pk}))
        assert json.loads(await comm.receive_from())["type"] == "room.joined"
        await comm.disconnect()


async def test_forwarded_address_is_not_believed_from_a_direct_client(host, room):
    comm = meet(login_token_for(host), headers=[(b"x-forwarded-for", b"198.51.100.1")])
    assert (await comm.connect())[0]
    await comm.send_to(text_data=json.dumps({"roomId": room.pk, "ip": "10.9.8.7"}))
    assert json.loads(await comm.receive_from())["type"] == "room.joined"
    part = await db(SessionParticipant.objects.get)()
    assert part.ip == "203.0.113.7"
    await comm.disconnect()


async def test_session_types_are_the_seeds(host, room):
    comm = meet(login_token_for(host))
    assert (await comm.connect())[0]
    for kind in ("meeting", "conference", "webinar", "live", "viewer"):
        await comm.send_to(text_data=json.dumps({"roomId": room.pk, "sessionType": kind}))
        assert json.loads(await comm.receive_from())["sessionType"] == kind
    for kind in ("Viewer", "<script>", "x" * 40, ""):
        await comm.send_to(text_data=json.dumps({"roomId": room.pk, "sessionType": kind}))
        assert json.loads(await comm.receive_from())["code"] == "invalid_payload", kind
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
