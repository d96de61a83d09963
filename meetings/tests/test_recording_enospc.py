"""ENOSPC during recording ingest (issue 10's fault suite): the spool lives on a 384 KiB tmpfs
(mounted by the test — it runs as root in CI; elsewhere the disk-full error is simulated by an
``os.write`` that raises ``OSError(ENOSPC)`` past the same size, and the skip reason says so).

Nothing acknowledged is lost: the chunk that did not fit is refused (``storage-full``), never
acknowledged, the socket stays open, the spool holds exactly the acknowledged bytes, chunks sent
after the refusal on that connection are not stored out of order, and once space is back the
client resumes from the acknowledged count and the track ends up byte-identical to what was sent."""

import errno
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from channels.db import database_sync_to_async

from meetings import recording_pipeline as pipeline
from meetings.models import RecordingTrack
from meetings.tests.recording_support import media_frame, room_with_meeting, socket, token_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.faults]

SIZE = 384 * 1024
CHUNK = 16 * 1024


@pytest.fixture
def small_disk(settings, tmp_path, monkeypatch):
    """MEDIA_ROOT on a small filesystem; yields a function that frees space again."""
    mount = tmp_path / f"small-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(mount)],
                             capture_output=True).returncode == 0
    settings.MEDIA_ROOT = mount
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(mount)}}}
    state = {"full": True}
    if mounted:
        filler = mount / "filler"

        def free():
            filler.unlink(missing_ok=True)

        state["filler"] = filler
    else:  # no mount (not root): simulate a disk that is full past SIZE bytes of spool
        real_write = os.write

        def write(fd, data):
            if state["full"] and os.fstat(fd).st_size + len(data) > SIZE // 2:
                raise OSError(errno.ENOSPC, "No space left on device (simulated)")
            return real_write(fd, data)

        monkeypatch.setattr(pipeline.os, "write", write)

        def free():
            state["full"] = False

    yield {"mounted": mounted, "free": free, "root": mount, "state": state}
    if mounted:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


async def test_disk_full_during_ingest_loses_nothing_acknowledged(host, small_disk):
    room, _ = await database_sync_to_async(room_with_meeting)(host)
    data = os.urandom(SIZE * 3 // 4)  # more than fits beside the filler; fits once it is gone
    comm = socket(token_for(room, user=host))
    assert (await comm.connect())[0]
    open_frame = {"type": "create-file", "roomId": room.pk, "recordingId": "rec-full", "videoId": "cam"}
    await comm.send_json_to(open_frame)
    assert (await comm.receive_json_from())["type"] == "file-created"
    if small_disk["mounted"]:  # leave ~half of the filesystem for the spool
        Path(small_disk["state"]["filler"]).write_bytes(b"\0" * (SIZE // 2))

    acked, refused_at = 0, None
    for start in range(0, len(data), CHUNK):
        await comm.send_to(bytes_data=media_frame("cam", data[start:start + CHUNK]))
        reply = await comm.receive_json_from(timeout=10)
        if reply["type"] == "ack":
            assert reply["bytes"] == start + CHUNK
            acked = reply["bytes"]
            continue
        assert reply["type"] == "error" and reply["code"] == "storage-full", reply
        assert "/" not in reply["detail"]  # no server paths
        refused_at = start
        break
    assert refused_at is not None and acked == refused_at > 0

    # Later chunks on this connection are refused, never stored in the refused one's place.
    await comm.send_to(bytes_data=media_frame("cam", data[refused_at + CHUNK:refused_at + 2 * CHUNK]))
    assert (await comm.receive_json_from(timeout=10))["code"] == "unknown-track"

    def on_disk():
        track = RecordingTrack.objects.get(video_id="cam")
        return track.bytes, pipeline._abs(track).read_bytes()

    committed, spool = await database_sync_to_async(on_disk)()
    assert committed == acked and spool == data[:acked]

    # Space comes back: the client resumes where the server says, and nothing is missing.
    small_disk["free"]()
    await comm.send_json_to(open_frame)
    resumed = await comm.receive_json_from()
    assert resumed["type"] == "file-created" and resumed["bytes"] == acked and resumed["resumed"] is True
    for start in range(acked, len(data), CHUNK):
        await comm.send_to(bytes_data=media_frame("cam", data[start:start + CHUNK]))
        reply = await comm.receive_json_from(timeout=10)
        assert reply == {"type": "ack", "videoId": "cam", "bytes": min(start + CHUNK, len(data))}, reply
    await comm.disconnect()
    committed, spool = await database_sync_to_async(on_disk)()
    assert committed == len(data) and spool == data


def test_disk_full_while_storing_the_mp4_fails_cleanly(host, tmp_path, settings, monkeypatch):
    """The rendered MP4 does not fit in storage: the recording is failed with a reason (no path),
    never ready, and the partly written file is removed."""
    from django.core.files.storage import default_storage

    from meetings.models import Recording
    from meetings.tests.recording_support import make_clip
    from meetings.tokens import room_token_read

    settings.RECORDING_X264_PRESET = "ultrafast"
    room, _ = room_with_meeting(host)
    grant = room_token_read(token_for(room, user=host), tenant_id=room.tenant_id)
    track = pipeline.track_open(grant=grant, room_id=room.pk, recording_id="rec-s", video_id="cam")
    clip = make_clip(tmp_path / "c.webm", size="320x240", seconds=1)
    pipeline.track_append(tenant_id=room.tenant_id, track_pk=track.pk, chunk=clip)
    recording = pipeline.recording_process_request(grant=grant, room_id=room.pk, recording_id="rec-s")

    class FillsUp:
        """The default storage, except that saving fills the disk half-way through."""

        def __getattr__(self, attr):
            return getattr(default_storage, attr)

        def save(self, name, content, **kw):
            stored = default_storage.save(name, content, **kw)
            with default_storage.open(stored, "r+b") as f:
                f.truncate(100)
            raise OSError(errno.ENOSPC, f"No space left on device: '{default_storage.path(stored)}'")

    monkeypatch.setattr(pipeline, "default_storage", FillsUp())
    assert pipeline.recording_process(recording_pk=recording.pk) == "failed"
    recording = Recording.objects.get(pk=recording.pk)
    assert recording.processing == "failed" and recording.file == ""
    assert "out of disk space" in recording.error and "/" not in recording.error
    assert default_storage.listdir(f"recordings/{room.tenant_id}")[1] == []
