"""Meeting invitations by email, with the meeting as an iCalendar (``.ics``) attachment.

The message goes through Django's default mailer (``MAILERS``: SMTP once ``EMAIL_HOST`` is
set, else the file backend under ``var/mail`` or the console) in the tenant's branding
(``portal.branding``). The ``.ics`` is RFC 5545: one ``VEVENT`` with ``METHOD:REQUEST``, the
meeting's id as ``UID`` (so a rescheduled invitation updates the same calendar entry, with a
higher ``SEQUENCE``) and the invite link as ``URL`` and ``LOCATION``.
"""

import re
from datetime import UTC, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from meetings.models import Meeting
from portal.branding import site_url, tenant_mail_build

MAX_INVITEES = 50
DEFAULT_MINUTES = 60


def _ics_text(value: str) -> str:
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return re.sub(r"\r?\n", "\\\\n", value)


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded (RFC 5545 3.1)."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, chunk = [], b""
    for char in line:
        encoded = char.encode()
        if len(chunk) + len(encoded) > (75 if not parts else 74):
            parts.append(chunk.decode())
            chunk = b""
        chunk += encoded
    parts.append(chunk.decode())
    return "\r\n ".join(parts)


def _utc(value) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def meeting_ics(meeting: Meeting, *, invite_url: str, organizer_email: str = "",
                method: str = "REQUEST") -> str:
    start = meeting.scheduled_start or meeting.created_at
    end = start + timedelta(minutes=meeting.duration_minutes or DEFAULT_MINUTES)
    cancelled = meeting.cancelled_at is not None
    sequence = int(meeting.updated_at.timestamp()) if meeting.updated_at else 0
    host = site_url(meeting.tenant).split("://", 1)[-1]
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Parley//Meetings//EN", "CALSCALE:GREGORIAN",
        f"METHOD:{'CANCEL' if cancelled else method}",
        "BEGIN:VEVENT",
        f"UID:meeting-{meeting.pk}@{host}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{_utc(timezone.now())}",
        f"DTSTART:{_utc(start)}",
        f"DTEND:{_utc(end)}",
        f"SUMMARY:{_ics_text(meeting.title)}",
        f"DESCRIPTION:{_ics_text(f'Join the meeting: {invite_url}')}",
        f"LOCATION:{_ics_text(invite_url)}",
        f"URL:{invite_url}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
    ]
    if organizer_email:
        lines.append(f"ORGANIZER:mailto:{organizer_email}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def parse_invitees(text: str) -> list[str]:
    """Addresses separated by commas, semicolons, spaces or new lines; ``ValidationError`` for a
    bad one or too many."""
    emails = list(dict.fromkeys(e.strip().lower() for e in re.split(r"[\s,;]+", text or "") if e.strip()))
    if not emails:
        raise ValidationError("Enter at least one email address.")
    if len(emails) > MAX_INVITEES:
        raise ValidationError(f"At most {MAX_INVITEES} addresses at once.")
    for email in emails:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(f"“{email}” is not an email address.") from None
    return emails


def invitations_send(*, meeting: Meeting, emails: list[str], invite_url: str, sender) -> int:
    """One message per invitee (no one sees the others' addresses); returns how many were sent."""
    sender_name = (getattr(sender, "full_name", "") or sender.email).strip()
    ics = meeting_ics(meeting, invite_url=invite_url, organizer_email=sender.email)
    sent = 0
    for email in emails:
        message = tenant_mail_build(
            tenant=meeting.tenant, to=[email], reply_to=[sender.email],
            subject=f"Invitation: {meeting.title}", template="email/invitation",
            context={"meeting": meeting, "invite_url": invite_url, "sender_name": sender_name},
        )
        message.attach("invite.ics", ics, "text/calendar; method=REQUEST; charset=utf-8")
        sent += message.send()
    return sent
