"""URL converters for ids: a path segment that cannot be one of our ids never matches, so it is
a 404 (JSON for the API, ``portal.api.not_found``) before any view or database sees it —
PostgreSQL refuses NUL, and a lone surrogate cannot be encoded back into an error message."""

from django.urls import register_converter


class IdConverter:
    """Room, meeting and user ids, invite codes: ``[A-Za-z0-9_-]``, at most 64."""

    regex = r"[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


class RecordingIdConverter(IdConverter):
    """Recording ids: what ``POST /recording/start`` accepts (``[A-Za-z0-9_.:-]``, at most 100)."""

    regex = r"[A-Za-z0-9_.:-]{1,100}"


register_converter(IdConverter, "id")
register_converter(RecordingIdConverter, "recid")
