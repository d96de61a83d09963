"""The portal end to end in real browsers: sign up, schedule, invite, meet with live
video, chat and host controls; guests in their own browser contexts."""

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# True once the tile of `name` plays live video (frames decoded: videoWidth > 0).
PLAYING = """name => {
  const tile = [...document.querySelectorAll("figure.tile")].find(f => f.getAttribute("aria-label") === name);
  const video = tile && tile.querySelector("video");
  return !!video && video.videoWidth > 0 && video.readyState >= 2 && !video.paused;
}"""



def join_from_meeting_page(page):
    """The meeting page's Join opens the pre-join check; "Join now" enters the room."""
    page.get_by_role("link", name="Join", exact=True).click()
    page.get_by_role("link", name="Join now", exact=True).click()

def sign_up(page, live_url, first="Ada", email="ada@example.com"):
    page.goto(f"{live_url}/signup")
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Phone number").fill("+44 20 7946 0958")
    page.get_by_label("Country").fill("United Kingdom")
    page.get_by_label("Password").fill("analytical-engine-1843")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name=f"Welcome, {first}")).to_be_visible()


def log_in(page, live_url, user):
    page.goto(f"{live_url}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def schedule(page, title, kind=None, screenshot=None) -> str:
    """From the dashboard: schedule a meeting; returns its invite link."""
    page.get_by_role("link", name="New meeting").click()
    page.get_by_label("Title").fill(title)
    if kind:
        page.get_by_label("Kind of meeting").select_option(kind)
    if screenshot:
        screenshot(page, "portal-new-meeting")
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    return page.get_by_label("Invite link").input_value()


def join_as_guest(page, invite, name):
    page.goto(invite)
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join").click()
    expect_connected(page)


def expect_connected(page):
    expect(page.locator("[data-status]")).to_have_text("Connected")


DIAGNOSIS = """() => ({
  me: window.parleyRoom.me, status: window.parleyRoom.status,
  peers: [...window.parleyRoom.peers].map(([id, p]) => ({id, polite: p.polite, conn: p.pc.connectionState,
    ice: p.pc.iceConnectionState, sig: p.pc.signalingState, streams: p.streams.size,
    senders: p.pc.getSenders().map(s => s.track && s.track.kind), trace: p.trace,
    receivers: p.pc.getReceivers().map(r => r.track.kind + ':' + r.track.readyState + ':' + r.track.muted)})),
  tiles: [...document.querySelectorAll("figure.tile")].map(f => [f.getAttribute("aria-label"),
    f.querySelector("video").videoWidth, f.querySelector("video").readyState, f.querySelector("video").paused,
    !!f.querySelector("video").srcObject]),
})"""


def sees_video_of(page, name):
    try:
        page.wait_for_function(PLAYING, arg=name, timeout=20_000)
    except Exception:
        raise AssertionError(f"no live video of {name!r}: {page.evaluate(DIAGNOSIS)}") from None


def tile(page, name):
    return page.get_by_role("figure", name=name, exact=True)


def person(page, name):
    return page.locator("[data-people] li").filter(has=page.get_by_text(name, exact=True))


def send_chat(page, text):
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send").click()


def chat_log(page):
    return page.get_by_role("log")


def test_host_and_guests_meet_with_video_chat_and_host_controls(
    page, live_url, tenant_a, new_page, screenshot
):
    sign_up(page, live_url)
    screenshot(page, "portal-dashboard-empty")
    invite = schedule(page, "Analytical Engine review", screenshot=screenshot)
    assert re.fullmatch(rf"{re.escape(live_url)}/join/[\w-]+", invite), invite
    screenshot(page, "portal-meeting-page")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("link", name="Analytical Engine review", exact=True)).to_be_visible()
    screenshot(page, "portal-dashboard")
    page.get_by_role("link", name="Analytical Engine review", exact=True).click()

    join_from_meeting_page(page)
    expect_connected(page)
    expect(page.get_by_role("button", name="Mute all")).to_be_visible()

    guest = new_page()
    guest.goto(invite)
    screenshot(guest, "portal-guest-join")
    join_as_guest(guest, invite, "Grace Hopper")

    # Each side renders the other's live video.
    sees_video_of(page, "Grace Hopper")
    sees_video_of(guest, "Ada Lovelace")
    sees_video_of(guest, "You (Grace Hopper)")
    expect(person(page, "Grace Hopper")).to_be_visible()
    expect(person(guest, "Ada Lovelace")).to_contain_text("Host")
    # Guests get no host controls (and the socket refuses them anyway).
    expect(guest.get_by_role("button", name="Mute all")).to_be_hidden()
    expect(person(guest, "Ada Lovelace").get_by_role("button", name="Remove")).to_have_count(0)

    # Chat both ways.
    send_chat(page, "Welcome, Grace!")
    expect(chat_log(guest)).to_contain_text("Welcome, Grace!")
    expect(chat_log(guest)).to_contain_text("Ada Lovelace")
    send_chat(guest, "Thanks, Ada — glad to be here.")
    expect(chat_log(page)).to_contain_text("Thanks, Ada — glad to be here.")

    # The guest turns the camera off; the host sees it.
    guest.get_by_role("button", name="Camera").click()
    expect(guest.get_by_role("button", name="Camera")).to_have_attribute("aria-pressed", "false")
    expect(tile(page, "Grace Hopper")).to_have_class(re.compile(r"\bno-video\b"))
    guest.get_by_role("button", name="Camera").click()
    expect(tile(page, "Grace Hopper")).not_to_have_class(re.compile(r"\bno-video\b"))

    # A third participant joins: all three see each other.
    third = new_page()
    join_as_guest(third, invite, "Katherine Johnson")
    # Chat history is shown on join.
    expect(chat_log(third)).to_contain_text("Welcome, Grace!")
    expect(chat_log(third)).to_contain_text("Thanks, Ada — glad to be here.")
    for viewer, others in ((page, ["Grace Hopper", "Katherine Johnson"]),
                           (guest, ["Ada Lovelace", "Katherine Johnson"]),
                           (third, ["Ada Lovelace", "Grace Hopper"])):
        for name in others:
            sees_video_of(viewer, name)
    expect(page.locator("[data-people] li")).to_have_count(3)
    send_chat(third, "Hello both of you")
    expect(chat_log(page)).to_contain_text("Hello both of you")
    expect(chat_log(guest)).to_contain_text("Hello both of you")
    screenshot(page, "portal-room-three")
    screenshot(third, "portal-room-three-guest")

    # The host mutes the guest: the guest's microphone goes off in the guest's browser.
    person(page, "Grace Hopper").get_by_role("button", name="Mute", exact=True).click()
    expect(guest.get_by_role("button", name="Microphone")).to_have_attribute("aria-pressed", "false")
    expect(guest.get_by_text("The host muted your microphone.")).to_be_visible()
    guest.wait_for_function(
        "() => window.parleyRoom.published.values().next().value.audioTrack.enabled === false"
    )
    expect(tile(page, "Grace Hopper").get_by_role("img", name="Microphone off")).to_be_visible()
    expect(tile(third, "Grace Hopper").get_by_role("img", name="Microphone off")).to_be_visible()

    # The host removes the guest (after a confirmation): the guest's page says so, the others no
    # longer see them.
    person(page, "Grace Hopper").get_by_role("button", name="Remove").click()
    confirm = page.get_by_role("dialog", name="Remove Grace Hopper?")
    expect(confirm).to_be_visible()
    confirm.get_by_role("button", name="Remove").click()
    expect(guest.get_by_role("heading", name="You were removed from the meeting")).to_be_visible()
    expect(tile(page, "Grace Hopper")).to_have_count(0)
    expect(tile(third, "Grace Hopper")).to_have_count(0)
    expect(person(page, "Grace Hopper")).to_have_count(0)
    sees_video_of(page, "Katherine Johnson")
    # The removed guest cannot come back: not with the page they had, nor through the invite link.
    guest.reload()
    expect(guest.get_by_role("heading", name="You can't rejoin this meeting")).to_be_visible()
    guest.goto(invite)
    expect(guest.get_by_role("heading", name="You can't rejoin this meeting")).to_be_visible()
    expect(guest.get_by_label("Your name")).to_have_count(0)


def test_names_and_chat_render_as_text(page, live_url, host, new_page):
    log_in(page, live_url, host)
    evil_title = '<b>Bold</b> "meeting" <img src=x onerror=window.__xss=1>'
    invite = schedule(page, evil_title)
    expect(page.get_by_role("heading", name=evil_title)).to_be_visible()
    join_from_meeting_page(page)
    guest = new_page()
    evil_name = "<img src=x onerror=window.__xss=2>"
    join_as_guest(guest, invite, evil_name)
    sees_video_of(page, evil_name)
    expect(person(page, evil_name)).to_be_visible()
    evil_chat = "<script>window.__xss=3</script><b>not bold</b>"
    send_chat(guest, evil_chat)
    expect(chat_log(page)).to_contain_text(evil_chat)
    expect(chat_log(page)).to_contain_text(evil_name)
    for p in (page, guest):
        assert p.evaluate("() => window.__xss") is None
        assert p.locator("[data-room] img, [role=log] b, [role=log] script").count() == 0


def test_host_controls_from_a_guest_page_are_refused_by_the_server(page, live_url, host, new_page):
    log_in(page, live_url, host)
    invite = schedule(page, "Who is in charge")
    join_from_meeting_page(page)
    guest = new_page()
    join_as_guest(guest, invite, "Mallory")
    sees_video_of(guest, "Alice Tester")
    host_id = page.evaluate("() => window.parleyRoom.me.id")
    refused = guest.evaluate(
        """id => new Promise(resolve => {
             const codes = [];
             window.parleyRoom.on("error", f => {
               codes.push(f.code);
               if (codes.length === 2) resolve(codes);
             });
             window.parleyRoom.removeParticipant(id);
             window.parleyRoom.muteAll();
           })""",
        host_id,
    )
    assert refused == ["forbidden", "forbidden"]
    expect_connected(page)
    expect(page.get_by_role("button", name="Microphone")).to_have_attribute("aria-pressed", "true")
    expect(person(page, "Mallory")).to_be_visible()


def test_room_reconnects_and_rebuilds_media_after_the_socket_drops(page, live_url, host, new_page):
    log_in(page, live_url, host)
    invite = schedule(page, "Resilience drill")
    join_from_meeting_page(page)
    guest = new_page()
    join_as_guest(guest, invite, "Margaret Hamilton")
    sees_video_of(page, "Margaret Hamilton")
    send_chat(page, "Before the drop")
    expect(chat_log(guest)).to_contain_text("Before the drop")
    old_id = guest.evaluate("() => window.parleyRoom.me.id")

    guest.evaluate("() => window.parleyRoom.socket.close(4000, 'test drop')")
    expect_connected(guest)
    guest.wait_for_function(
        "old => window.parleyRoom.me.id !== old && window.parleyRoom.status === 'connected'", arg=old_id
    )
    # Both sides negotiated new peer connections: video flows again, both ways.
    page.wait_for_function(
        "id => window.parleyRoom.peers.get(id)?.pc.connectionState === 'connected'",
        arg=guest.evaluate("() => window.parleyRoom.me.id"),
    )
    sees_video_of(page, "Margaret Hamilton")
    sees_video_of(guest, "Alice Tester")
    expect(page.locator("[data-people] li")).to_have_count(2)
    send_chat(guest, "Back again")
    expect(chat_log(page)).to_contain_text("Back again")
    # The log was rebuilt from the history the new room_state carried: nothing lost, nothing twice.
    expect(chat_log(guest).get_by_text("Before the drop")).to_have_count(1)


def test_webinar_viewer_asks_to_speak_and_the_host_accepts(page, live_url, host, new_page):
    log_in(page, live_url, host)
    invite = schedule(page, "Launch webinar", kind="webinar")
    join_from_meeting_page(page)
    viewer = new_page()
    join_as_guest(viewer, invite, "Hedy Lamarr")
    sees_video_of(viewer, "Alice Tester")
    expect(viewer.get_by_role("button", name="Microphone")).to_be_hidden()
    viewer.get_by_role("button", name="Raise hand").click()
    # The host answers with the keyboard.
    page.get_by_role("button", name="Accept").focus()
    page.keyboard.press("Enter")
    expect(viewer.get_by_role("button", name="Microphone")).to_be_visible()
    sees_video_of(page, "Hedy Lamarr")
    viewer.get_by_role("button", name="Microphone").focus()
    viewer.keyboard.press("Space")
    expect(viewer.get_by_role("button", name="Microphone")).to_have_attribute("aria-pressed", "false")
    expect(tile(page, "Hedy Lamarr").get_by_role("img", name="Microphone off")).to_be_visible()


def test_phone_sized_room_is_usable(page, live_url, host, new_page, screenshot):
    log_in(page, live_url, host)
    invite = schedule(page, "On the go")
    join_from_meeting_page(page)
    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    join_as_guest(phone, invite, "Mary Jackson")
    sees_video_of(phone, "Alice Tester")
    for name in ("Microphone", "Camera", "Chat", "Participants", "Leave"):
        expect(phone.get_by_role("button", name=name)).to_be_visible()
    screenshot(phone, "portal-room-phone")
    phone.get_by_role("button", name="Chat").click()
    phone.get_by_label("Message").fill("typing on a phone")
    phone.get_by_label("Message").press("Enter")
    expect(chat_log(page)).to_contain_text("typing on a phone")
    screenshot(phone, "portal-room-phone-chat")
    phone.get_by_role("button", name="Leave").click()
    expect(phone.get_by_role("heading", name="You left On the go")).to_be_visible()
    expect(page.locator("[data-people] li")).to_have_count(1)


def test_screen_sharing_and_device_switch_reach_the_others(page, live_url, host, new_page):
    log_in(page, live_url, host)
    invite = schedule(page, "Show and tell")
    join_from_meeting_page(page)
    guest = new_page()
    join_as_guest(guest, invite, "Radia Perlman")
    sees_video_of(page, "Radia Perlman")

    page.get_by_role("button", name="Share screen").click()
    expect(page.get_by_role("button", name="Share screen")).to_have_attribute("aria-pressed", "true")
    sees_video_of(guest, "Alice Tester's screen")
    expect(person(guest, "Alice Tester")).to_contain_text("Presenting")
    page.get_by_role("button", name="Share screen").click()
    expect(tile(guest, "Alice Tester's screen")).to_have_count(0)
    expect(person(guest, "Alice Tester")).not_to_contain_text("Presenting")

    # Switch the microphone: the track sent to the guest is replaced without renegotiating.
    page.get_by_role("button", name="Devices").click()
    microphones = page.get_by_label("Microphone device")
    other = microphones.locator("option").nth(1).get_attribute("value")
    microphones.select_option(other)
    expect(page.get_by_text("Microphone switched.")).to_be_visible()
    page.get_by_role("button", name="Done").click()
    page.wait_for_function(
        """id => [...window.parleyRoom.peers.values()].every(p => p.pc.getSenders()
             .some(s => s.track && s.track.kind === "audio" && s.track.getSettings().deviceId === id))""",
        arg=other,
    )
    sees_video_of(guest, "Alice Tester")
