"""Wire-level field types of the Meet API: the seed's loose inputs, made strict."""

import re
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# JavaScript's Date range is wider, but databases and Python stop at year 9999.
_MAX_EPOCH_MS = 253_402_300_799_999


def js_datetime(value: datetime | None) -> str | None:
    """``2025-10-13T10:15:30.000Z`` — what JavaScript's ``toISOString()`` produces."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JSDateTimeField(serializers.DateTimeField):
    """Datetimes written as the seed writes them: UTC, milliseconds, ``Z``."""

    def to_representation(self, value):
        return js_datetime(value)


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "integer"}]})
class StringOrNumberField(serializers.Field):
    """An identifier the seed sends as a string in one place and a number in another
    (``streamId: 755961800257348400``); stored as its decimal/string form."""

    default_error_messages = {
        "invalid": "Must be a string or an integer.",
        "max_length": "Ensure this field has no more than {max_length} characters.",
        "blank": "This field may not be blank.",
    }

    def __init__(self, *, max_length: int = 100, **kwargs):
        self.max_length = max_length
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        value = str(data).strip()
        if not value:
            self.fail("blank")
        if "\x00" in value:
            self.fail("invalid")
        if len(value) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return value

    def to_representation(self, value):
        return value


@extend_schema_field(
    {"oneOf": [{"type": "integer", "description": "milliseconds since the epoch"},
               {"type": "string", "format": "date-time"}]}
)
class EpochOrISODateTimeField(serializers.Field):
    """A moment given as JavaScript epoch milliseconds (the seed's ``startTime``) or as
    an ISO 8601 string; naive ISO strings are UTC."""

    default_error_messages = {"invalid": "Must be epoch milliseconds or an ISO 8601 date-time."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, str) and re.fullmatch(r"\s*-?\d{1,16}\s*", data):
            data = int(data)
        if isinstance(data, int | float):
            if not 0 <= data <= _MAX_EPOCH_MS or data != data:  # data != data: NaN
                self.fail("invalid")
            return datetime.fromtimestamp(data / 1000, tz=UTC)
        if isinstance(data, str) and len(data) <= 64 and "\x00" not in data:
            try:
                parsed = parse_datetime(data.strip())
            except ValueError:
                parsed = None
            if parsed is not None:
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        self.fail("invalid")

    def to_representation(self, value):
        return js_datetime(value)


@extend_schema_field(OpenApiTypes.DATETIME)
class FilterDateTimeField(serializers.Field):
    """A reporting date filter: ISO 8601 date or date-time (``2025-10-01T00:00:00.000Z``);
    an empty value means "no filter"."""

    default_error_messages = {"invalid": "Must be an ISO 8601 date or date-time."}

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 64 or "\x00" in data:
            self.fail("invalid")
        if not data.strip():
            return None
        try:
            parsed = parse_datetime(data.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            self.fail("invalid")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    def to_representation(self, value):
        return js_datetime(value)
