"""The room page's server side (issue 9): a removal bans the person (the invite link's next token
is refused too), a host ends the meeting for everyone, the mic-request queue, shared files and
the product on show."""

from channels.db import database_sync_to_async as db

from meetings.models import Meeting, RoomBan
from meetings.services.rooms import MeetingClosed, guest_token_issue
from realtime.tests.conftest import Client, refusal, socket_db

pytestmark = socket_db


async def test_removed_guest_is_banned_not_only_their_token(cast, room, meeting):
    h = cast["host"]
    token = await db(guest_token_issue)(meeting=meeting, user_name="Eve", guest="g:eve-session")
    eve = await Client(f"/ws/rooms/{room.pk}/?token={token}").join()
    await h.drain()
    await h.send({"type": "remove-participant", "userId": eve.id})
    await eve.recv_type("remove-participant")
    assert await eve.comm.receive_output(timeout=1) == {"type": "websocket.close", "code": 4003}
    await eve.close()
    assert await db(RoomBan.objects.filter(room=room, subject="g:eve-session").count)() == 1
    # The invite link will not mint her a new token ...
    try:
        await db(guest_token_issue)(meeting=meeting, user_name="Eve again", guest="g:eve-session")
        raise AssertionError("a banned guest got a new token")
    except MeetingClosed as exc:
        assert exc.reason == "banned"
    # ... and a token minted otherwise for the same person is refused at the socket.
    from meetings.tokens import room_token_mint
    again = room_token_mint(tenant_id=room.tenant_id, room_id=room.pk, role="participant", name="E",
                            guest="g:eve-session")
    assert await refusal(Client(f"/ws/rooms/{room.pk}/?token={again}")) == 4401
    # Someone else from the same link is still welcome.
    other = await db(guest_token_issue)(meeting=meeting, user_name="Frank", guest="g:frank")
    frank = await Client(f"/ws/rooms/{room.pk}/?token={other}").join()
    await frank.close()


async def test_end_meeting_closes_everyone_and_stops_joins(cast, room, meeting, token_for):
    h, p, v = cast["host"], cast["participant"], cast["viewer"]
    await p.send({"type": "end-meeting"})
    assert (await p.recv_type("error"))["code"] == "forbidden"
    await h.send({"type": "end-meeting"})
    for c in (h, p, v):
        frame = await c.recv_type("meeting-ended")
        assert frame["meetingId"] == meeting.pk and frame["id"] == h.id
    for c in (p, v):
        while True:
            out = await c.comm.receive_output(timeout=2)
            if out["type"] == "websocket.close":
                assert out["code"] == 4410
                break
    closed, ended = await db(Meeting.objects.values_list("closed_at", "ended_at").get)(pk=meeting.pk)
    assert closed is not None and ended is not None
    assert await refusal(Client(f"/ws/rooms/{room.pk}/?token={token_for('participant', 'Late')}")) == 4410
    try:
        await db(guest_token_issue)(meeting=meeting, user_name="Late")
        raise AssertionError("an ended meeting minted a token")
    except MeetingClosed as exc:
        assert exc.reason == "ended"
    for c in (h, p, v):
        await c.close()


async def test_mic_queue(cast, client_for):
    h, p, v = cast["host"], cast["participant"], cast["viewer"]
    await v.send({"type": "request-mic"})
    assert (await h.recv_type("request-mic"))["id"] == v.id
    assert await p.nothing()  # the queue is the hosts'
    await p.send({"type": "request-mic"})  # a participant raises their hand too
    assert (await h.recv_type("request-mic"))["id"] == p.id
    await p.send({"type": "lower-hand"})
    assert (await h.recv_type("lower-hand"))["id"] == p.id
    # A host who joins later finds the queue in the roster.
    late_host = await client_for("host", "Co-host")
    hands = {x["id"]: x["handRaised"] for x in late_host.state["participants"]}
    assert hands[v.id] is True and hands[p.id] is False
    await h.send({"type": "request-mic-accepted", "userId": v.id})
    assert (await v.recv_type("request-mic-accepted"))["userId"] == v.id
    await late_host.close()
    later = await client_for("participant", "Later")
    entry = {x["id"]: x for x in later.state["participants"]}[v.id]
    assert entry["handRaised"] is False and entry["micGranted"] is True
    await later.close()


async def test_file_shared_and_product_on_show(cast, client_for):
    h, p, v = cast["host"], cast["participant"], cast["viewer"]
    await p.send({"type": "file-shared", "filename": "r_notes.txt", "name": "notes.txt"})
    assert (await h.recv_type("file-shared"))["filename"] == "r_notes.txt"
    assert (await v.recv_type("file-shared"))["name"] == "notes.txt"
    await v.send({"type": "file-shared", "filename": "x"})
    assert (await v.recv_type("error"))["code"] == "forbidden"
    await h.send({"type": "sell-live"})
    await v.recv_type("sell-live")
    await h.send({"type": "product-selected", "productId": "sku-1", "name": "Blue mug", "price": "12 EUR"})
    assert (await v.recv_type("product-selected"))["name"] == "Blue mug"
    await v.send({"type": "product-selected", "productId": "sku-2"})  # a viewer's interest
    late = await client_for("viewer", "Late")
    assert late.state["sellLive"] is True
    assert late.state["product"] == {"productId": "sku-1", "name": "Blue mug", "price": "12 EUR"}
    await late.close()


async def test_a_host_is_never_banned(cast, room, token_for, host):
    """Host tokens are minted only for the room's managers: removing one revokes that token, and
    the manager still gets in with a new one."""
    h = cast["host"]
    first = token_for("host", "Co-host", user_id=host.pk)
    co = await Client(f"/ws/rooms/{room.pk}/?token={first}").join()
    await h.drain()
    await h.send({"type": "remove-participant", "userId": co.id})
    await co.recv_type("remove-participant")
    await co.close()
    assert await db(RoomBan.objects.filter(room=room).count)() == 0
    assert await refusal(Client(f"/ws/rooms/{room.pk}/?token={first}")) == 4401
    again = await Client(f"/ws/rooms/{room.pk}/?token={token_for('host', 'Co-host', user_id=host.pk)}").join()
    await again.close()
