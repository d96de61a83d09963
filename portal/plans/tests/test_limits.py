"""Limits per plan, counted by atomic statements: people per room (the socket's capacity
check), recording minutes per month (checked at start, counted at stop), room file storage
(reserved at upload, released however a file goes)."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async as db
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from meetings.models import Recording, Room, RoomFile
from meetings.services.content import room_file_upload
from meetings.services.rooms import room_create
from meetings.tests.api_helpers import make_room
from meetings.tests.recording_support import room_with_meeting, socket, token_for
from meetings.tokens import room_token_mint
from portal.plans.catalogue import PLANS
from portal.plans.models import RecordingUsage
from portal.plans.services import (
    month_of,
    recording_seconds_used,
    storage_used,
)
from realtime.recording import RecordingConsumer
from realtime.tests.conftest import Client

pytestmark = pytest.mark.django_db


def set_limits(tenant, **limits):
    for name, value in limits.items():
        setattr(tenant, f"limit_{name}", value)
    tenant.save()


# --- people in one room ----------------------------------------------------------------------------------
async def _connect(room, role, host=b"beta.test"):
    token = room_token_mint(tenant_id=room.tenant_id, room_id=room.pk, role=role, name=role)
    client = Client(f"/ws/rooms/{room.pk}/?token={token}", host=host)
    connected, code = await client.connect()
    return client, connected, code


@pytest.mark.django_db(transaction=True)
async def test_the_plans_room_size_is_enforced_at_join(ess, ess_host):
    await sync_to_async(set_limits)(ess, max_participants=2)
    room = await db(room_create)(owner=ess_host, name="Small", max_participants=10)
    opened = []
    for role in ("host", "participant"):  # two people: the room is full
        client, connected, _ = await _connect(room, role)
        assert connected
        opened.append(client)
    third, connected, code = await _connect(room, "participant")
    assert (connected, code) == (False, 4409)
    # Hosts are never refused (they count, as with the room's own maximum).
    host2, connected, _ = await _connect(room, "host")
    assert connected
    for c in (*opened, third, host2):
        await c.close()


@pytest.mark.django_db(transaction=True)
async def test_the_rooms_own_maximum_applies_within_the_plans(ess, ess_host):
    room = await db(room_create)(owner=ess_host, name="Tiny", max_participants=1)
    first, connected, _ = await _connect(room, "participant")
    assert connected
    second, connected, code = await _connect(room, "participant")
    assert (connected, code) == (False, 4409)
    for c in (first, second):
        await c.close()


# --- recording minutes -----------------------------------------------------------------------------------
def _start(api, user, room, recording_id="rec-1"):
    payload = {"roomId": room.pk, "recordingId": recording_id, "userName": "Al", "streamId": "s",
               "startTime": 1756364334634, "videoType": "video", "status": "pending"}
    return api(user).post("/recording/start", payload, format="json")


def _stop(api, user, recording_id="rec-1", ran_for=timedelta(minutes=2)):
    Recording.objects.filter(recording_id=recording_id).update(created_at=timezone.now() - ran_for)
    return api(user).post("/recording/stop", {"recordingId": recording_id, "endTime": 32503680000000},
                          format="json")


def test_minutes_are_counted_once_on_the_servers_clock(api, ess_host, ess):
    room = make_room(ess_host)
    assert _start(api, ess_host, room).status_code == 201
    assert _stop(api, ess_host).status_code == 204
    used = recording_seconds_used(tenant_id=ess.pk)
    # Two minutes, whatever the client claimed its endTime was (the year 3000 here).
    assert 120 <= used < 130
    assert _stop(api, ess_host).status_code == 204  # stopping again counts nothing more
    assert recording_seconds_used(tenant_id=ess.pk) == used
    assert RecordingUsage.objects.get(tenant=ess).month == month_of(timezone.now())


def test_a_recording_cannot_start_once_the_months_minutes_are_used(api, ess_host, ess, pro_host):
    set_limits(ess, recording_minutes=2)
    room = make_room(ess_host)
    assert _start(api, ess_host, room).status_code == 201
    _stop(api, ess_host, ran_for=timedelta(minutes=2, seconds=1))
    response = _start(api, ess_host, room, "rec-2")
    assert response.status_code == 403
    body = response.json()
    assert (body["code"], body["limit"], body["allowed"], body["used"], body["plan"]) == (
        "plan_limit", "recording_minutes", 2, 3, "essential")
    assert not Recording.objects.filter(recording_id="rec-2").exists()
    # Another tenant's allowance is its own.
    assert _start(api, pro_host, make_room(pro_host), "rec-3").status_code == 201


def test_last_months_minutes_do_not_count(api, ess_host, ess):
    set_limits(ess, recording_minutes=1)
    last_month = month_of(timezone.now().replace(day=1) - timedelta(days=1))
    RecordingUsage.objects.create(tenant=ess, month=last_month, seconds=10_000)
    assert _start(api, ess_host, make_room(ess_host)).status_code == 201


@pytest.mark.django_db(transaction=True)
async def test_the_recording_socket_refuses_a_new_recording_without_minutes(ess, ess_host):
    await sync_to_async(set_limits)(ess, recording_minutes=1)
    await db(RecordingUsage.objects.create)(tenant=ess, month=month_of(None), seconds=60)
    room, _ = await db(room_with_meeting)(ess_host)
    comm = socket(token_for(room), host=b"beta.test")
    assert (await comm.connect())[0]
    await comm.send_json_to({"type": "create-file", "roomId": room.pk, "recordingId": "r1", "videoId": "cam"})
    reply = await comm.receive_json_from(timeout=5)
    assert (reply["type"], reply["code"]) == ("error", "plan_limit")
    assert "recording minutes" in reply["detail"]
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_recording_socket_asks_the_plan_for_its_feature(ess, ess_host, monkeypatch):
    """Recording is in every plan today; the socket still asks, like every entry point."""
    monkeypatch.setattr(RecordingConsumer, "plan_feature", "transcripts")
    room, _ = await db(room_with_meeting)(ess_host)
    comm = socket(token_for(room), host=b"beta.test")
    assert (await comm.connect())[0]
    await comm.send_json_to({"type": "create-file", "roomId": room.pk, "recordingId": "r1", "videoId": "cam"})
    reply = await comm.receive_json_from(timeout=5)
    assert (reply["code"], reply["plan"], reply["feature"]) == (
        "plan_required", "professional", "transcripts")
    assert not await db(Recording.objects.exists)()
    await comm.disconnect()


# --- room file storage -----------------------------------------------------------------------------------
def _upload(api, user, room, name="a.txt", size=60):
    upload = SimpleUploadedFile(name, b"x" * size, content_type="text/plain")
    return api(user).post(f"/room/{room.pk}/upload", {"file": upload}, format="multipart")


def test_uploads_stop_at_the_plans_storage(api, ess_host, ess):
    set_limits(ess, storage_bytes=100)
    room = make_room(ess_host)
    assert _upload(api, ess_host, room, "a.txt").status_code == 200
    response = _upload(api, ess_host, room, "b.txt")
    assert response.status_code == 403
    body = response.json()
    assert (body["code"], body["limit"], body["allowed"], body["used"]) == (
        "plan_limit", "storage_bytes", 100, 60)
    assert list(RoomFile.objects.values_list("original_name", flat=True)) == ["a.txt"]
    assert storage_used(tenant_id=ess.pk) == 60
    # Replacing a file with one of the same size fits: the old one's bytes go.
    assert _upload(api, ess_host, room, "a.txt", size=70).status_code == 200
    assert storage_used(tenant_id=ess.pk) == 70
    assert api(ess_host).delete(f"/room/{room.pk}/files").status_code == 200
    assert storage_used(tenant_id=ess.pk) == 0
    assert _upload(api, ess_host, room, "b.txt").status_code == 200


def test_every_way_a_file_goes_releases_its_bytes(api, ess_host, ess):
    room, other = make_room(ess_host), make_room(ess_host)
    for r, name in ((room, "a.txt"), (room, "b.txt"), (other, "c.txt")):
        assert _upload(api, ess_host, r, name, size=10).status_code == 200
    assert storage_used(tenant_id=ess.pk) == 30
    RoomFile.objects.get(original_name="a.txt").delete()          # the admin's delete
    assert storage_used(tenant_id=ess.pk) == 20
    Room.objects.filter(pk=room.pk).delete()                       # a room and its files (cascade)
    assert storage_used(tenant_id=ess.pk) == 10


def test_a_failed_store_gives_the_reservation_back(ess_host, ess, monkeypatch):
    room = make_room(ess_host)

    def broken(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("meetings.services.content._room_file_store", broken)
    with pytest.raises(OSError):
        room_file_upload(room=room, upload=SimpleUploadedFile("a.txt", b"x" * 10), uploaded_by=ess_host)
    assert storage_used(tenant_id=ess.pk) == 0


def test_the_plans_defaults_apply_without_overrides(ess):
    assert PLANS["essential"].limits.storage_bytes == 2 * 1024 ** 3
    assert ess.limit_storage_bytes is None
