"""Counters under concurrency: many uploads racing for the last bytes of a plan, and many
recordings stopping at once. Each thread has its own database connection; on PostgreSQL
they really run in parallel (CI runs this file with DATABASE_URL set), on SQLite the
database serialises them."""

import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.utils import timezone

from meetings.models import Recording, RoomFile
from meetings.services.content import room_file_upload
from meetings.services.recordings import recording_start, recording_stop
from meetings.tests.api_helpers import make_room
from portal.plans.catalogue import PlanLimitReached
from portal.plans.services import recording_seconds_used, storage_used

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def run_together(work, n=THREADS):
    """Run ``work(i)`` in ``n`` threads released at the same instant; return results/exceptions."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_concurrent_uploads_never_exceed_the_storage_limit(ess, ess_host):
    ess.limit_storage_bytes = 100
    ess.save()
    room = make_room(ess_host)

    def upload(i):
        upload = SimpleUploadedFile(f"f{i}.txt", b"x" * 30)
        return room_file_upload(room=room, upload=upload, uploaded_by=None)

    results = run_together(upload)
    won = [r for r in results if isinstance(r, RoomFile)]
    refused = [r for r in results if isinstance(r, PlanLimitReached)]
    assert len(won) == 3 and len(refused) == THREADS - 3, results
    assert storage_used(tenant_id=ess.pk) == 90 == sum(RoomFile.objects.values_list("size", flat=True))


def test_concurrent_stops_are_each_counted(ess, ess_host):
    rooms = [make_room(ess_host, name=f"R{i}") for i in range(THREADS)]
    recordings = [
        recording_start(room=room, started_by=ess_host, recording_id=f"rec-{i}", host_name="Al")
        for i, room in enumerate(rooms)
    ]
    Recording.objects.update(created_at=timezone.now() - timedelta(seconds=100))
    results = run_together(lambda i: recording_stop(recording=recordings[i]))
    assert all(isinstance(r, Recording) and r.stopped for r in results), results
    used = recording_seconds_used(tenant_id=ess.pk)
    assert 100 * THREADS <= used < 105 * THREADS


def test_the_database_refuses_a_negative_count(ess):
    from django.db import IntegrityError, transaction

    from portal.plans.models import StorageUsage

    with pytest.raises(IntegrityError), transaction.atomic():
        StorageUsage.objects.create(tenant=ess, bytes=-1)
    assert connection.vendor in ("postgresql", "sqlite")
