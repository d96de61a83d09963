"""IP → location through a MaxMind-format city database at GEOIP_PATH.

Without a database (or for private/unknown addresses) every field is "Unknown".
"""

import ipaddress
import logging
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from meetings.models.analytics import UNKNOWN

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Location:
    city: str = UNKNOWN
    region: str = UNKNOWN
    country_code: str = UNKNOWN
    country_name: str = UNKNOWN


@lru_cache(maxsize=4)
def _reader(path: str):
    import maxminddb

    try:
        return maxminddb.open_database(path)
    except (OSError, ValueError) as exc:
        log.warning("GeoIP database %s cannot be opened: %s", path, exc)
        return None


def locate(ip: str | None) -> Location:
    if not ip or not settings.GEOIP_PATH:
        return Location()
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return Location()
    reader = _reader(settings.GEOIP_PATH)
    record = reader.get(ip) if reader else None
    if not record:
        return Location()
    subdivisions = record.get("subdivisions") or [{}]
    return Location(
        city=(record.get("city") or {}).get("names", {}).get("en") or UNKNOWN,
        region=subdivisions[0].get("names", {}).get("en") or UNKNOWN,
        country_code=(record.get("country") or {}).get("iso_code") or UNKNOWN,
        country_name=(record.get("country") or {}).get("names", {}).get("en") or UNKNOWN,
    )
