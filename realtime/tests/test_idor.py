"""The IDOR matrix of the room socket: every registered event × every actor who must not get
at a room — another tenant, another user of the same tenant, a guest, no token at all, a viewer
where members only, a participant where hosts only.

``WHO_MAY_SEND`` is written out by hand, independently of the registry: an event added to
``realtime.protocol.REGISTRY`` without an entry here fails ``test_matrix_covers_the_registry``,
and an entry that disagrees with the registry (a permission loosened by accident) fails too.
"""

import pytest
from channels.db import database_sync_to_async as db

from meetings.services.rooms import guest_token_issue, meeting_create, room_create
from meetings.tokens import room_token_mint
from realtime.protocol import HOST, MEMBER, REGISTRY
from realtime.tests.conftest import Client, refusal, socket_db
from realtime.tests.test_events import payload

pytestmark = socket_db

ANY, MEMBERS, HOSTS = "any", "member", "host"
WHO_MAY_SEND = {
    "chat-box": ANY, "request-mic": ANY, "mic-accepted-ack": ANY, "video-off": ANY,
    "device-switch": ANY, "sharing-toggle": ANY, "product-selected": ANY, "whiteBoardStateRequest": ANY,
    "transcript": ANY, "signal": ANY, "lower-hand": ANY,
    "file-shared": MEMBERS,
    "white-board-stage": MEMBERS, "sendDrawingData": MEMBERS, "Un-do": MEMBERS, "clear-whiteBoard": MEMBERS,
    "annotation": MEMBERS,
    "request-mic-accepted": HOSTS, "request-mic-rejected": HOSTS, "mute-mic-request": HOSTS,
    "mute-participant": HOSTS, "remove-participant": HOSTS, "mute-all-participants": HOSTS,
    "recording": HOSTS, "sell-live": HOSTS, "whiteBoardToggle": HOSTS, "start-transcript": HOSTS,
    "meetingId": HOSTS, "stop-transcript": HOSTS, "end-meeting": HOSTS,
    # the media plane: its isolation against a real Janus is in test_media.py
    "sfu-publish": ANY, "sfu-unpublish": ANY, "sfu-subscribe": ANY, "sfu-answer": ANY, "sfu-trickle": ANY,
    "sfu-layer": ANY, "sfu-keyframe": ANY, "sfu-record": HOSTS,
}
ACTORS = ("other-tenant", "other-user", "guest", "anonymous", "viewer", "participant")
# Media events answer through a media server (invalid_state without one): test_media.py covers them.
# end-meeting closes its sender's own room (it takes no target, so it cannot aim elsewhere): its
# refusal to participants and viewers and its effect are in test_room_portal.py.
EVENTS = sorted(name for name in REGISTRY if not name.startswith("sfu-") and name != "end-meeting")


def test_matrix_covers_the_registry():
    assert set(WHO_MAY_SEND) == set(REGISTRY), "every event needs an entry in the IDOR matrix"
    for name, event in REGISTRY.items():
        assert event.sender == WHO_MAY_SEND[name], f"{name}: the registry says {event.sender}"


def may_send(name: str, role: str) -> bool:
    level = WHO_MAY_SEND[name]
    return level == ANY or role == "host" or (level == MEMBERS and role == "participant")


async def received(clients) -> list[str]:
    """The types of every frame ``clients`` got (and drained)."""
    kinds = []
    for c in clients:
        while not await c.comm.receive_nothing(timeout=0.1):
            kinds.append((await c.recv())["type"])
    return kinds


def is_board_answer(frame: dict) -> bool:
    return frame["type"] == "white-board-stage" and frame["id"] == "server"


async def answers_until_sentinel(client: Client) -> list[dict]:
    """Send a ``whiteBoardStateRequest`` after everything else and read up to its answer (the
    loop sent one too): a socket's frames are handled in order, so by then every earlier frame
    was answered."""
    await client.send({"type": "whiteBoardStateRequest", "msg": {}})
    answers = []
    while sum(map(is_board_answer, answers)) < 2:
        answers.append(await client.recv(timeout=10))
    return answers


async def drain(clients):
    for c in clients:
        await c.drain()


@pytest.fixture
async def room_a(cast, meeting):
    """Room A of tenant A with its host, participant and viewer, and the ids an attacker aims at."""
    yield {"cast": cast, "meeting": meeting, "sockets": list(cast.values())}


async def send_everything_from_elsewhere(actor: Client, room_a) -> list[str]:
    """``actor`` (in a room of its own, as its host) sends every event aimed at room A's people
    and meeting; what reached room A is returned (must be nothing)."""
    aimed = []
    for name in EVENTS:
        frame = payload(REGISTRY[name], room_a["cast"], room_a["meeting"])  # A's ids, A's meeting
        if name == "start-transcript":
            frame["meetingId"] = room_a["meeting"].pk
        if REGISTRY[name].target or "meetingId" in frame:
            aimed.append(name)
        await actor.send(frame)
    answers = await answers_until_sentinel(actor)
    errors = [a for a in answers if a["type"] == "error"]
    assert [e["code"] for e in errors] == ["not_found"] * len(aimed), errors
    return await received(room_a["sockets"])


async def test_another_tenant(room_a, room, outsider):
    # A token of tenant B cannot open room A, on either host ...
    theirs = await db(room_create)(owner=outsider, name="Beta room")
    for host in (b"localhost", b"beta.test"):
        for room_id, tenant_id in ((room.pk, outsider.tenant_id), (theirs.pk, outsider.tenant_id)):
            token = room_token_mint(tenant_id=tenant_id, room_id=room_id, role="host", name="Mallory")
            if host == b"beta.test" and room_id == theirs.pk:
                continue  # that is their own room
            assert await refusal(Client(f"/ws/rooms/{room.pk}/?token={token}", host=host)) is not None
    # ... and from its own room, naming A's participants and meeting, reaches nobody in A.
    token = room_token_mint(tenant_id=theirs.tenant_id, room_id=theirs.pk, role="host", name="Mallory")
    actor = await Client(f"/ws/rooms/{theirs.pk}/?token={token}", host=b"beta.test").join()
    assert await send_everything_from_elsewhere(actor, room_a) == []
    await actor.close()


async def test_another_user_of_the_same_tenant(room_a, room, participant):
    bobs = await db(room_create)(owner=participant, name="Bob's room")
    await db(meeting_create)(host=participant, title="Bob's", room=bobs)
    token = room_token_mint(tenant_id=bobs.tenant_id, room_id=bobs.pk, role="host", name="Bob",
                            user_id=participant.pk)
    # Bob's host token is good for Bob's room only.
    assert await refusal(Client(f"/ws/rooms/{room.pk}/?token={token}")) == 4401
    actor = await Client(f"/ws/rooms/{bobs.pk}/?token={token}").join()
    assert await send_everything_from_elsewhere(actor, room_a) == []
    await actor.close()


@pytest.mark.parametrize("actor", ["guest", "viewer", "participant"])
async def test_roles_inside_the_room(actor, room_a, client_for):
    """In room A itself: what the actor's role may not send is refused and reaches nobody; what
    it may send goes through (so the refusals are about the role, not a broken frame)."""
    cast, meeting = room_a["cast"], room_a["meeting"]
    if actor == "guest":  # the invite link's token: participant in a meeting room
        token = await db(guest_token_issue)(meeting=meeting, user_name="Guest")
        me = await client_for(token=token)
        role = me.state["you"]["role"]
        assert role == "participant"
        others = room_a["sockets"]
    else:
        me, role = cast[actor], actor
        others = [c for r, c in cast.items() if r != actor]
    await drain([me, *room_a["sockets"]])
    refused = {n for n in EVENTS if not may_send(n, role)}
    for name in EVENTS:
        await me.send(payload(REGISTRY[name], cast, meeting))
    answers = await answers_until_sentinel(me)
    errors = [a for a in answers if a["type"] == "error"]
    assert [e["code"] for e in errors] == ["forbidden"] * len(refused), errors
    assert {e["detail"].split("'")[1] for e in errors} == refused
    assert refused.isdisjoint(await received(others)), f"an event refused to a {role} reached someone"
    if actor == "guest":
        await me.close()


async def test_no_token_at_all(room):
    for query in ("", "?token=", "?token=null", "?token=undefined", "?token=a.b.c"):
        client = Client(f"/ws/rooms/{room.pk}/{query}")
        connected, code = await client.connect()
        assert (connected, code) == (False, 4401), query
        await client.close()


def test_every_actor_has_a_test():
    tested = {"other-tenant": test_another_tenant, "other-user": test_another_user_of_the_same_tenant,
              "guest": test_roles_inside_the_room, "anonymous": test_no_token_at_all,
              "viewer": test_roles_inside_the_room, "participant": test_roles_inside_the_room}
    assert set(tested) == set(ACTORS)
    assert {HOST, MEMBER} <= set(WHO_MAY_SEND.values())
