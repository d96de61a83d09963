"""``manage.py recordings_recover``: queue again every recording left in ``processing`` by a
worker that died (its lease expired). Safe to run any time, e.g. before starting workers;
the watchdog task does the same while workers run."""

from django.core.management.base import BaseCommand

from meetings.recording_pipeline import recordings_recover


class Command(BaseCommand):
    help = "Re-queue recordings whose processing worker was lost (stale lease)."

    def handle(self, *args, **options):
        count = recordings_recover()
        self.stdout.write(f"{count} recording(s) queued again.")
