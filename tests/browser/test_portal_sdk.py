"""The SDK's embed example (served by Parley) joins a room with a token minted through
the REST API and meets the room page: video both ways, sendData messages both ways."""

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rest(live_url, path, body, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{live_url}{path}", data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read() or b"null")


def playing(page, selector_name):
    page.wait_for_function(
        """name => [...document.querySelectorAll("figure")].some(f => f.getAttribute("aria-label") === name
              && f.querySelector("video").videoWidth > 0)""",
        arg=selector_name, timeout=20_000,
    )


def test_embed_example_meets_the_room_page(page, live_url, host, new_page, screenshot):
    # Server side of the embedding site: log in, create a room and a meeting, mint a token.
    status, body = rest(live_url, "/auth/login", {"userName": host.email, "password": PASSWORD})
    assert status == 200
    jwt = body["token"]
    status, body = rest(live_url, "/room/create", {"name": "Embedded", "type": "conference"}, jwt)
    assert status == 201
    room_id = body["data"]["id"]
    status, body = rest(live_url, "/meetings/create",
                        {"title": "Embedded meeting", "hostId": host.pk, "transcriptEnabled": False,
                         "roomId": room_id}, jwt)
    assert status == 201
    meeting_id = body["meetingId"]
    status, body = rest(
        live_url, f"/room/{room_id}/token", {"userName": "Embedded App", "role": "participant"}, jwt
    )
    assert status == 201
    room_token = body["token"]

    # The host is in the meeting on Parley's own room page.
    page.goto(f"{live_url}/login")
    page.get_by_label("Email").fill(host.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_url}/meetings/{meeting_id}/room")
    expect(page.locator("[data-status]")).to_have_text("Connected")

    # The embedding page (the example Parley serves) joins with the minted token.
    embed = new_page()
    embed.goto(f"{live_url}/static/parley/embed-example.html")
    embed.get_by_label("Room token").fill(room_token)
    embed.get_by_role("button", name="Join room").click()
    expect(embed.get_by_role("status")).to_have_text("Connected as Embedded App.")

    playing(embed, "Alice Tester")
    playing(embed, "Embedded App (you)")
    playing(page, "Embedded App")

    embed.get_by_label("Data message").fill("hello from the embed")
    embed.get_by_role("button", name="Send data").click()
    expect(page.get_by_role("log")).to_contain_text("hello from the embed")
    page.get_by_label("Message").fill("hello back from the room page")
    page.get_by_role("button", name="Send").click()
    expect(embed.get_by_role("log")).to_contain_text("Alice Tester: hello back from the room page")
    screenshot(embed, "sdk-embed-example")

    embed.get_by_role("button", name="Leave room").click()
    expect(page.locator("[data-people] li")).to_have_count(1)
