"""Stored bytes follow their rows (issue 10, data hygiene): a room file or a recording whose
row goes — directly, or with its room — leaves nothing in storage."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from meetings import recording_media
from meetings.models import Recording, RoomFile
from meetings.services.content import room_file_upload
from meetings.tests.api_helpers import make_room

pytestmark = pytest.mark.django_db


def upload(room, user, name="notes.txt", body=b"hello"):
    return room_file_upload(room=room, upload=SimpleUploadedFile(name, body, "text/plain"), uploaded_by=user)


def recording_with_bytes(room) -> tuple[Recording, str, object]:
    recording = Recording.objects.create(tenant_id=room.tenant_id, room=room, recording_id="rec-1")
    name = default_storage.save(f"recordings/{room.tenant_id}/{recording.pk}.mp4", ContentFile(b"mp4"))
    Recording.objects.filter(pk=recording.pk).update(file=name)
    spool = recording_media.spool_root() / str(room.tenant_id) / str(recording.pk)
    spool.mkdir(parents=True)
    (spool / "track.webm").write_bytes(b"webm")
    recording.refresh_from_db()
    return recording, name, spool


def test_a_room_going_takes_its_files_and_recordings_bytes(host, django_capture_on_commit_callbacks):
    room = make_room(host)
    files = [upload(room, host, "a.txt").path, upload(room, host, "b.txt").path]
    _, recording_file, spool = recording_with_bytes(room)
    assert all(default_storage.exists(p) for p in files) and default_storage.exists(recording_file)
    with django_capture_on_commit_callbacks(execute=True):
        room.delete()
    assert not any(default_storage.exists(p) for p in files)
    assert not default_storage.exists(recording_file) and not spool.exists()


def test_a_recording_row_deleted_takes_its_file_and_spool(host, django_capture_on_commit_callbacks):
    room = make_room(host)
    recording, name, spool = recording_with_bytes(room)
    with django_capture_on_commit_callbacks(execute=True):
        recording.delete()
    assert not default_storage.exists(name) and not spool.exists()


def test_replacing_ones_own_file_keeps_the_new_bytes(host, django_capture_on_commit_callbacks):
    room = make_room(host)
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(room, host, body=b"first")
        second = upload(room, host, body=b"second")
    assert second.path == first.path and RoomFile.objects.filter(room=room).count() == 1
    with default_storage.open(second.path) as f:
        assert f.read() == b"second"
