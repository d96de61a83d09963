"""Recording pipeline: chunk ingest into spool files, the ``Recording.processing`` state
machine, durable processing into one MP4, and recovery from lost workers. (Delivery is
``meetings.recordings_download``.)

Ingest (called by ``realtime.recording.RecordingConsumer``): a track's chunks are appended to
``MEDIA_ROOT/recordings-spool/<tenant>/<recording>/<track>.webm`` under an exclusive file lock,
flushed and fsynced *before* the track's byte count is committed — so a byte count a client
saw acknowledged is always on disk, and a resumed track continues exactly there.

Processing (called by the tasks in ``meetings.tasks``): ``pending → processing → ready | failed``.
Every status change goes through ``_transition`` below, a conditional UPDATE, so two workers
can never both move the same row. A worker holds a *lease*: ``processing_started_at`` is when
the current attempt started or last proved it is alive. A row left in ``processing`` with a
stale lease (its worker died) is put back to ``pending`` and queued again by the watchdog task
(``recordings_recover``); a slow worker that lost its lease cannot overwrite the new attempt.
"""

import errno
import fcntl
import logging
import os
import re
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.crypto import get_random_string

from meetings import recording_media
from meetings.models import Recording, RecordingTrack, Room
from meetings.tokens import RoomGrant

logger = logging.getLogger(__name__)

Processing = Recording.Processing
ID_MAX = 100
RECORDING_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")

# The lifecycle, in one table: transition → (states it may start from, state it ends in).
TRANSITIONS = {
    "queue": ({Processing.PENDING, Processing.FAILED}, Processing.PENDING),  # process-recording
    "start": ({Processing.PENDING}, Processing.PROCESSING),  # a worker takes the lease
    "finish": ({Processing.PROCESSING}, Processing.READY),
    "fail": ({Processing.PROCESSING}, Processing.FAILED),
    "requeue": ({Processing.PROCESSING}, Processing.PENDING),  # the lease expired: worker lost
}


# Refusals after which the client resumes the track (create-file again) and resends from the
# acknowledged count: the server could not store a chunk (disk full, I/O error).
RESUME_CODES = frozenset({"storage-full", "storage-error"})


class IngestRefused(Exception):
    """A recording-socket request that is refused; becomes an ``error`` frame."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code, self.detail = code, detail


class LeaseLost(Exception):
    """Another attempt owns the recording now; this one must stop without writing."""


def lease_seconds() -> float:
    return float(settings.RECORDING_PROCESSING_LEASE_SECONDS)


def _transition(recording_pk: str, name: str, *, lease=None, **fields) -> bool:
    """Apply one named transition if the row is in an allowed source state (and, when ``lease``
    is given, still holds that lease). Returns whether this call made the change."""
    sources, target = TRANSITIONS[name]
    rows = Recording.objects.filter(pk=recording_pk, processing__in=sources)
    if lease is not None:
        rows = rows.filter(processing_started_at=lease)
    return rows.update(processing=target, updated_at=timezone.now(), **fields) == 1


# --- Ingest --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenedTrack:
    pk: str
    tenant_id: int
    recording_id: str
    video_id: str
    bytes: int
    resumed: bool


def _clean_recording_id(value) -> str:
    """Recording ids appear in URLs: the same characters ``POST /recording/start`` accepts."""
    value = _clean_id(value, "recordingId")
    if not RECORDING_ID.match(value):
        raise IngestRefused("bad-request", "recordingId may contain letters, digits and _ . : - only.")
    return value


def _clean_id(value, field: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise IngestRefused("bad-request", f"{field} is required.")
    value = str(value).strip()
    if len(value) > ID_MAX:
        raise IngestRefused("bad-request", f"{field} is longer than {ID_MAX} characters.")
    return value


def _room_of(grant: RoomGrant, room_id) -> Room:
    if _clean_id(room_id, "roomId") != grant.room_id:
        raise IngestRefused("forbidden", "Your token is for another room.")
    room = Room.objects.for_tenant(grant.tenant_id).filter(pk=grant.room_id).first()
    if room is None:
        raise IngestRefused("not-found", "Room not found.")
    return room


def _recording_create(*, grant: RoomGrant, room: Room, recording_id: str) -> Recording:
    """create-file for a recording nobody started over REST: start it here, as its host."""
    from meetings.services.recordings import RecordingConflict, recording_start
    from portal.accounts.models import User
    from portal.plans.catalogue import PlanLimitReached

    started_by = User.objects.filter(pk=grant.user_id, tenant_id=grant.tenant_id).first()
    try:
        recording = recording_start(
            room=room, started_by=started_by, recording_id=recording_id, host_name=grant.name
        )
    except RecordingConflict:
        raise IngestRefused("conflict", "Another recording is already running in this room.") from None
    except PlanLimitReached as exc:
        raise IngestRefused(exc.code, exc.detail) from None
    return recording


def track_open(*, grant: RoomGrant, room_id, recording_id, video_id) -> OpenedTrack:
    """``create-file``: open a track of a recording in the caller's room, or resume it."""
    recording_id = _clean_recording_id(recording_id)
    video_id = _clean_id(video_id, "videoId")
    with transaction.atomic():
        room = _room_of(grant, room_id)
        recording = (
            Recording.objects.for_tenant(grant.tenant_id).filter(recording_id=recording_id)
            .select_for_update().first()
        )
        if recording is None:
            recording = _recording_create(grant=grant, room=room, recording_id=recording_id)
        elif recording.room_id != room.pk:
            raise IngestRefused("not-found", "No such recording in this room.")
        if recording.processing != Processing.PENDING:
            raise IngestRefused("not-writable", "This recording has already been processed.")
        track = RecordingTrack.objects.for_tenant(grant.tenant_id).filter(
            recording=recording, video_id=video_id
        ).first()
        if track is not None:
            if track.closed:
                raise IngestRefused("track-closed", f"Track {video_id!r} is closed.")
        else:
            if recording.stopped and recording.tracks.exists():
                raise IngestRefused("recording-stopped", "This recording has stopped; no new tracks.")
            track = RecordingTrack(
                tenant_id=grant.tenant_id, recording=recording, video_id=video_id,
                position=recording.tracks.count(),
            )
            track.path = f"recordings-spool/{grant.tenant_id}/{recording.pk}/{track.pk}.webm"
            spool = _abs(track)
            try:
                spool.parent.mkdir(parents=True, exist_ok=True)
                spool.touch()
                recording_media.fsync_dir(spool.parent)
            except OSError as exc:
                raise _storage_refused(exc) from None
            track.save(force_insert=True)
            return OpenedTrack(track.pk, track.tenant_id, recording_id, video_id, 0, resumed=False)
    # Resuming: outside the transaction, so a writer holding the file lock can still commit.
    size = _reconcile(track)
    return OpenedTrack(track.pk, track.tenant_id, recording_id, video_id, size, resumed=True)


def _abs(track: RecordingTrack) -> Path:
    return Path(settings.MEDIA_ROOT) / track.path


def _reconcile(track: RecordingTrack) -> int:
    """Drop bytes written after the last committed count (a crash between fsync and commit);
    return the committed count."""
    with open(_abs(track), "ab") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        committed = RecordingTrack.objects.get(pk=track.pk).bytes
        size = os.fstat(f.fileno()).st_size
        if size > committed:
            os.ftruncate(f.fileno(), committed)
            os.fsync(f.fileno())
        elif size < committed:
            raise IngestRefused("spool-lost", f"Track {track.video_id!r} lost data on the server.")
    return committed


def track_append(*, tenant_id: int, track_pk: str, chunk: bytes) -> int:
    """Append one chunk; return the track's total once it is on disk and committed."""
    limit = settings.RECORDING_MAX_CHUNK_BYTES
    if len(chunk) > limit:
        raise IngestRefused("chunk-too-large", f"Chunks are limited to {limit} bytes.")
    track = RecordingTrack.objects.for_tenant(tenant_id).filter(pk=track_pk).first()
    if track is None:
        raise IngestRefused("unknown-track", "No such track.")
    try:
        spool = open(_abs(track), "r+b")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError:
        raise IngestRefused("not-writable", "This recording has already been processed.") from None
    with spool as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # one writer per track, across processes of this host
        track = RecordingTrack.objects.select_related("recording").get(pk=track_pk)
        if track.closed:
            raise IngestRefused("track-closed", f"Track {track.video_id!r} is closed.")
        if track.recording.processing != Processing.PENDING:
            raise IngestRefused("not-writable", "This recording has already been processed.")
        total = RecordingTrack.objects.filter(recording_id=track.recording_id).aggregate(n=Sum("bytes"))["n"]
        if (total or 0) + len(chunk) > settings.RECORDING_MAX_BYTES:
            raise IngestRefused(
                "recording-too-large", f"Recordings are limited to {settings.RECORDING_MAX_BYTES} bytes."
            )
        fd = f.fileno()
        try:
            if os.fstat(fd).st_size != track.bytes:
                os.ftruncate(fd, track.bytes)
            os.lseek(fd, track.bytes, os.SEEK_SET)
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except OSError as exc:
            # Disk full (or failing): the chunk is not acknowledged, what was stays intact, and the
            # client keeps the chunk to send again (the socket stays open).
            _truncate_quietly(fd, track.bytes)
            raise _storage_refused(exc) from None
        new_total = track.bytes + len(chunk)
        updated = RecordingTrack.objects.filter(pk=track.pk, bytes=track.bytes, closed=False).update(
            bytes=new_total
        )
        if not updated:  # closed meanwhile by process-recording from another connection
            os.ftruncate(fd, track.bytes)
            raise IngestRefused("track-closed", f"Track {track.video_id!r} is closed.")
    return new_total


def _truncate_quietly(fd: int, size: int) -> None:
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:
        logger.warning("Could not cut a spool file back to %s bytes", size, exc_info=True)


def _storage_refused(exc: OSError) -> IngestRefused:
    logger.warning("Recording ingest could not write: %s", exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return IngestRefused("storage-full", "The server is out of space; this chunk was not stored. "
                             "Send it again later.")
    return IngestRefused("storage-error", "The server could not store this chunk; send it again later.")


def track_close(*, grant: RoomGrant, video_id, track_pk: str | None = None) -> tuple[str, int]:
    """``stop-writing``: close a track (the one this connection opened, else the newest open
    track with that ``videoId`` in the caller's room). Returns (videoId, bytes)."""
    video_id = _clean_id(video_id, "videoId")
    tracks = RecordingTrack.objects.for_tenant(grant.tenant_id)
    if track_pk is not None:
        track = tracks.filter(pk=track_pk).first()
    else:
        track = (
            tracks.filter(video_id=video_id, recording__room_id=grant.room_id, closed=False)
            .order_by("-created_at").first()
        )
    if track is None:
        raise IngestRefused("unknown-track", f"No open track {video_id!r}.")
    with open(_abs(track), "ab") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        RecordingTrack.objects.filter(pk=track.pk).update(closed=True)
        track.refresh_from_db(fields=["bytes"])
    return video_id, track.bytes


def recording_process_request(*, grant: RoomGrant, room_id, recording_id) -> Recording:
    """``process-recording``: close the tracks, stop the recording and queue its processing.

    Idempotent: a recording already queued, processing or ready is returned as it is.
    """
    from meetings.tasks import enqueue_processing, processing_queued

    recording_id = _clean_recording_id(recording_id)
    with transaction.atomic():
        room = _room_of(grant, room_id)
        recording = (
            Recording.objects.for_tenant(grant.tenant_id).filter(recording_id=recording_id, room=room)
            .select_for_update().first()
        )
        if recording is None:
            raise IngestRefused("not-found", "No such recording in this room.")
        if recording.processing in (Processing.PROCESSING, Processing.READY):
            return recording
        if recording.processing == Processing.PENDING and processing_queued(recording.pk):
            return recording
        recording.tracks.filter(closed=False).update(closed=True)
        if not recording.tracks.filter(bytes__gt=0).exists():
            raise IngestRefused("empty-recording", "Nothing was recorded.")
        if not recording.stopped:
            from meetings.services.recordings import recording_stop

            recording_stop(recording=recording)
        _transition(recording.pk, "queue", error="")
        enqueue_processing(recording.pk)  # same transaction: queued if and only if committed
        recording.refresh_from_db()
    return recording


def recording_queue(*, recording_pk: str) -> bool:
    """Queue a stopped recording whose tracks the worker makes itself (a media-server
    recording, ``meetings.recording_sfu``). ``False`` once it is processing or ready; a second
    call while pending queues a duplicate task, which finds no lease to take and does nothing."""
    from meetings.tasks import enqueue_processing

    with transaction.atomic():
        if not _transition(recording_pk, "queue", error=""):
            return False
        enqueue_processing(recording_pk)
    return True


# --- Processing ----------------------------------------------------------------------------------


class Lease:
    """This attempt's hold on a recording in ``processing``."""

    def __init__(self, recording_pk: str, stamp):
        self.recording_pk, self.stamp = recording_pk, stamp
        self._renewed = time.monotonic()

    @classmethod
    def take(cls, recording_pk: str) -> "Lease | None":
        stamp = timezone.now()
        if _transition(recording_pk, "start", processing_started_at=stamp, error=""):
            return cls(recording_pk, stamp)
        return None

    def renew(self) -> None:
        """Prove this attempt is alive (at most every quarter lease); raise if it was taken."""
        if time.monotonic() - self._renewed < lease_seconds() / 4:
            return
        stamp = timezone.now()
        held = Recording.objects.filter(
            pk=self.recording_pk, processing=Processing.PROCESSING, processing_started_at=self.stamp
        ).update(processing_started_at=stamp)
        if not held:
            raise LeaseLost(self.recording_pk)
        self.stamp, self._renewed = stamp, time.monotonic()

    def finish(self, **fields) -> bool:
        return _transition(self.recording_pk, "finish", lease=self.stamp, **fields)

    def fail(self, error: str) -> bool:
        return _transition(self.recording_pk, "fail", lease=self.stamp, error=error[:2000])


def recording_process(*, recording_pk: str) -> str:
    """Render a queued recording into one MP4 in storage. Returns the state it left."""
    recordings_recover()
    lease = Lease.take(recording_pk)
    if lease is None:  # not queued (a duplicate task, or already done): nothing to do
        state = Recording.objects.filter(pk=recording_pk).values_list("processing", flat=True).first()
        return state or "gone"
    recording = Recording.objects.get(pk=recording_pk)
    tracks = list(recording.tracks.filter(bytes__gt=0).order_by("position", "created_at"))
    try:
        with tempfile.TemporaryDirectory(prefix="parley-recording-") as work:
            out = Path(work) / "recording.mp4"
            if not tracks and recording.video_type == "sfu":  # the media server's files: one track
                from meetings.recording_sfu import compose_track

                tracks = [compose_track(recording, keep_alive=lease.renew)]
            notes: list[str] = []
            sources = []
            for t in tracks:
                if _abs(t).exists():
                    sources.append((_abs(t), t.video_id))
                else:
                    notes.append(f"The spool file of track {t.video_id!r} is missing. It was skipped.")
            if not sources:
                raise recording_media.MediaError(" ".join(notes) or "The recording has no media to process.")
            duration = recording_media.render(sources, out, keep_alive=lease.renew, notes=notes)
            size = out.stat().st_size
            name = _store(recording, out, lease)
    except LeaseLost:
        return "lease-lost"
    except recording_media.MediaError as exc:
        lease.fail(recording_media.without_paths(str(exc)))
        return Processing.FAILED
    except Exception as exc:
        logger.exception("Processing recording %s failed", recording_pk)
        reason = "out of disk space" if getattr(exc, "errno", None) == errno.ENOSPC else type(exc).__name__
        lease.fail(f"Internal error while processing ({reason}); the server log has the details.")
        return Processing.FAILED
    reasons = [r for r in (recording.partial_reason, *notes) if r]
    partial = {"partial": True, "partial_reason": recording_media.without_paths(" ".join(reasons))[:4000]} \
        if reasons else {}
    if not lease.finish(file=name, duration=round(duration, 3), size=size, **partial):
        default_storage.delete(name)
        return "lease-lost"
    if recording.file and recording.file != name:
        default_storage.delete(recording.file)
    shutil.rmtree(recording_media.spool_root() / str(recording.tenant_id) / recording.pk, ignore_errors=True)
    return Processing.READY


def _store(recording: Recording, out: Path, lease: Lease) -> str:
    """Save through the default storage (local or S3), renewing the lease while uploading."""
    name = f"recordings/{recording.tenant_id}/{recording.pk}-{get_random_string(8).lower()}.mp4"

    def save():
        with open(out, "rb") as f:
            return default_storage.save(name, File(f, name=os.path.basename(name)))

    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(save)
        try:
            while True:
                try:
                    return future.result(timeout=recording_media.POLL_SECONDS)
                except FutureTimeout:
                    lease.renew()
        except BaseException:
            # A save cut short (disk full, lost lease) leaves no half-written file behind.
            future.cancel()
            try:
                future.result()
            except BaseException:  # noqa: S110 - the first error is the one that counts
                pass
            try:
                default_storage.delete(name)
            except OSError:
                logger.warning("Could not remove a partly stored recording %s", name, exc_info=True)
            raise


def recordings_recover() -> int:
    """Put every recording whose worker was lost (stale lease) back in the queue."""
    from meetings.tasks import enqueue_processing, mark_lost_attempts

    stale = Recording.objects.filter(
        processing=Processing.PROCESSING,
        processing_started_at__lt=timezone.now() - timedelta(seconds=lease_seconds()),
    ).values_list("pk", "processing_started_at")
    recovered = 0
    for pk, stamp in stale:
        with transaction.atomic():
            if _transition(pk, "requeue", lease=stamp):
                mark_lost_attempts(pk)
                enqueue_processing(pk, watchdog=False)
                recovered += 1
                logger.warning("Recording %s: worker lost, queued again", pk)
    return recovered


# --- Abandoned recordings ---------------------------------------------------------------------------


def abandon_seconds() -> float:
    return float(settings.RECORDING_ABANDON_SECONDS)


def _mtime(path: Path):
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    except OSError:
        return None


def last_activity(recording: Recording):
    """When a client (or the media server) last wrote to the recording: its row, its spool files
    (each acknowledged chunk is written there before it is acknowledged), the media server's files."""
    moments = [recording.updated_at]
    moments += [_mtime(_abs(t)) for t in recording.tracks.all()]
    if recording.video_type == "sfu":
        from meetings.recording_sfu import _dir

        folder = Path(_dir(recording))
        if folder.is_dir():
            moments += [_mtime(p) for p in folder.iterdir()]
    return max(m for m in moments if m is not None)


def recordings_abandon(*, room=None, recording_pk: str | None = None) -> list[str]:
    """Finish every recording nobody has written to for ``RECORDING_ABANDON_SECONDS`` (its client
    crashed and never came back) so that it no longer blocks its room: stopped; processed into a
    *partial* recording from what was acknowledged, or — nothing acknowledged — failed with the
    reason. Run by the ``recording_abandon_check`` task and, lazily, by every recording start.
    Returns the pks it finished."""
    from meetings.tasks import processing_queued

    cutoff = timezone.now() - timedelta(seconds=abandon_seconds())
    rows = Recording.objects.filter(processing=Processing.PENDING, updated_at__lt=cutoff)
    if room is not None:
        rows = rows.filter(room=room)
    if recording_pk is not None:
        rows = rows.filter(pk=recording_pk)
    done = []
    for recording in rows.select_related("room"):
        if recording.stopped and processing_queued(recording.pk):
            continue  # stopped and queued: the worker has it
        last = last_activity(recording)
        if last >= cutoff:
            continue
        if _abandon(recording.pk, last):
            done.append(recording.pk)
    return done


def _abandon(recording_pk: str, last) -> bool:
    from meetings.services.recordings import recording_stop
    from meetings.tasks import enqueue_processing

    seconds = int(abandon_seconds())
    with transaction.atomic():
        recording = Recording.objects.select_for_update().filter(
            pk=recording_pk, processing=Processing.PENDING
        ).first()
        if recording is None:
            return False
        recording.tracks.filter(closed=False).update(closed=True)
        if not recording.stopped:
            recording = recording_stop(recording=recording, end_time=last)
        has_media = recording.tracks.filter(bytes__gt=0).exists() or recording.video_type == "sfu"
        if has_media:
            Recording.objects.filter(pk=recording_pk).update(
                partial=True,
                partial_reason=f"Abandoned: no client wrote to this recording for {seconds}s; "
                f"it was finished from what had been acknowledged (until {last:%Y-%m-%d %H:%M:%S} UTC).",
            )
            _transition(recording_pk, "queue", error="")
            enqueue_processing(recording_pk)
            logger.warning("Recording %s abandoned by its client: finished from what was acknowledged",
                           recording_pk)
        else:
            Recording.objects.filter(pk=recording_pk, processing=Processing.PENDING).update(
                processing=Processing.FAILED, updated_at=timezone.now(),
                error=f"Abandoned: nothing was recorded, and no client wrote to it for {seconds}s.",
            )
            logger.warning("Recording %s abandoned with nothing recorded: failed", recording_pk)
    return True
