"""Who may open the room socket, and what a joiner and the room see."""

import pytest
from channels.db import database_sync_to_async as db

from meetings.models import ChatMessage
from meetings.services.rooms import room_create
from meetings.tokens import room_token_mint
from realtime.tests.conftest import Client, refusal, socket_db

pytestmark = socket_db


async def refused(client: Client) -> bool:
    return await refusal(client) is not None


async def test_valid_token_joins_with_room_state(client_for, meeting):
    await db(ChatMessage.objects.create)(tenant_id=meeting.tenant_id, room=meeting.room, participant_id="x",
                                         username="Old", msg="earlier")
    h = await client_for("host", "Alice")
    state = h.state
    assert state["you"] == {"id": h.id, "username": "Alice", "role": "host"}
    assert [p["id"] for p in state["participants"]] == [h.id]
    assert state["participants"][0] == {
        "id": h.id, "username": "Alice", "role": "host", "state": "online", "muted": False,
        "videoOff": False, "sharing": False, "handRaised": False,
    }
    assert state["whiteboard"] == {"enabled": False}
    assert state["meetingId"] == meeting.pk
    assert state["recording"] == {"active": False, "recordingId": None}
    assert [(m["username"], m["msg"]) for m in state["chat"]] == [("Old", "earlier")]
    await h.close()


async def test_everyone_sees_joins_and_leaves(client_for):
    h = await client_for("host", "Alice")
    await h.drain()
    p = await client_for("participant", "Bob")
    joined = await h.recv()
    assert joined == {"type": "room_connected", "id": p.id, "username": "Bob", "role": "participant",
                      "state": "online", "muted": False, "videoOff": False, "sharing": False,
                      "handRaised": False, "time": joined["time"]}
    assert (await h.recv())["count"] == 2
    assert p.id != h.id and [x["id"] for x in p.state["participants"]] == [h.id, p.id]
    await p.close()
    left = await h.recv()
    assert (left["type"], left["id"], left["username"]) == ("room_disconnected", p.id, "Bob")
    count = await h.recv()
    assert (count["type"], count["count"]) == ("view_count", 1)
    await h.close()


async def test_view_count_after_leave(client_for):
    h = await client_for("host")
    p = await client_for("participant")
    await h.drain()
    await p.close()
    await h.recv_type("room_disconnected")
    count = await h.recv_type("view_count")
    # count: connected now; views: every join so far (the seed's "total views", never down)
    assert (count["count"], count["views"]) == (1, 2)
    await h.close()


@pytest.mark.parametrize("case", ["garbage", "forged", "expired", "other-room", "other-tenant", "none"])
async def test_bad_tokens_are_refused(case, room, host, tenant_b, outsider):
    if case == "garbage":
        token = "not-a-token"
    elif case == "forged":
        good = room_token_mint(tenant_id=room.tenant_id, room_id=room.pk, role="host", name="A")
        head, body, _sig = good.split(".")
        token = f"{head}.{body}.{'A' * 43}"
    elif case == "expired":
        token = room_token_mint(
            tenant_id=room.tenant_id, room_id=room.pk, role="host", name="A", ttl_seconds=-5
        )
    elif case == "other-room":
        other = await db(room_create)(owner=host, name="Other")
        token = room_token_mint(tenant_id=room.tenant_id, room_id=other.pk, role="host", name="A")
    elif case == "other-tenant":
        token = room_token_mint(tenant_id=tenant_b.id, room_id=room.pk, role="host", name="A")
    else:
        token = ""
    # A genuine token that expired is accepted and closed with 4401, so that a browser (which
    # sees no code of a refused handshake) stops retrying; anything else never gets a socket.
    client = Client(f"/ws/rooms/{room.pk}/?token={token}")
    if case == "expired":
        assert await refusal(client) == 4401
    else:
        connected, code = await client.connect()
        assert (connected, code) == (False, 4401)
        await client.close()


async def test_token_of_tenant_b_room_refused_on_tenant_a_host(outsider):
    other = await db(room_create)(owner=outsider, name="Beta room")
    token = room_token_mint(tenant_id=other.tenant_id, room_id=other.pk, role="host", name="C")
    # Right token, wrong site: localhost is tenant A, which has no such room.
    assert await refused(Client(f"/ws/rooms/{other.pk}/?token={token}", host=b"localhost"))
    ok = Client(f"/ws/rooms/{other.pk}/?token={token}", host=b"beta.test")
    await ok.join()
    await ok.close()


@pytest.mark.parametrize("origin", [b"https://evil.example", b"evil://localhost", b"file://localhost",
                                    b"chrome-extension://localhost", b"null", b"localhost",
                                    b"http://localhost.evil.example", b"http://localhost:8000"])
async def test_cross_origin_browser_is_refused(origin, token_for, room):
    evil = Client(f"/ws/rooms/{room.pk}/?token={token_for()}", origin=origin)
    connected, code = await evil.connect()
    assert (connected, code) == (False, 4403)
    await evil.close()


@pytest.mark.parametrize("origin", [b"http://localhost", b"https://localhost", b"HTTPS://localhost"])
async def test_same_origin_page_joins(origin, client_for):
    same = await client_for(origin=origin)
    await same.close()


def test_a_secure_socket_needs_a_secure_page():
    from portal.tenancy import allowed_origin

    def scope(scheme, origin):
        return {"scheme": scheme, "headers": [(b"host", b"meet.example"), (b"origin", origin)]}

    assert allowed_origin(scope("wss", b"https://meet.example"))
    assert not allowed_origin(scope("wss", b"http://meet.example"))
    assert allowed_origin(scope("ws", b"https://meet.example"))  # TLS ended by a proxy in front
    assert not allowed_origin(scope("ws", b"evil://meet.example"))


async def test_allowed_origin_from_settings(settings, client_for):
    settings.WS_ALLOWED_ORIGINS = ["https://app.example"]
    c = await client_for(origin=b"https://app.example")
    await c.close()


async def test_room_full(client_for, room, token_for):
    room.max_participants = 2
    await db(room.save)()
    a = await client_for("participant")
    b = await client_for("participant")
    assert await refused(Client(f"/ws/rooms/{room.pk}/?token={token_for()}"))
    h = await client_for("host")  # the room's hosts are never locked out (but they count)
    await b.close()
    assert await refused(Client(f"/ws/rooms/{room.pk}/?token={token_for()}"))
    await a.close()
    c = await client_for("participant")  # a seat freed up
    for x in (h, c):
        await x.close()


async def test_unknown_room_refused(token_for, room):
    assert await refused(Client(f"/ws/rooms/ffffffffffffffffffffffff/?token={token_for()}"))


async def test_unknown_host_refused(room, token_for):
    assert await refused(Client(f"/ws/rooms/{room.pk}/?token={token_for()}", host=b"nowhere.example"))
