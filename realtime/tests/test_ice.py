"""TURN credentials minted into every room socket's ``room_state`` (the TURN REST API scheme
coturn checks): time-limited, per connection, and never the secret itself."""

import base64
import hashlib
import hmac
import time

from realtime.media.ice import ice_servers, turn_credential
from realtime.tests.conftest import socket_db

pytestmark = socket_db


def expected_password(secret: str, username: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()


async def test_room_state_carries_a_fresh_turn_credential_per_connection(settings, client_for):
    settings.ICE_SERVERS = [{"urls": "stun:stun.example.com:3478"}]
    settings.TURN_URLS = ["turn:turn.example.com:3478?transport=udp"]
    settings.TURN_SECRET = "s3cret-shared-with-coturn"
    settings.TURN_TTL_SECONDS = 600
    a = await client_for("participant", "Ann")
    b = await client_for("participant", "Ben")
    stun, turn = a.state["iceServers"]
    assert stun == {"urls": "stun:stun.example.com:3478"}
    expiry, label = turn["username"].split(":", 1)
    assert abs(int(expiry) - (time.time() + 600)) < 5 and label == a.id
    assert turn["credential"] == expected_password("s3cret-shared-with-coturn", turn["username"])
    assert "s3cret" not in str(a.state)
    assert b.state["iceServers"][1]["username"] != turn["username"]
    await a.close()
    await b.close()


async def test_without_turn_only_the_static_servers_are_sent(settings, client_for):
    settings.ICE_SERVERS = []
    settings.TURN_URLS = ["turn:turn.example.com:3478"]
    settings.TURN_SECRET = ""
    a = await client_for("participant", "Ann")
    assert a.state["iceServers"] == []
    await a.close()


def test_a_credential_expires_after_its_ttl(settings):
    username, password = turn_credential(label="x", secret="k", ttl=60, now=1_000_000)
    assert username == "1000060:x" and password == expected_password("k", username)
    settings.TURN_URLS, settings.TURN_SECRET, settings.TURN_TTL_SECONDS = ["turn:t:3478"], "k", 120
    (server,) = ice_servers(label="page")
    assert server["urls"] == ["turn:t:3478"] and server["username"].endswith(":page")
