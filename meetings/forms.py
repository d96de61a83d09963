"""Forms of the meeting pages: schedule a meeting, join one as a guest."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.utils import timezone

from meetings.models import Room

DURATION_CHOICES = [(15, "15 minutes"), (30, "30 minutes"), (45, "45 minutes"), (60, "1 hour"),
                    (90, "1½ hours"), (120, "2 hours"), (180, "3 hours"), (240, "4 hours")]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _now_to_the_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


class LocalTimeForm(forms.Form):
    """The browser fills ``time_zone`` (IANA name, from Intl) and shows ``datetime-local`` inputs in
    that zone (static/parley/times.js); the server reads them in it. Without JavaScript: UTC."""

    time_zone = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput(
        attrs={"data-time-zone": True}))

    def zone(self):
        name = (self.data.get("time_zone") or "").strip()
        try:
            return ZoneInfo(name) if name else ZoneInfo("UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def clean_scheduled_start(self):
        value = self.cleaned_data["scheduled_start"]
        if value is None:
            return value
        return value.replace(tzinfo=None).replace(tzinfo=self.zone())


class MeetingScheduleForm(LocalTimeForm):
    title = forms.CharField(label="Title", max_length=200)
    scheduled_start = forms.DateTimeField(
        label="Start time", initial=_now_to_the_minute, widget=DateTimeLocalInput(attrs={"data-utc": True}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text="In your time zone.",
    )
    duration_minutes = forms.TypedChoiceField(
        label="Duration", choices=DURATION_CHOICES, coerce=int, initial=60,
    )
    room_type = forms.ChoiceField(
        label="Kind of meeting", initial=Room.Type.MEETING,
        choices=[(Room.Type.MEETING, "Meeting — everyone can talk"),
                 (Room.Type.CONFERENCE, "Conference — everyone can talk"),
                 (Room.Type.WEBINAR, "Webinar — guests watch and ask to speak"),
                 (Room.Type.LIVE, "Live — guests watch and ask to speak")],
    )
    transcript_enabled = forms.BooleanField(label="Enable transcript", required=False)
    is_private = forms.BooleanField(
        label="Private", required=False,
        help_text="Only people signed in to this site can join through the invite link.",
    )


class MeetingEditForm(LocalTimeForm):
    """Edit or reschedule: title, start, duration and transcript."""

    title = forms.CharField(label="Title", max_length=200)
    scheduled_start = forms.DateTimeField(
        label="Start time", widget=DateTimeLocalInput(attrs={"data-utc": True}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text="In your time zone.",
    )
    duration_minutes = forms.TypedChoiceField(label="Duration", choices=DURATION_CHOICES, coerce=int)
    transcript_enabled = forms.BooleanField(label="Enable transcript", required=False)


class InviteForm(forms.Form):
    emails = forms.CharField(
        label="Invite by email", max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "ada@example.com, grace@example.com"}),
        help_text="Each person gets the invite link and a calendar file (.ics).",
    )


class GuestJoinForm(forms.Form):
    user_name = forms.CharField(
        label="Your name", max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "name", "autofocus": True}),
    )

    def clean_user_name(self):
        return " ".join(self.cleaned_data["user_name"].split())
