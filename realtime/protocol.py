"""The room socket's one event registry.

Each client event is one ``Event`` entry: the plan feature it belongs to
(``portal.plans.catalogue``; the dispatcher refuses it with ``plan_required`` where the
tenant's plan lacks it), its payload fields, who may send it, how it is routed, and the
hooks that give it effects (``prepare`` runs before the relay and may
refuse it; ``after`` runs after the relay — state and persistence, so neither the
database nor the shared store delays the frame on its way to the room). The consumer
looks events up here; there is no per-event branching anywhere else.

Frames that only the server sends (``room_state``, ``room_connected``,
``room_disconnected``, ``view_count``, ``error``, ``white-board-strokes``, ``degraded``,
``recovered``) are listed in ``SERVER_EVENTS`` for the
documentation and are refused when a client sends them.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property

from portal.plans.catalogue import feature_known
from realtime import handlers as h
from realtime.chatlog import commit as commit_line
from realtime.frames import EventError
from realtime.media import events as media

# Who may send an event.
ANYONE = "any"          # every role
MEMBER = "member"       # hosts and participants, not viewers
HOST = "host"           # hosts only
SENDERS = {ANYONE: {"host", "participant", "viewer"}, MEMBER: {"host", "participant"}, HOST: {"host"}}

# Where an accepted event goes.
ROOM = "room"           # everyone in the room, the sender included
OTHERS = "others"       # everyone but the sender
HOSTS = "hosts"         # the room's hosts
TARGET = "one"          # one participant, named by the event's ``target`` field
REPLY = "reply"         # back to the sender only (an answer from the server)


_KIND_NAMES = {str: "a string", bool: "a boolean", dict: "an object", list: "an array", "number": "a number"}


@dataclass(frozen=True)
class Field:
    kind: type | str                      # str, bool, dict, list or "number"
    required: bool = True
    max_len: int | None = None            # strings
    alias: str | None = None              # the seed's name for it, also accepted on input
    fields: dict | None = None            # nested object: its own required fields

    def accepts(self, value) -> bool:
        if self.kind == "number":
            return isinstance(value, int | float) and not isinstance(value, bool)
        if self.kind is dict:
            return isinstance(value, dict)
        return type(value) is self.kind

    def check(self, name: str, value):
        if not self.accepts(value):
            raise EventError("invalid_payload", f"'{name}' must be {_KIND_NAMES[self.kind]}.")
        if self.kind is str:
            if not value.strip() and self.required:
                raise EventError("invalid_payload", f"'{name}' may not be blank.")
            if self.max_len is not None and len(value) > self.max_len:
                raise EventError("invalid_payload", f"'{name}' is longer than {self.max_len} characters.")
        if self.fields:
            for sub, spec in self.fields.items():
                if sub in value:
                    spec.check(f"{name}.{sub}", value[sub])
                elif spec.required:
                    raise EventError("invalid_payload", f"'{name}.{sub}' is required.")
        return value


Hook = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class Event:
    name: str
    sender: str
    route: str | None
    summary: str
    fields: dict[str, Field] = field(default_factory=dict)
    target: str | None = None             # the field naming a participant who must be in the room
    stamp_msg: bool = False               # whiteboard: the server sets msg.socketId and msg.room_id
    prepare: Hook | None = None
    after: Hook | None = None
    # Stored before relayed, in batches: ``commit(conn, frame, route)`` queues the stamped frame
    # and relays it itself once stored (``realtime.chatlog``); replaces the relay of the walk.
    commit: Callable[[object, dict, str], Awaitable[None]] | None = None
    persists: str = ""
    example: dict = field(default_factory=dict)
    feature: str = ""                     # the plan feature (portal.plans) the event belongs to

    @cached_property
    def seed_id(self) -> str | None:
        """The field the seed calls ``id`` (the participant answered, the old stream, the
        product), if this event has one: relayed as ``id`` too, the sender as ``senderId``."""
        return next((name for name, spec in self.fields.items() if spec.alias == "id"), None)

    def may_send(self, role: str) -> bool:
        return role in SENDERS[self.sender]

    def validate(self, frame: dict) -> dict:
        """The declared fields of ``frame``, checked; anything undeclared is dropped."""
        clean = {}
        for name, spec in self.fields.items():
            if name in frame:
                value = frame[name]
            elif spec.alias and spec.alias in frame:
                value = frame[spec.alias]
            elif spec.required:
                raise EventError("invalid_payload", f"'{name}' is required.")
            else:
                continue
            clean[name] = spec.check(name, value)
        return clean


REGISTRY: dict[str, Event] = {}


def register(event: Event) -> Event:
    if event.name in REGISTRY:
        raise ValueError(f"event {event.name!r} is registered twice")
    if not feature_known(event.feature):
        raise ValueError(f"event {event.name!r} declares no plan feature (or an unknown one)")
    if event.route == TARGET and event.target is None:
        raise ValueError(f"event {event.name!r} routes to one participant but names no target field")
    REGISTRY[event.name] = event
    return event


SERVER_EVENTS = ("room_state", "room_connected", "room_disconnected", "view_count", "error",
                 "white-board-strokes", "degraded", "recovered", "chat-ack", "transcript-ack",
                 "meeting-ended",
                 # the media plane (docs/media.md)
                 "media-path", "sfu-answer", "sfu-offer", "sfu-candidate", "sfu-feed", "sfu-state",
                 "sfu-unpublished",
                 "speaking")

TEXT = 5000
ID = 64
USER_ID = {"userId": Field(str, max_len=ID)}
WB_MSG = Field(dict, required=False)

for _event in (
    Event("chat-box", ANYONE, OTHERS, "Chat message.",
          {"msg": Field(str, max_len=TEXT), "clientId": Field(str, required=False, max_len=ID)},
          commit=commit_line, persists="ChatMessage (room, current meeting), in batches; relayed with "
          "its messageId once stored; acknowledged with chat-ack when the frame carries clientId",
          example={"msg": "Hello everyone!"}, feature="chat"),
    Event("request-mic", ANYONE, HOSTS, "Ask the hosts for the floor.", after=h.hand_raise,
          feature="participant_controls"),
    Event("lower-hand", ANYONE, HOSTS, "The sender lowers their raised hand (Parley's addition).",
          after=h.hand_self_lower, feature="participant_controls"),
    Event("request-mic-accepted", HOST, TARGET, "Host grants a mic request.",
          # the grant is stored before the viewer hears of it: its mic-accepted-ack may follow at once
          {"userId": Field(str, max_len=ID, alias="id")}, target="userId", prepare=h.mic_granted,
          feature="participant_controls"),
    Event("request-mic-rejected", HOST, TARGET, "Host declines a mic request.",
          {"userId": Field(str, max_len=ID, alias="id")}, target="userId", after=h.hand_lower,
          feature="participant_controls"),
    Event("mic-accepted-ack", ANYONE, OTHERS, "The granted participant now publishes a new stream.",
          {"oldId": Field(str, required=False, max_len=ID, alias="id"), "newId": Field(str, max_len=ID)},
          after=h.stream_changed, example={"newId": "stream-2"}, feature="participant_controls"),
    Event("mute-mic-request", HOST, ROOM, "Host mutes or unmutes one participant.",
          {**USER_ID, "muted": Field(bool)}, target="userId", after=h.mute_set,
          example={"muted": True}, feature="participant_controls"),
    Event("mute-participant", HOST, ROOM, "Host mutes one participant.", USER_ID, target="userId",
          prepare=h.mark_muted, after=h.mute_set, feature="participant_controls"),
    Event("remove-participant", HOST, ROOM, "Host removes a participant: its sockets close, "
          "its token cannot rejoin.", USER_ID, target="userId", prepare=h.removal_prepare,
          after=h.removal_close, persists="RoomTokenRevocation", feature="participant_controls"),
    Event("mute-all-participants", HOST, ROOM, "Host mutes everyone but the hosts.", after=h.mute_all,
          feature="participant_controls"),
    Event("video-off", ANYONE, OTHERS, "Camera on (true) or off (false).", {"videoFlag": Field(bool)},
          after=h.video_set, example={"videoFlag": False}, feature="audio_video"),
    Event("device-switch", ANYONE, OTHERS, "The sender switched camera or microphone.",
          feature="audio_video"),
    Event("sharing-toggle", ANYONE, OTHERS, "Screen sharing on or off.", {"flag": Field(bool)},
          after=h.sharing_set, example={"flag": True}, feature="screen_sharing"),
    Event("product-selected", ANYONE, OTHERS, "A viewer selects a product (live selling); a host's "
          "selection is the product on show, kept for late joiners.",
          {"productId": Field(str, max_len=ID, alias="id"), "name": Field(str, required=False, max_len=200),
           "price": Field(str, required=False, max_len=32)},
          after=h.product_set, example={"productId": "sku-1", "name": "Blue mug", "price": "12 EUR"},
          feature="live_selling"),
    Event("sell-live", HOST, OTHERS, "Host starts (or, with flag false, stops) live selling.",
          {"flag": Field(bool, required=False)}, after=h.sell_live_set, feature="live_selling"),
    Event("recording", HOST, OTHERS, "Host starts (true) or stops (false) recording.",
          {"togglingFlag": Field(bool), "recordingId": Field(str, required=False, max_len=100)},
          after=h.recording_set, example={"togglingFlag": True, "recordingId": "rec123"},
          feature="recording"),
    Event("whiteBoardToggle", HOST, OTHERS, "Host turns the whiteboard on or off.",
          {"msg": Field(dict, fields={"flag": Field(bool)})}, stamp_msg=True, after=h.whiteboard_toggle,
          example={"msg": {"flag": True}}, feature="whiteboard"),
    Event("whiteBoardStateRequest", ANYONE, REPLY, "Ask for the whiteboard; the server answers with "
          "white-board-stage carrying the stage and the strokes since.", {"msg": WB_MSG},
          prepare=h.whiteboard_state, feature="whiteboard"),
    Event("white-board-stage", MEMBER, OTHERS, "The whole canvas (Konva stage JSON); strokes restart.",
          {"msg": Field(dict, fields={"stage": Field(dict)})}, stamp_msg=True, after=h.whiteboard_stage,
          persists="whiteboard stage (shared store)",
          example={"msg": {"stage": {"attrs": {}, "children": []}}}, feature="whiteboard"),
    Event("sendDrawingData", MEMBER, OTHERS, "One drawing action (stroke start/move/end, erase).",
          {"msg": Field(dict, fields={"drawingType": Field(str, max_len=32), "payload": Field(dict)})},
          stamp_msg=True, after=h.whiteboard_stroke, persists="whiteboard strokes (shared store)",
          example={"msg": {"drawingType": "mousedown", "payload": {"pos": {"x": 1, "y": 2}}}},
          feature="whiteboard"),
    Event("Un-do", MEMBER, OTHERS, "Remove the latest stroke.", {"msg": WB_MSG}, stamp_msg=True,
          after=h.whiteboard_undo, feature="whiteboard"),
    Event("clear-whiteBoard", MEMBER, OTHERS, "Remove every stroke and the stage.", {"msg": WB_MSG},
          stamp_msg=True, after=h.whiteboard_clear, feature="whiteboard"),
    Event("transcript", ANYONE, OTHERS, "A line of live transcript.",
          {"msg": Field(str, max_len=TEXT), "clientId": Field(str, required=False, max_len=ID)},
          commit=commit_line, persists="TranscriptEntry (if the meeting has transcripts on), in batches, "
          "before the relay; transcript-ack when the frame carries clientId",
          example={"msg": "This is the transcript text."}, feature="captions"),
    Event("annotation", MEMBER, OTHERS, "Annotation on shared content.", {"msg": Field(dict)},
          example={"msg": {"shape": "arrow"}}, feature="whiteboard"),
    Event("meetingId", HOST, OTHERS, "Host announces the meeting this room is holding.",
          {"meetingId": Field(str, max_len=ID)}, prepare=h.meeting_check, after=h.meeting_set,
          example={"meetingId": "<meeting id>"}, feature="meetings"),
    Event("stop-transcript", HOST, OTHERS, "Host stops live captions for the room (Parley's addition; "
          "the meeting's stored transcript stays).", after=h.transcript_stopped, feature="transcripts"),
    Event("start-transcript", HOST, OTHERS, "Host starts transcription: live captions for the room, "
          "and the meeting keeps its transcript from now on.",
          {"meetingId": Field(str, required=False, max_len=ID),
           "meetingTitle": Field(str, required=False, max_len=200)},
          prepare=h.transcript_start, after=h.transcript_started,
          persists="Meeting.transcript_enabled = true",
          example={"meetingTitle": "Weekly Sync"}, feature="transcripts"),
    Event("end-meeting", HOST, None, "Host ends the meeting for everyone (Parley's addition): the "
          "meeting is marked ended, the room gets meeting-ended and every socket closes with 4410; "
          "no one joins it again.", prepare=h.meeting_end, persists="Meeting.ended_at",
          feature="meetings"),
    Event("file-shared", MEMBER, OTHERS, "The sender uploaded a room file (REST) — the others "
          "refresh their file list from the room's file API (Parley's addition).",
          {"filename": Field(str, max_len=255), "name": Field(str, required=False, max_len=255)},
          example={"filename": "<roomId>_notes.pdf", "name": "notes.pdf"}, feature="files"),
    Event("signal", ANYONE, TARGET, "WebRTC signalling to one participant; delivered with 'from'.",
          {"to": Field(str, max_len=ID), "data": Field(dict)}, target="to", prepare=h.signal_from,
          example={"data": {"sdp": "v=0"}}, feature="audio_video"),
):
    register(_event)

# The media plane: SFU signalling relayed by Parley (realtime.media; docs/media.md). Answers go
# to the sender only; feeds, speaking and path changes are announced by the server.
JSEP = Field(dict, fields={"type": Field(str, max_len=16), "sdp": Field(str, max_len=60_000)})
for _event in (
    Event("sfu-publish", ANYONE, REPLY, "Send your camera/screen to the media server: an SDP offer, "
          "answered with sfu-answer. Viewers only after a host accepted them.",
          {"jsep": JSEP, "descriptions": Field(list, required=False)}, prepare=media.sfu_publish,
          feature="audio_video",
          example={"jsep": {"type": "offer", "sdp": "v=0"},
                   "descriptions": [{"mid": "1", "description": "camera"}]}),
    Event("sfu-unpublish", ANYONE, REPLY, "Stop sending to the media server.", prepare=media.sfu_unpublish,
          feature="audio_video"),
    Event("sfu-subscribe", ANYONE, REPLY, "Receive feeds published in this room; answered with sfu-offer.",
          {"feeds": Field(list)}, prepare=media.sfu_subscribe, example={"feeds": [1234]},
          feature="audio_video"),
    Event("sfu-answer", ANYONE, None, "The SDP answer to the last sfu-offer.", {"jsep": JSEP},
          prepare=media.sfu_answer, example={"jsep": {"type": "answer", "sdp": "v=0"}},
          feature="audio_video"),
    Event("sfu-trickle", ANYONE, None, "An ICE candidate for the publisher or subscriber connection "
          "(no candidate: gathering complete).",
          {"target": Field(str, max_len=16), "candidate": Field(dict, required=False, fields={
              "candidate": Field(str, max_len=1000, required=False),
              "sdpMid": Field(str, max_len=16, required=False),
              "sdpMLineIndex": Field("number", required=False)})},
          prepare=media.sfu_trickle, feature="audio_video",
          example={"target": "publisher",
                   "candidate": {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host", "sdpMid": "0"}}),
    Event("sfu-layer", ANYONE, None, "Simulcast: which layer (0 low … 2 high) of a received video to get.",
          {"mid": Field(str, max_len=16), "layer": Field("number")}, prepare=media.sfu_layer,
          example={"mid": "1", "layer": 0}, feature="audio_video"),
    Event("sfu-keyframe", ANYONE, None, "Ask for a key frame of your own upstream now (the SDK sends it "
          "when a recording starts, so the recording's video starts at once).", prepare=media.sfu_keyframe,
          feature="audio_video"),
    Event("sfu-record", HOST, REPLY, "Host starts (true) or stops (false) recording on the media server.",
          {"record": Field(bool)}, prepare=media.sfu_record, persists="Recording (video_type 'sfu')",
          feature="recording",
          example={"record": True}),
):
    register(_event)
