"""Small builders and local fake servers shared by the Meet API tests."""

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from meetings.services.rooms import meeting_create, room_create


def make_room(owner, **kwargs):
    return room_create(owner=owner, name=kwargs.pop("name", "Standup"), **kwargs)


def make_meeting(host, **kwargs):
    room = kwargs.pop("room", None) or make_room(host, is_private=kwargs.pop("is_private", False))
    return meeting_create(host=host, title=kwargs.pop("title", "Weekly Sync"), room=room, **kwargs)


def assert_error(response, status: int):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["message"], str) and body["message"]
    return body


@contextmanager
def fake_server(handler):
    """A threaded HTTP server on 127.0.0.1 answering every POST with ``handler(request)``
    → ``(status, content_type, body bytes)``; yields ``(base_url, requests_seen)``."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            request = {"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)}
            seen.append(request)
            status, content_type, body = handler(request)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def json_body(request) -> dict:
    return json.loads(request["body"])


@pytest.fixture
def fast_password_hashing(settings):
    """The test cast's accounts are made with a cheap hasher: PBKDF2 costs half a second each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
