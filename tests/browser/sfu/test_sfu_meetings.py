"""Meetings through the SFU (two real Janus processes) in real browsers: everyone sends one
stream and receives everyone else's, a growing mesh meeting moves to the SFU without a
reload, a webinar viewer only watches until a host gives them the floor, and a token of one
room never reaches another room's media."""

import json
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import expect
from websockets.sync.client import connect

from meetings.services.rooms import meeting_create, room_create
from meetings.tokens import room_token_mint
from tests.browser.sfu.conftest import (
    MEDIA_LOG,
    OUTBOUND_VIDEO,
    WATCH_WARNINGS,
    janus_list,
    wait_for_remote_videos,
)
from tests.browser.test_portal_meeting import PLAYING, log_in

pytestmark = [pytest.mark.browser, pytest.mark.janus, pytest.mark.django_db(transaction=True)]
OFFER = {"type": "offer",
         "sdp": (Path(__file__).parents[3] / "realtime/tests/data/chromium-offer.sdp").read_text()}


def meeting_with_room(host, **room):
    room = room_create(owner=host, name=room.pop("name", "Room"), **room)
    return meeting_create(host=host, title=room.name, room=room)


def connected(page):
    # Several pages encode and decode video on two shared cores: joining can take a while.
    expect(page.locator("[data-status]")).to_have_text("Connected", timeout=30_000)


def join(page, url, invite_code, name):
    page.goto(f"{url}/join/{invite_code}")
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join").click()
    connected(page)
    page.evaluate(WATCH_WARNINGS)


def host_joins(page, url, host, meeting):
    log_in(page, url, host)
    page.goto(f"{url}/meetings/{meeting.pk}/room")
    connected(page)
    page.evaluate(WATCH_WARNINGS)


def test_four_people_each_send_one_stream_and_see_three(host, sfu_url, small_camera_page, screenshot):
    meeting = meeting_with_room(host, name="Design review", p2p=False)
    pages = [small_camera_page() for _ in range(4)]
    host_joins(pages[0], sfu_url, host, meeting)
    for page, name in zip(pages[1:], ("Grace", "Linus", "Radia"), strict=True):
        join(page, sfu_url, meeting.invite_code, name)
    for page in pages:
        seen = wait_for_remote_videos(page, 3)
        assert len(seen) == 3, seen
    for page in pages:
        sent = page.evaluate(OUTBOUND_VIDEO)
        assert sent["path"] == "sfu"
        # One video sender on one connection: the simulcast layers of that one stream share its mid.
        assert sent["senders"] == 1, sent
        assert len({(s["pc"], s["mid"]) for s in sent["streams"]}) == 1, sent
        assert sum(s["frames"] for s in sent["streams"]) > 0, sent
        assert page.evaluate("() => window.parleyRoom.peers.size") == 0
    screenshot(pages[0], "sfu-four-people")


def test_a_fifth_person_moves_a_mesh_meeting_to_the_sfu(host, sfu_url, small_camera_page, screenshot):
    meeting = meeting_with_room(host, name="Growing team")  # p2p: mesh up to 4
    pages = [small_camera_page() for _ in range(5)]
    host_joins(pages[0], sfu_url, host, meeting)
    for page, name in zip(pages[1:4], ("Ada", "Alan", "Barbara"), strict=True):
        join(page, sfu_url, meeting.invite_code, name)
    for page in pages[:4]:
        wait_for_remote_videos(page, 3)
        assert page.evaluate("() => window.parleyRoom.media.path") == "mesh"
        page.evaluate(MEDIA_LOG)
    ids = [page.evaluate("() => window.parleyRoom.me.id") for page in pages[:4]]

    join(pages[4], sfu_url, meeting.invite_code, "Edsger")
    for page in pages:
        page.wait_for_function("() => window.parleyRoom.media.path === 'sfu'", timeout=20_000)
        wait_for_remote_videos(page, 4)
        sent = page.evaluate(OUTBOUND_VIDEO)
        assert sent["senders"] == 1 and sent["connections"] == 2, sent
    # Nobody reloaded or reconnected: same participant ids, one media-path switch each.
    assert [page.evaluate("() => window.parleyRoom.me.id") for page in pages[:4]] == ids
    for page in pages[:4]:
        switches = page.evaluate("() => window.__media")
        assert [(m["path"], m["reason"]) for m in switches] == [("sfu", "size")], json.dumps(switches)
    screenshot(pages[4], "sfu-fifth-joins")


def test_a_shared_screen_reaches_the_others_through_the_sfu(host, sfu_url, small_camera_page):
    meeting = meeting_with_room(host, name="Demo day", p2p=False)
    host_page, guest = small_camera_page(), small_camera_page()
    host_joins(host_page, sfu_url, host, meeting)
    join(guest, sfu_url, meeting.invite_code, "Radia Perlman")
    wait_for_remote_videos(guest, 1)
    for _ in range(2):  # sharing twice: the server re-adds a stream that came and went
        host_page.get_by_role("button", name="Share screen").click()
        guest.wait_for_function(PLAYING, arg="Alice Tester's screen", timeout=30_000)
        expect(guest.get_by_role("figure", name="Alice Tester", exact=True)).to_be_visible()
        host_page.get_by_role("button", name="Share screen").click()
        expect(guest.get_by_role("figure", name="Alice Tester's screen")).to_have_count(0, timeout=20_000)
    assert wait_for_remote_videos(guest, 1) == ["Alice Tester"]


def test_webinar_viewer_watches_then_speaks_after_the_host_accepts(host, sfu_url, small_camera_page):
    meeting = meeting_with_room(host, name="Launch webinar", type="webinar")
    host_page, viewer = small_camera_page(), small_camera_page()
    host_joins(host_page, sfu_url, host, meeting)
    join(viewer, sfu_url, meeting.invite_code, "Hedy Lamarr")
    assert wait_for_remote_videos(viewer, 1) == ["Alice Tester"]
    expect(viewer.get_by_role("button", name="Microphone")).to_be_hidden()
    sent = viewer.evaluate(OUTBOUND_VIDEO)
    assert sent["senders"] == 0 and sent["streams"] == [], sent
    # A viewer's own publish request is refused by the server.
    code = viewer.evaluate("""() => new Promise(resolve => {
        const off = window.parleyRoom.on("error", f => { off(); resolve(f.code); });
        window.parleyRoom.sendData({type: "sfu-publish", jsep: {type: "offer", sdp: "v=0"}});
    })""")
    assert code == "forbidden"
    viewer_id = viewer.evaluate("() => window.parleyRoom.me.id")
    subscriber = viewer.evaluate("() => window.parleyRoom.sfu.sub.pc.localDescription.sdp.length")

    viewer.get_by_role("button", name="Raise hand").click()
    host_page.get_by_role("button", name="Accept").click()
    expect(viewer.get_by_role("button", name="Microphone")).to_be_visible()
    assert wait_for_remote_videos(host_page, 1) == ["Hedy Lamarr"]
    sent = viewer.evaluate(OUTBOUND_VIDEO)
    assert sent["senders"] == 1 and any(s["frames"] > 0 for s in sent["streams"]), sent
    # Promoted on the same socket and the same SFU session: no reconnect.
    assert viewer.evaluate("() => window.parleyRoom.me.id") == viewer_id
    assert viewer.evaluate("() => window.parleyRoom.sfu.sub.pc.localDescription.sdp.length") >= subscriber
    assert viewer.evaluate("() => window.parleyRoom.status") == "connected"


def test_a_room_token_never_reaches_another_rooms_media(host, sfu_url, small_camera_page, janus_pair):
    meeting_b = meeting_with_room(host, name="Room B", p2p=False)
    room_a = room_create(owner=host, name="Room A", type="webinar")
    page = small_camera_page()
    host_joins(page, sfu_url, host, meeting_b)
    page.wait_for_function("() => window.parleyRoom.sfu.pub?.pc.connectionState === 'connected'")
    feed_b = page.evaluate("() => window.parleyRoom.sfu.feed")
    media_rooms = {r["room"]: r["num_participants"] for j in janus_pair for r in janus_list(j)}
    assert list(media_rooms.values()) == [1]
    (janus_room_b,) = media_rooms

    ws_url = sfu_url.replace("http", "ws")

    sockets = ExitStack()

    def socket(role, name):
        token = room_token_mint(tenant_id=room_a.tenant_id, room_id=room_a.pk, role=role, name=name)
        url = f"{ws_url}/ws/rooms/{room_a.pk}/?token={token}"
        ws = sockets.enter_context(connect(url, additional_headers={"Origin": sfu_url}))
        state = json.loads(ws.recv(timeout=10))
        assert state["type"] == "room_state" and state["media"]["path"] == "sfu"
        return ws

    def ask(ws, frame, want):
        ws.send(json.dumps(frame))
        while True:
            reply = json.loads(ws.recv(timeout=10))
            if reply["type"] in (want, "error"):
                return reply

    a_host, a_viewer = socket("host", "Mallory"), socket("viewer", "Eve")
    # Room B's live feed, asked for from room A however the frame is dressed up: "not in this room".
    dressed_up = {"room": janus_room_b, "roomId": meeting_b.room.pk}
    for frame in ({"type": "sfu-subscribe", "feeds": [feed_b]},
                  {"type": "sfu-subscribe", "feeds": [feed_b], **dressed_up}):
        reply = ask(a_host, frame, "sfu-offer")
        assert (reply["type"], reply.get("code")) == ("error", "not_found"), reply
    # A viewer cannot publish, whatever the frame says.
    reply = ask(a_viewer, {"type": "sfu-publish", "jsep": OFFER, "room": janus_room_b}, "sfu-answer")
    assert (reply["type"], reply.get("code")) == ("error", "forbidden"), reply
    # Room A's host publishes into room A's media room only, never into B's.
    reply = ask(a_host, {"type": "sfu-publish", "jsep": OFFER, "room": janus_room_b}, "sfu-answer")
    assert reply["type"] == "sfu-answer", reply
    media_rooms = {r["room"]: r["num_participants"] for j in janus_pair for r in janus_list(j)}
    assert media_rooms.pop(janus_room_b) == 1
    assert list(media_rooms.values()) == [1]
    sockets.close()
