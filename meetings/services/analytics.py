"""Live sessions for analytics: a session is one live occurrence of a room, from its
first join to its last leave. The room socket and the meet socket call these."""

import ipaddress
from dataclasses import asdict

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from meetings.geo import locate
from meetings.models import AnalyticsSession, Room, SessionParticipant


def valid_ip(ip) -> str | None:
    """The address if it is one (clients report their own ``ip``), else None."""
    try:
        return str(ipaddress.ip_address(str(ip).strip())) if ip else None
    except ValueError:
        return None


@transaction.atomic
def participant_joined(
    *, room: Room, participant_id: str, name: str = "", role: str = "", user_id: str | None = None,
    ip: str | None = None, session_type: str | None = None, domain: str = "",
) -> SessionParticipant:
    """Record a join; opens the room's session if none is live. Idempotent per participant."""
    now = timezone.now()
    ip = valid_ip(ip)
    location = asdict(locate(ip))
    session = (
        AnalyticsSession.objects.select_for_update()
        .filter(tenant_id=room.tenant_id, room=room, ended_at__isnull=True)
        .first()
    )
    if session is None:
        session = AnalyticsSession.objects.create(
            tenant_id=room.tenant_id, room=room, session_type=session_type or room.type,
            domain=domain, host_id=room.owner_id, started_at=now, **location,
        )
    participant, created = SessionParticipant.objects.get_or_create(
        tenant_id=room.tenant_id, session=session, participant_id=participant_id,
        defaults={"name": name, "role": role, "user_id": user_id, "ip": ip, "joined_at": now,
                  **location},
    )
    if created:
        AnalyticsSession.objects.filter(pk=session.pk).update(participant_count=F("participant_count") + 1)
    elif participant.left_at is not None:
        participant.left_at = None
        participant.save(update_fields=["left_at"])
    return participant


@transaction.atomic
def participant_left(*, room: Room, participant_id: str) -> None:
    """Record a leave; the last one out ends the session."""
    now = timezone.now()
    live = SessionParticipant.objects.filter(
        tenant_id=room.tenant_id, session__room=room, session__ended_at__isnull=True,
    )
    live.filter(participant_id=participant_id, left_at__isnull=True).update(left_at=now)
    for session in AnalyticsSession.objects.select_for_update().filter(
        tenant_id=room.tenant_id, room=room, ended_at__isnull=True
    ):
        if not session.participants.filter(left_at__isnull=True).exists():
            session.ended_at = now
            session.save(update_fields=["ended_at"])
