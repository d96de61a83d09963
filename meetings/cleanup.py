"""Stored bytes follow their rows: when a room file or a recording row goes — through a
service, the admin, or a cascade from its room or tenant — its files in storage (and a
recording's spool directory) are removed once the transaction commits.

A path is removed only if no row names it any more: replacing one's own file stores the new
upload under the same name in the same transaction.
"""

import logging
import shutil

from django.core.files.storage import default_storage
from django.db import transaction

from meetings import recording_media

log = logging.getLogger(__name__)


def _remove_unreferenced(model, field: str, name: str) -> None:
    def remove():
        if not name or model.objects.filter(**{field: name}).exists():
            return
        try:
            default_storage.delete(name)
        except OSError:
            log.warning("Could not delete stored file %s", name, exc_info=True)

    transaction.on_commit(remove)


def room_file_row_deleted(sender, instance, **kwargs) -> None:
    _remove_unreferenced(sender, "path", instance.path)


def recording_row_deleted(sender, instance, **kwargs) -> None:
    _remove_unreferenced(sender, "file", instance.file)
    spool = recording_media.spool_root() / str(instance.tenant_id) / str(instance.pk)
    transaction.on_commit(lambda: shutil.rmtree(spool, ignore_errors=True))
