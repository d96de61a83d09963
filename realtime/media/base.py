"""What Parley needs from a media server (an SFU), whichever one it is.

``realtime.media.janus`` implements this for Janus' VideoRoom plugin; nothing outside it
speaks Janus' API. A second SFU (mediasoup, LiveKit, …) would implement the same three
objects: a ``MediaServer`` (rooms, recording), and per connected person a ``MediaPeer``
(one upstream "publisher" connection, one downstream "subscriber" connection carrying every
stream this person receives).

Identifiers: a *room ref* is the server-side room (an opaque dict Parley stores in its room
meta, e.g. ``{"id": 123, "secret": "…"}`` for Janus); a *feed* is one person's published
upstream, named by an integer the server assigns. Browsers see feed ids, never room refs.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


class MediaServerError(Exception):
    """The media server refused a request (``code`` names why, for the client's error frame)."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


class MediaServerLost(MediaServerError):
    """The media server cannot be reached (died, restarting, network)."""

    def __init__(self, detail: str = "The media server is unavailable."):
        super().__init__("media_unavailable", detail)


@dataclass
class SubscriberOffer:
    """An SDP offer for the subscriber connection and what each of its m-lines carries:
    ``streams`` = [{"mid", "feed", "kind" ("audio"|"video"), "description", "active"}]."""

    jsep: dict
    streams: list[dict] = field(default_factory=list)


@dataclass
class PeerEvents:
    """Callbacks a ``MediaPeer`` calls (each an ``async def``)."""

    talking: Callable[[bool], Awaitable[None]]          # this person's audio level crossed the threshold
    offer: Callable[[SubscriberOffer], Awaitable[None]]  # an unrequested subscriber renegotiation
    state: Callable[[str, str], Awaitable[None]]        # ("publisher"|"subscriber", "up"|"down")
    candidate: Callable[[str, dict | None], Awaitable[None]]  # the server's ICE candidate for the browser


class MediaPeer:
    """One person on the media server: their upstream and their downstream."""

    feed: int | None  # set once publishing

    async def publish(self, jsep: dict, *, descriptions: list[dict]) -> tuple[dict, list[dict]]:
        """Offer → (answer, published streams [{"mid", "kind", "description"}])."""
        raise NotImplementedError

    async def unpublish(self) -> None:
        raise NotImplementedError

    async def subscribe(self, streams: dict[int, list[str]]) -> SubscriberOffer | None:
        """Add these streams (feed → its mids; already checked to be this room's) to the
        downstream, skipping those already in it; the new offer, or ``None`` if nothing new."""
        raise NotImplementedError

    async def answer(self, jsep: dict) -> None:
        """The browser's answer to the last subscriber offer."""
        raise NotImplementedError

    async def trickle(self, target: str, candidate: dict | None) -> None:
        """An ICE candidate (``None``: gathering complete) for "publisher" or "subscriber"."""
        raise NotImplementedError

    async def request_keyframe(self) -> None:
        """Have the server ask this person's browser for a key frame now (a recording starts)."""
        raise NotImplementedError

    async def set_layer(self, mid: str, layer: int) -> None:
        """Simulcast: which layer (0 = lowest) of the stream at ``mid`` to forward."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class MediaServer:
    """One media server. ``sid`` identifies it in Parley's room meta."""

    sid: str

    @property
    def up(self) -> bool:
        raise NotImplementedError

    async def connect(self) -> None:
        raise NotImplementedError

    def new_room_ref(self) -> dict:
        """A fresh, unguessable server-side room identity (stored in the room meta)."""
        raise NotImplementedError

    async def ensure_room(self, ref: dict, *, recording_dir: str | None = None) -> None:
        """Create the room if it does not exist (idempotent); record into ``recording_dir``."""
        raise NotImplementedError

    async def destroy_room(self, ref: dict) -> None:
        raise NotImplementedError

    async def set_recording(self, ref: dict, *, directory: str | None) -> None:
        """Record every feed of the room into ``directory`` (``None``: stop recording)."""
        raise NotImplementedError

    async def peer(self, ref: dict, *, display: str, events: PeerEvents) -> MediaPeer:
        raise NotImplementedError
