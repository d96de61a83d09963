"""Durable background tasks of the meetings app (Django's tasks framework; the database
queue of ``django_tasks_db``, run by ``manage.py db_worker``).

Recording processing is two tasks: ``process_recording`` does the work under a lease, and
``recording_watchdog`` — queued beside it, due one lease later, re-queuing itself until the
recording is ready or failed — puts the recording back in the queue if the worker running it
died (``db_worker`` itself never re-runs a task whose worker was killed).
"""

from datetime import timedelta

from django.tasks import TaskResultStatus, task
from django.utils import timezone

from meetings import recording_pipeline
from meetings.models import Recording

LOST_ATTEMPT = "meetings.recording_pipeline.WorkerLost"


@task()
def process_recording(*, recording_pk: str) -> str:
    return recording_pipeline.recording_process(recording_pk=recording_pk)


@task()
def recording_watchdog(*, recording_pk: str) -> str:
    recording_pipeline.recordings_recover()
    state = Recording.objects.filter(pk=recording_pk).values_list("processing", flat=True).first()
    if state in (None, Recording.Processing.READY, Recording.Processing.FAILED):
        return state or "gone"
    if state == Recording.Processing.PENDING and not processing_queued(recording_pk):
        # Claimed by a worker that died before it could take the lease.
        mark_lost_attempts(recording_pk)
        process_recording.enqueue(recording_pk=recording_pk)
    _enqueue_watchdog(recording_pk)
    return state


@task()
def recording_abandon_check(*, recording_pk: str) -> str:
    """Queued with every recording start, due one abandon time-out later: finishes the recording
    if nobody wrote to it since (``recordings_abandon``), else checks again later."""
    finished = recording_pipeline.recordings_abandon(recording_pk=recording_pk)
    recording = Recording.objects.filter(pk=recording_pk).first()
    if recording is None:
        return "gone"
    if recording_pk in finished:
        return "abandoned"
    if recording.processing == Recording.Processing.PENDING and not (
        recording.stopped and processing_queued(recording_pk)
    ):
        due = recording_pipeline.last_activity(recording) + timedelta(
            seconds=recording_pipeline.abandon_seconds() + 1)
        enqueue_abandon_check(recording_pk, due=max(due, timezone.now() + timedelta(seconds=5)))
        return "active"
    return recording.processing


def enqueue_abandon_check(recording_pk: str, *, due=None) -> None:
    if not recording_abandon_check.get_backend().supports_defer:
        return
    due = due or timezone.now() + timedelta(seconds=recording_pipeline.abandon_seconds() + 1)
    recording_abandon_check.using(run_after=due).enqueue(recording_pk=recording_pk)


def enqueue_processing(recording_pk: str, *, watchdog: bool = True) -> None:
    process_recording.enqueue(recording_pk=recording_pk)
    if watchdog:
        _enqueue_watchdog(recording_pk)


def _enqueue_watchdog(recording_pk: str) -> None:
    if not recording_watchdog.get_backend().supports_defer:  # e.g. the immediate backend
        return
    due = timezone.now() + timedelta(seconds=recording_pipeline.lease_seconds())
    recording_watchdog.using(run_after=due).enqueue(recording_pk=recording_pk)


def _db_results():
    """The queue's rows for processing attempts, when the backend is the database queue."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    backend = process_recording.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return None
    return DBTaskResult.objects.filter(task_path=process_recording.module_path, backend_name=backend.alias)


def processing_queued(recording_pk: str) -> bool:
    results = _db_results()
    if results is None:
        return True
    queued = results.filter(status=TaskResultStatus.READY, args_kwargs__kwargs__recording_pk=recording_pk)
    return queued.exists()


def mark_lost_attempts(recording_pk: str) -> None:
    """Close the queue rows of attempts whose worker died, so they don't read as running."""
    results = _db_results()
    if results is None:
        return
    results.filter(status=TaskResultStatus.RUNNING, args_kwargs__kwargs__recording_pk=recording_pk).update(
        status=TaskResultStatus.FAILED, finished_at=timezone.now(), exception_class_path=LOST_ATTEMPT,
        traceback="The worker running this attempt stopped before it finished; the recording was re-queued.",
    )


@task()
def generate_summary(*, meeting_pk: str) -> str:
    """The meeting page's "Generate summary": ``summary_status`` goes queued → running →
    done (or failed, with ``summary_error``) for the page to show while it waits."""
    from meetings.services.content import summary_task_run

    return summary_task_run(meeting_pk=meeting_pk)
