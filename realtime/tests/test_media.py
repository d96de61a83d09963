"""The media plane over the room socket, against a real Janus (started by the fixture on a
free port): which path a room takes, the switch of a growing meeting, who may publish, that a
socket of one room never reaches another room's media, and the SFU events' refusals.

Media never flows here (no browser): a publisher sends a real Chromium SDP offer and gets
Janus' answer; subscriptions to live feeds are covered by the browser tests.
"""

import asyncio
import json
from pathlib import Path

import pytest
from channels.db import database_sync_to_async

from meetings.services.rooms import room_create
from realtime.groups import room_key
from realtime.media import cluster as clusters
from realtime.media.janus import JanusServer
from realtime.store import get_store
from realtime.tests.conftest import socket_db
from tests.janus import janus_server

pytestmark = [socket_db, pytest.mark.janus]
make_room = database_sync_to_async(room_create)

OFFER = {"type": "offer", "sdp": (Path(__file__).parent / "data" / "chromium-offer.sdp").read_text()}


@pytest.fixture(scope="module")
def janus(tmp_path_factory):
    with janus_server(tmp_path_factory.mktemp("janus")) as server:
        yield server


@pytest.fixture
async def sfu(settings, janus):
    settings.JANUS_URLS = [janus.url]
    settings.JANUS_API_SECRET = janus.secret
    settings.MESH_MAX_PARTICIPANTS = 2
    yield janus
    cluster = clusters.get_cluster()
    if cluster is not None:
        await cluster.close()


async def media_meta(room) -> dict | None:
    return (await get_store().meta(room_key(tenant_id=room.tenant_id, room_id=room.pk))).get("media")


async def janus_admin(janus, body: dict) -> dict:
    server = JanusServer(janus.url, secret=janus.secret)
    try:
        return await server._admin(body)
    finally:
        await server.close()


async def participants_of(janus, media: dict) -> list[int]:
    data = await janus_admin(janus, {"request": "listparticipants", "room": media["ref"]["id"]})
    return [p["id"] for p in data["participants"]]


SKIPPABLE = {"room_connected", "view_count", "room_disconnected", "sfu-feed", "sfu-candidate"}


async def expect_type(client, kind: str, timeout: float = 5) -> dict:
    while True:
        frame = await client.recv(timeout)
        if frame["type"] == kind:
            return frame
        assert frame["type"] in SKIPPABLE, frame


# --- which path ----------------------------------------------------------------------------------
async def test_small_p2p_meeting_stays_on_the_mesh(sfu, client_for, room):
    a = await client_for("host", "Ann")
    assert a.state["media"] == {"path": "mesh", "epoch": 0, "state": "up", "meshMax": 2}
    assert await media_meta(room) is None
    await a.close()


async def test_p2p_false_room_uses_the_sfu_from_the_first_joiner(sfu, client_for, host):
    room = await make_room(owner=host, name="Town hall", p2p=False)
    a = await client_for("host", "Ann", room_=room)
    assert a.state["media"]["path"] == "sfu" and a.state["media"]["reason"] == "p2p-off"
    meta = await media_meta(room)
    assert (await janus_admin(sfu, {"request": "exists", "room": meta["ref"]["id"]}))["exists"] is True
    # The media server's room id and secret never reach a browser.
    assert "ref" not in a.state["media"] and str(meta["ref"]["id"]) not in json.dumps(a.state)
    await a.close()
    # The last one out releases the media server's room.
    for _ in range(50):
        if await media_meta(room) is None:
            break
        await asyncio.sleep(0.05)
    assert await media_meta(room) is None
    assert (await janus_admin(sfu, {"request": "exists", "room": meta["ref"]["id"]}))["exists"] is False


async def test_meeting_growing_past_n_moves_everyone_to_the_sfu(sfu, client_for, room):
    a = await client_for("host", "Ann")
    b = await client_for("participant", "Ben")
    assert b.state["media"]["path"] == "mesh"
    c = await client_for("participant", "Cat")
    assert c.state["media"]["path"] == "sfu" and c.state["media"]["reason"] == "size"
    for old in (a, b):
        frame = await expect_type(old, "media-path")
        assert (frame["path"], frame["epoch"]) == ("sfu", c.state["media"]["epoch"])
    # Once on the SFU, a room stays there while anyone is in it (no flapping around N).
    await c.close()
    d = await client_for("participant", "Dan")
    assert d.state["media"]["path"] == "sfu"
    for client in (a, b, d):
        await client.close()


async def test_without_a_media_server_rooms_use_the_mesh_and_say_why(settings, client_for, host):
    settings.JANUS_URLS = []
    webinar = await make_room(owner=host, name="Launch", type="webinar")
    h = await client_for("host", "Ann", room_=webinar)
    media = h.state["media"]
    assert media["path"] == "mesh" and media["reason"] == "audience"
    assert "JANUS_URL" in media["advice"]
    await h.send({"type": "sfu-publish", "jsep": OFFER})
    assert (await expect_type(h, "error"))["code"] == "invalid_state"
    await h.close()


async def test_an_unreachable_media_server_leaves_the_room_on_the_mesh(settings, client_for, host):
    settings.JANUS_URLS = ["ws://127.0.0.1:9/"]
    settings.JANUS_API_SECRET = "x"
    room = await make_room(owner=host, name="No server", p2p=False)
    h = await client_for("host", "Ann", room_=room)
    assert h.state["media"]["path"] == "mesh"
    assert "unreachable" in h.state["media"]["advice"]
    await h.close()
    await clusters.get_cluster().close()


# --- publishing ---------------------------------------------------------------------------------
async def test_publish_is_answered_by_the_media_server_of_the_senders_room_only(sfu, client_for, host):
    room_a = await make_room(owner=host, name="A", p2p=False)
    room_b = await make_room(owner=host, name="B", p2p=False)
    a = await client_for("participant", "Ann", room_=room_a)
    b = await client_for("participant", "Bob", room_=room_b)
    meta_a, meta_b = await media_meta(room_a), await media_meta(room_b)
    await b.drain()
    # Whatever the frame says about rooms, it lands in the sender's room.
    await a.send({"type": "sfu-publish", "jsep": OFFER, "room": meta_b["ref"]["id"],
                  "secret": meta_b["ref"]["secret"], "descriptions": [{"mid": "1", "description": "camera"}]})
    answer = await expect_type(a, "sfu-answer")
    assert answer["jsep"]["type"] == "answer" and "a=simulcast" in answer["jsep"]["sdp"]
    assert await participants_of(sfu, meta_a) == [answer["feed"]]
    assert await participants_of(sfu, meta_b) == []
    assert await b.nothing()
    await a.close()
    await b.close()


async def test_viewer_publishes_only_after_accept_and_ack(sfu, client_for, host):
    webinar = await make_room(owner=host, name="Webinar", type="webinar")
    h = await client_for("host", "Ann", room_=webinar)
    v = await client_for("viewer", "Vic", room_=webinar)
    await h.drain()
    await v.send({"type": "sfu-publish", "jsep": OFFER})
    assert (await expect_type(v, "error"))["code"] == "forbidden"
    # Acknowledging without being accepted changes nothing.
    await v.send({"type": "mic-accepted-ack", "newId": "cam"})
    await v.send({"type": "sfu-publish", "jsep": OFFER})
    assert (await expect_type(v, "error"))["code"] == "forbidden"
    await v.send({"type": "request-mic"})
    await h.send({"type": "request-mic-accepted", "userId": v.id})
    await expect_type(v, "request-mic-accepted")
    await v.send({"type": "mic-accepted-ack", "newId": "cam"})
    await v.send({"type": "sfu-publish", "jsep": OFFER})
    answer = await expect_type(v, "sfu-answer")
    assert answer["feed"] in await participants_of(sfu, await media_meta(webinar))
    await h.close()
    await v.close()


# --- subscribing and the rest ---------------------------------------------------------------------
@pytest.mark.parametrize("feeds", [[1234567], [True], ["1"], list(range(501))])
async def test_subscribe_refuses_feeds_that_are_not_this_rooms(sfu, client_for, host, feeds):
    room = await make_room(owner=host, name="Sub", p2p=False)
    a = await client_for("participant", "Ann", room_=room)
    await a.send({"type": "sfu-subscribe", "feeds": feeds})
    error = await expect_type(a, "error")
    assert error["code"] in ("not_found", "invalid_payload")
    await a.close()


@pytest.mark.parametrize("frame", [
    {"type": "sfu-publish", "jsep": {"type": "answer", "sdp": "v=0"}},
    {"type": "sfu-answer", "jsep": {"type": "offer", "sdp": "v=0"}},
    {"type": "sfu-trickle", "target": "elsewhere"},
    {"type": "sfu-layer", "mid": "1", "layer": 7},
])
async def test_malformed_sfu_frames_are_refused(sfu, client_for, host, frame):
    room = await make_room(owner=host, name="Bad", p2p=False)
    a = await client_for("participant", "Ann", room_=room)
    await a.send(frame)
    assert (await expect_type(a, "error"))["code"] == "invalid_payload"
    await a.send({"type": "chat-box", "msg": "still open"})
    assert await a.nothing()  # chat goes to the others; the socket is still open and quiet
    await a.close()


async def test_sfu_requests_before_a_connection_exists_are_refused(sfu, client_for, host):
    room = await make_room(owner=host, name="Early", p2p=False)
    a = await client_for("participant", "Ann", room_=room)
    await a.send({"type": "sfu-trickle", "target": "subscriber", "candidate": {"candidate": "x"}})
    assert (await expect_type(a, "error"))["code"] == "invalid_state"
    await a.send({"type": "sfu-answer", "jsep": {"type": "answer", "sdp": "v=0"}})
    assert (await expect_type(a, "error"))["code"] == "invalid_state"
    await a.close()


async def test_server_only_media_frames_cannot_be_sent_by_clients(sfu, client_for, host):
    room = await make_room(owner=host, name="Spoof", p2p=False)
    a = await client_for("participant", "Ann", room_=room)
    b = await client_for("participant", "Bob", room_=room)
    await a.drain()
    for kind in ("speaking", "media-path", "sfu-feed", "sfu-offer", "sfu-state"):
        await b.send({"type": kind, "id": a.id, "speaking": True, "path": "mesh", "feed": 1})
        assert (await expect_type(b, "error"))["code"] == "unknown_type"
    assert await a.nothing()
    await a.close()
    await b.close()


async def test_only_parley_can_manage_rooms_on_the_media_server(sfu):
    outsider = JanusServer(sfu.url, secret="not-the-secret")
    with pytest.raises(Exception, match="Unauthorized|unauthorized|403"):
        await outsider.ensure_room(outsider.new_room_ref())
    await outsider.close()
