"""A page using the SDK rides out ``kill -9`` of its daphne: it shows "Reconnecting…", comes back
(with its jittered backoff) once the process is started again on the same port, and is in the room
again as its host — seen by a participant on the other process, and hearing it."""

import json

import pytest
from playwright.sync_api import expect
from websockets.sync.client import connect

from meetings.services.rooms import meeting_create, room_create
from meetings.tokens import room_token_mint
from realtime.tests.faults import REDIS_SERVER, Daphne, PrivateRedis

pytestmark = [
    pytest.mark.browser,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs redis-server"),
]


def next_frame(ws, kind: str, where=lambda f: True, timeout: float = 20, seen=None) -> dict:
    while True:
        frame = json.loads(ws.recv(timeout=timeout))
        if seen is not None:
            seen.append(frame)
        if frame["type"] == kind and where(frame):
            return frame


def test_page_reconnects_after_kill_9(page, host, screenshot):
    redis = PrivateRedis().start()
    env = {"REDIS_URL": redis.url, "CHANNEL_PREFIX": "kill9-page", "WS_PRESENCE_TTL_SECONDS": "3"}
    a, b = Daphne("page-a", env).start(), Daphne("page-b", env).start()
    try:
        room = room_create(owner=host, name="Crash")
        meeting_create(host=host, title="Crash", room=room)

        def mint(role, name, user=None):
            return room_token_mint(tenant_id=room.tenant_id, room_id=room.pk, role=role, name=name,
                                   user_id=user.pk if user else None)

        with connect(f"{a.ws}/ws/rooms/{room.pk}/?token={mint('participant', 'Quinn')}") as quinn:
            next_frame(quinn, "room_state")
            page.goto(f"{b.url}/static/parley/embed-example.html")
            page.get_by_label("Room token").fill(mint("host", "Alice", host))
            page.get_by_role("button", name="Join room").click()
            expect(page.get_by_role("status")).to_have_text("Connected as Alice.")
            first = next_frame(quinn, "room_connected", lambda f: f["username"] == "Alice")

            b.kill9()
            expect(page.get_by_role("status")).to_have_text("Reconnecting…")
            b.start()  # the same port: the page's socket URL works again
            expect(page.get_by_role("status")).to_have_text("Connected as Alice.", timeout=30_000)
            seen = []  # the ghost may be swept before or after the new socket is announced
            again = next_frame(quinn, "room_connected", lambda f: f["username"] == "Alice", seen=seen)
            assert again["id"] != first["id"] and again["role"] == "host"
            if not any(f["type"] == "room_disconnected" and f["id"] == first["id"] for f in seen):
                next_frame(quinn, "room_disconnected", lambda f: f["id"] == first["id"], seen=seen)
            left = [f for f in seen if f["type"] == "room_disconnected" and f["id"] == first["id"]]
            assert [f.get("reason") for f in left] == ["lost"]
            quinn.send(json.dumps({"type": "chat-box", "msg": "welcome back"}))
            expect(page.get_by_role("log")).to_contain_text("Quinn: welcome back")
            screenshot(page, "sdk-reconnected-after-kill-9")
    finally:
        a.stop()
        b.stop()
        redis.kill()
