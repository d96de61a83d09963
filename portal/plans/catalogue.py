"""What each plan includes, and the one function that decides what a tenant may use.

A *feature* is a product capability (``whiteboard``, ``transcripts``…); a *plan* is a named
set of features plus limits. ``plan_allows(tenant, feature)`` is the only place that answers
"may this tenant use X": REST permissions (``portal.plans.api``), the room-socket event
registry (``realtime.dispatch``), the recording socket and the pages (``portal.plans.web``)
all ask it. Adding a plan is one ``Plan`` entry below; adding a feature is one ``Feature``
entry and naming it in the plans that include it.

A declaration may also name a plan instead of a feature (``"essential"``): "part of that
plan and every plan above it" — what views and events that every plan has declare.
"""

from dataclasses import dataclass, field, fields

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ESSENTIAL = "essential"
PROFESSIONAL = "professional"

GIB = 1024 ** 3


@dataclass(frozen=True)
class Feature:
    code: str
    label: str
    reaches: str                    # where the feature is reachable in Parley today
    archive: bool = False           # what it stored stays readable after a downgrade


FEATURES: dict[str, Feature] = {f.code: f for f in (
    # Essential: "everything you need to run a normal meeting".
    Feature("meetings", "Create and join meetings",
            "rooms, meetings, room tokens, invites, the meet socket, the meetingId event"),
    Feature("audio_video", "Audio and video", "WebRTC signalling, video-off, device-switch"),
    Feature("chat", "Text chat", "chat-box"),
    Feature("participant_controls", "Participant controls",
            "request-mic and its answers, mute, mute all, remove"),
    Feature("screen_sharing", "Screen sharing", "sharing-toggle"),
    Feature("recording", "Basic recording",
            "REST recording start/stop/list/file, the recording socket, the recording event",
            archive=True),
    Feature("files", "Room files", "REST room file upload, download and delete"),
    Feature("live_selling", "Live selling", "sell-live, product-selected"),
    Feature("analytics", "Basic analytics",
            "reporting: total sessions, sessions per day and domain, sessions by type"),
    # Professional: "builds on Essential with AI features".
    Feature("noise_suppression", "Noise suppression", "(browser feature, not built yet)"),
    Feature("enhanced_chat", "Enhanced chat", "(replies, reactions, private messages: not built yet)"),
    Feature("captions", "Real-time captions", "GET /api/get-speech-token, the transcript event"),
    Feature("transcripts", "Transcripts",
            "start-transcript, POST /send-transcript, GET /view-transcript, transcriptEnabled "
            "on meetings", archive=True),
    Feature("summaries", "Summaries",
            "POST /transcription/generate-summary, GET /meeting/<id>/summary", archive=True),
    Feature("whiteboard", "Interactive whiteboard and annotation",
            "whiteBoardToggle, whiteBoardStateRequest, white-board-stage, sendDrawingData, Un-do, "
            "clear-whiteBoard, annotation"),
    Feature("virtual_backgrounds", "Virtual backgrounds", "(browser feature, not built yet)"),
    Feature("speaker_tagging", "Speaker tagging", "(not built yet)"),
    Feature("advanced_analytics", "Advanced analytics",
            "reporting: sessions by location, sessions and participants by city"),
)}


@dataclass(frozen=True)
class Limits:
    """Per-plan ceilings; ``None`` means no ceiling."""

    max_participants: int | None    # people in one room at once (hosts never refused)
    recording_minutes: int | None   # minutes of recording per calendar month (UTC)
    storage_bytes: int | None       # room files kept at once


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    features: frozenset[str]
    limits: Limits
    blurb: str = ""
    includes: tuple[str, ...] = field(default=())  # lower plans whose features this one has


_ESSENTIAL_FEATURES = frozenset({
    "meetings", "audio_video", "chat", "participant_controls", "screen_sharing", "recording", "files",
    "live_selling", "analytics",
})
_PROFESSIONAL_FEATURES = _ESSENTIAL_FEATURES | {
    "noise_suppression", "enhanced_chat", "captions", "transcripts", "summaries", "whiteboard",
    "virtual_backgrounds", "speaker_tagging", "advanced_analytics",
}

#: In order, cheapest first.
PLANS: dict[str, Plan] = {p.code: p for p in (
    Plan(ESSENTIAL, "Essential", _ESSENTIAL_FEATURES,
         Limits(max_participants=50, recording_minutes=600, storage_bytes=2 * GIB),
         "Everything you need to run a normal meeting."),
    Plan(PROFESSIONAL, "Professional", _PROFESSIONAL_FEATURES,
         Limits(max_participants=300, recording_minutes=6000, storage_bytes=50 * GIB),
         "Essential plus captions, transcripts, summaries, the whiteboard and advanced analytics.",
         includes=(ESSENTIAL,)),
)}

PLAN_CHOICES = [(p.code, p.name) for p in PLANS.values()]

for _plan in PLANS.values():
    if not _plan.features <= FEATURES.keys():
        raise ImproperlyConfigured(f"plan {_plan.code} names unknown features")
    if any(not PLANS[lower].features <= _plan.features for lower in _plan.includes):
        raise ImproperlyConfigured(f"plan {_plan.code} lacks features of a plan it includes")


def default_plan_code() -> str:
    """The plan a new tenant starts on: ``PARLEY_DEFAULT_PLAN`` (Professional unless set)."""
    return settings.PARLEY_DEFAULT_PLAN


def feature_known(code: str) -> bool:
    """A declaration is a feature of the catalogue or a plan (meaning "everything in it")."""
    return code in FEATURES or code in PLANS


def plan_of(tenant) -> Plan:
    """The tenant's plan (the ``plan`` field already loaded on it: no query)."""
    return PLANS.get(getattr(tenant, "plan", None) or "", PLANS[ESSENTIAL])


def plan_allows(tenant, feature: str, *, existing: bool = False) -> bool:
    """May ``tenant`` use ``feature``? The one answer every entry point asks.

    ``existing=True`` asks about *reading what is already stored* (old transcripts,
    summaries, recordings): that stays allowed on every plan after a downgrade for
    features marked ``archive``, while making anything new needs the plan. An unknown
    feature is a programming error (``KeyError``), never a silent yes.
    """
    if tenant is None:
        return False
    if feature in PLANS:
        return PLANS[feature].features <= plan_of(tenant).features
    spec = FEATURES[feature]
    if existing and spec.archive:
        return True
    return feature in plan_of(tenant).features


def plan_for_feature(feature: str) -> Plan:
    """The cheapest plan that includes ``feature``."""
    if feature in PLANS:
        return PLANS[feature]
    return next(p for p in PLANS.values() if feature in p.features)


class PlanRequired(Exception):
    """The tenant's plan does not include a feature. REST answers 403, sockets an error frame."""

    code = "plan_required"

    def __init__(self, *, tenant, feature: str):
        self.feature = feature
        self.plan = plan_of(tenant)
        self.required = plan_for_feature(feature)
        label = FEATURES[feature].label if feature in FEATURES else self.required.name
        self.detail = (
            f"{label} is part of the {self.required.name} plan; this site is on {self.plan.name}."
        )
        super().__init__(self.detail)

    def as_body(self) -> dict:
        return {"detail": self.detail, "code": self.code, "plan": self.required.code,
                "currentPlan": self.plan.code, "feature": self.feature}


def plan_require(tenant, feature: str, *, existing: bool = False) -> None:
    """``plan_allows`` or raise ``PlanRequired``."""
    if not plan_allows(tenant, feature, existing=existing):
        raise PlanRequired(tenant=tenant, feature=feature)


def plan_summary(tenant) -> dict:
    """What clients are told about the plan (room_state, page config): its code, name and
    the features it has."""
    plan = plan_of(tenant)
    return {"code": plan.code, "name": plan.name, "features": sorted(plan.features)}


# --- Limits -----------------------------------------------------------------------------------------
#: Limit name → the Tenant field that overrides the plan's value for one tenant (empty: the plan's).
LIMIT_OVERRIDES = {
    "max_participants": "limit_max_participants",
    "recording_minutes": "limit_recording_minutes",
    "storage_bytes": "limit_storage_bytes",
}
LIMIT_LABELS = {
    "max_participants": "People in one room",
    "recording_minutes": "Recording minutes per month",
    "storage_bytes": "Room file storage",
}


def plan_limits(tenant) -> Limits:
    """The tenant's limits: its plan's, with the tenant's own overrides (set by a superuser)."""
    base = plan_of(tenant).limits
    values = {}
    for f in fields(Limits):
        override = getattr(tenant, LIMIT_OVERRIDES[f.name], None)
        values[f.name] = override if override is not None else getattr(base, f.name)
    return Limits(**values)


class PlanLimitReached(Exception):
    """A counted limit of the tenant's plan is used up. REST answers 403 ``plan_limit``."""

    code = "plan_limit"

    def __init__(self, *, tenant, limit: str, allowed: int, used: int, detail: str):
        self.plan = plan_of(tenant)
        self.limit, self.allowed, self.used, self.detail = limit, allowed, used, detail
        super().__init__(detail)

    def as_body(self) -> dict:
        return {"detail": self.detail, "code": self.code, "plan": self.plan.code, "limit": self.limit,
                "allowed": self.allowed, "used": self.used}
