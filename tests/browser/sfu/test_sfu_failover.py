"""A media server dies mid-meeting (SIGKILL, as a crash): the room moves to the other Janus
without anyone reloading; and with no Janus left, the pages say so and the meeting recovers
when one is back."""

import pytest
from playwright.sync_api import expect

from meetings.services.rooms import meeting_create, room_create
from tests.browser.sfu.conftest import MEDIA_LOG, janus_list, wait_for_remote_videos, wait_until
from tests.browser.sfu.test_sfu_meetings import host_joins, join

pytestmark = [pytest.mark.browser, pytest.mark.janus, pytest.mark.django_db(transaction=True)]

RECEIVING = """() => window.parleyRoom.sfu.sub?.pc.connectionState === 'connected'
  && [...document.querySelectorAll("figure.tile[data-kind='camera']:not(.local) video")]
     .some(v => v.videoWidth > 0)"""
MOVED = "() => window.__media.some(m => m.state === 'up' && m.epoch === 2)"


def holder(janus_pair):
    """The Janus that holds the (only) room with people in it, and the other one."""
    running = [j for j in janus_pair if j.proc.poll() is None]
    busy = [j for j in running if any(r["num_participants"] for r in janus_list(j))]
    assert len(busy) == 1, busy
    other = next(j for j in janus_pair if j is not busy[0])
    return busy[0], other


def two_people(host, sfu_url, small_camera_page, title):
    room = room_create(owner=host, name=title, p2p=False)
    meeting = meeting_create(host=host, title=title, room=room)
    pages = [small_camera_page(), small_camera_page()]
    host_joins(pages[0], sfu_url, host, meeting)
    join(pages[1], sfu_url, meeting.invite_code, "Barbara Liskov")
    for page in pages:
        wait_for_remote_videos(page, 1)
        page.evaluate(MEDIA_LOG)
    return pages


def test_a_crashed_media_server_moves_the_meeting_to_the_other(host, sfu_url, small_camera_page, janus_pair,
                                                                screenshot):
    pages = two_people(host, sfu_url, small_camera_page, "Failover drill")
    ids = [page.evaluate("() => window.parleyRoom.me.id") for page in pages]
    dead, alive = holder(janus_pair)
    dead.kill()
    for page in pages:
        page.wait_for_function(MOVED, timeout=30_000)
        page.wait_for_function(RECEIVING, timeout=45_000)
        log = page.evaluate("() => window.__media")
        states = [(m["state"], m["epoch"], bool(m.get("moved"))) for m in log]
        assert states == [("lost", 1, False), ("up", 2, True)], states
    expect(pages[1].get_by_text("The meeting moved to another media server.")).to_be_visible()
    screenshot(pages[1], "sfu-failover-moved")
    # Same people, same sockets; their feeds now live on the surviving Janus.
    assert [page.evaluate("() => window.parleyRoom.me.id") for page in pages] == ids
    assert [r["num_participants"] for r in janus_list(alive)] == [2]
    dead.start()


def test_without_any_media_server_the_pages_say_so_and_recover(host, sfu_url, small_camera_page, janus_pair,
                                                               screenshot):
    pages = two_people(host, sfu_url, small_camera_page, "Power cut")
    dead, other = holder(janus_pair)
    other.stop()
    dead.kill()
    for page in pages:
        expect(page.locator("[data-status]")).to_have_text("Media server unavailable — reconnecting…",
                                                           timeout=20_000)
    screenshot(pages[0], "sfu-media-server-lost")
    dead.start()
    for page in pages:
        page.wait_for_function(RECEIVING, timeout=60_000)
        expect(page.locator("[data-status]")).to_have_text("Connected")
        states = [m["state"] for m in page.evaluate("() => window.__media")]
        assert states[0] == "lost" and states[-1] == "up", states
    wait_until(lambda: [r["num_participants"] for r in janus_list(dead)] == [2], what="both back on Janus")
    other.start()
