"""What a meeting produces besides media: room files, transcript lines and summaries.

Files go through Django's storage API (local disk by default, S3 by configuration)
under ``documents/<roomId>/<roomId>_<sanitised name>``; the stored name is generated
here and never taken from the client as is.
"""

import logging
import posixpath
import re
import unicodedata

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from meetings import summaries
from meetings.models import Meeting, MeetingSummary, Room, RoomFile, TranscriptEntry
from meetings.models.rooms import SummaryStatus
from portal.plans.services import storage_release, storage_reserve

log = logging.getLogger(__name__)

MAX_NAME_BYTES = 180  # leaves room for "<roomId>_" within every filesystem's 255 bytes
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class FileConflict(Exception):
    """Another upload of the same name to the same room won a race."""


class TranscriptsOff(Exception):
    """The meeting does not keep a transcript (``transcriptEnabled`` false, no ``start-transcript``)."""


class EmptyTranscript(Exception):
    """There is nothing to summarise."""


def safe_file_name(original: str) -> str:
    """A single path component derived from a client's file name.

    Directory parts (``/`` or ``\\``), ``..``, NUL and control characters cannot
    survive; leading dots are dropped (no hidden files); the name is cut to
    ``MAX_NAME_BYTES`` of UTF-8, keeping its extension.
    """
    name = unicodedata.normalize("NFC", original or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _FORBIDDEN.sub("", name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    if not name:
        return "file"
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext.encode()) > 16:
        stem, ext = name, ""
    ext = f".{ext}" if ext else ""
    budget = MAX_NAME_BYTES - len(ext.encode())
    stem = stem.encode()[:budget].decode(errors="ignore").strip() or "file"
    return f"{stem}{ext}"


def room_file_dir(room: Room) -> str:
    return f"documents/{room.pk}"


def room_file_upload(*, room: Room, upload, uploaded_by) -> RoomFile:
    """Store ``upload`` in the room's folder and record who uploaded it.

    An upload of the same name *by the same person* replaces their earlier file (the seed's
    behaviour); anybody else's file of that name is never touched — the new one is kept beside
    it as ``name (2).ext``, ``name (3).ext``, … (issue 10: a member could replace the owner's file).

    Its bytes count against the plan's file storage (``PlanLimitReached`` when they do not
    fit): reserved first by one atomic statement, released again if storing fails; the
    replaced file's bytes are released as its row is deleted.
    """
    # Shown back to clients as given, minus what no database or header may carry.
    original_name = _CONTROL.sub("", upload.name or "")[:255] or "file"
    safe = safe_file_name(original_name)
    filename = _free_name(room=room, safe=safe, uploaded_by=uploaded_by)
    replacing = RoomFile.objects.filter(tenant_id=room.tenant_id, room=room, filename=filename)
    storage_reserve(tenant=room.tenant, size=upload.size,
                    replacing=replacing.values_list("size", flat=True).first() or 0)
    try:
        return _room_file_store(room=room, upload=upload, uploaded_by=uploaded_by,
                                original_name=original_name, filename=filename)
    except BaseException:
        storage_release(tenant_id=room.tenant_id, size=upload.size)
        raise


def _free_name(*, room: Room, safe: str, uploaded_by) -> str:
    """``<roomId>_<safe>`` if it is free or the uploader's own; else the first free suffix."""
    stem, dot, ext = safe.rpartition(".")
    if not dot or not stem:
        stem, ext = safe, ""
    ext = f".{ext}" if ext else ""
    taken = dict(RoomFile.objects.filter(tenant_id=room.tenant_id, room=room)
                 .values_list("filename", "uploaded_by_id"))
    owner_id = getattr(uploaded_by, "pk", None)
    n = 1
    while True:
        name = f"{room.pk}_{stem}{f' ({n})' if n > 1 else ''}{ext}"
        if name not in taken or (owner_id is not None and taken[name] == owner_id):
            return name
        n += 1


@transaction.atomic
def _room_file_store(*, room: Room, upload, uploaded_by, original_name: str, filename: str) -> RoomFile:
    path = posixpath.join(room_file_dir(room), filename)
    previous = RoomFile.objects.select_for_update().filter(
        tenant_id=room.tenant_id, room=room, filename=filename
    ).first()
    if previous is not None and previous.uploaded_by_id != getattr(uploaded_by, "pk", None):
        raise FileConflict("Another upload of this file name is in progress.")
    if previous is not None:
        old_path = previous.path
        previous.delete()
        default_storage.delete(old_path)
    stored = default_storage.save(path, upload)
    try:
        with transaction.atomic():
            room_file = RoomFile.objects.create(
                tenant_id=room.tenant_id, room=room, original_name=original_name,
                filename=posixpath.basename(stored), path=stored, size=upload.size,
                content_type=(getattr(upload, "content_type", "") or "")[:127], uploaded_by=uploaded_by,
            )
    except IntegrityError:
        default_storage.delete(stored)
        raise FileConflict("Another upload of this file is in progress.") from None
    return room_file


@transaction.atomic
def room_files_delete(*, room: Room) -> int:
    """Delete every file of the room; the stored bytes go once the rows are gone
    (meetings.cleanup)."""
    files = RoomFile.objects.select_for_update().filter(tenant_id=room.tenant_id, room=room)
    count = len(list(files))
    files.delete()
    return count


def transcript_line_add(*, meeting: Meeting, user_name: str, message: str) -> TranscriptEntry:
    """REST ``/send-transcript``: the room socket's rule — stored only while the meeting keeps a
    transcript (``transcriptEnabled``, or a host's ``start-transcript``); else ``TranscriptsOff``."""
    if not Meeting.objects.filter(pk=meeting.pk, transcript_enabled=True).exists():
        raise TranscriptsOff("This meeting does not keep a transcript; its host turns transcripts on first.")
    return transcript_add(meeting=meeting, user_name=user_name, message=message)


def transcript_add(*, meeting: Meeting, user_name: str, message: str) -> TranscriptEntry:
    return TranscriptEntry.objects.create(
        tenant_id=meeting.tenant_id, meeting=meeting, user_name=user_name, message=message
    )


def summary_generate(*, meeting: Meeting) -> MeetingSummary:
    """Summarise the meeting's transcript (local summariser or the configured LLM) and
    keep the result; the meeting is then marked ``summaryGenerated``.

    The summariser runs outside any transaction: an LLM call may take seconds, and
    SQLite's IMMEDIATE transactions would hold the write lock all that time.
    """
    lines = list(
        TranscriptEntry.objects.filter(tenant_id=meeting.tenant_id, meeting=meeting)
        .order_by("created_at", "id")
        .values_list("user_name", "message")
    )
    if not lines:
        raise EmptyTranscript("This meeting has no transcript yet.")
    result = summaries.summarise(lines, title=meeting.title)
    with transaction.atomic():
        summary, _ = MeetingSummary.objects.update_or_create(
            tenant_id=meeting.tenant_id, meeting=meeting,
            defaults={"text": result.text, "source": result.source},
        )
        Meeting.objects.filter(pk=meeting.pk).update(summary_generated=True)
    return summary


def summary_request(*, meeting: Meeting) -> str:
    """Queue the meeting's summary on the task queue (``meetings.tasks.generate_summary``);
    returns the status. A summary already queued or running is not queued twice.
    ``EmptyTranscript`` when there is nothing to summarise."""
    from meetings.tasks import generate_summary

    if not TranscriptEntry.objects.filter(tenant_id=meeting.tenant_id, meeting=meeting).exists():
        raise EmptyTranscript("This meeting has no transcript yet.")
    busy = (SummaryStatus.QUEUED, SummaryStatus.RUNNING)
    claimed = Meeting.objects.filter(pk=meeting.pk).exclude(summary_status__in=busy).update(
        summary_status=SummaryStatus.QUEUED, summary_error=""
    )
    if claimed:
        transaction.on_commit(lambda: generate_summary.enqueue(meeting_pk=meeting.pk))
        return SummaryStatus.QUEUED
    return Meeting.objects.filter(pk=meeting.pk).values_list("summary_status", flat=True).get()


def summary_task_run(*, meeting_pk: str) -> str:
    meeting = Meeting.objects.filter(pk=meeting_pk).first()
    if meeting is None:
        return "gone"
    Meeting.objects.filter(pk=meeting.pk).update(summary_status=SummaryStatus.RUNNING)
    try:
        summary_generate(meeting=meeting)
    except Exception as exc:
        log.exception("summary of meeting %s failed", meeting_pk)
        message = str(exc) if isinstance(exc, EmptyTranscript) else "The summariser failed; try again."
        Meeting.objects.filter(pk=meeting.pk).update(
            summary_status=SummaryStatus.FAILED, summary_error=message
        )
        return SummaryStatus.FAILED
    Meeting.objects.filter(pk=meeting.pk).update(summary_status=SummaryStatus.DONE)
    return SummaryStatus.DONE
