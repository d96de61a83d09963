"""Utterances out of a live PCM stream: PocketSphinx's voice-activity endpointer (WebRTC VAD
with a smoothing window) marks where speech starts and ends; an utterance longer than the
limit is cut so captions keep up with someone who never pauses."""

from pocketsphinx import Endpointer

from meetings.speech import SAMPLE_BYTES, SAMPLE_RATE


class Segmenter:
    def __init__(self, *, max_seconds: float, window: float = 0.3):
        self._window = window
        self._ep = Endpointer(window=window, sample_rate=SAMPLE_RATE)
        self._frame_bytes = self._ep.frame_bytes
        self._pending = bytearray()
        self._speech = bytearray()
        self._max_bytes = int(max_seconds * SAMPLE_RATE) * SAMPLE_BYTES

    def feed(self, pcm: bytes) -> list[bytes]:
        """Add PCM (any length, whole samples); return the utterances it completed."""
        self._pending += pcm
        done = []
        fb = self._frame_bytes
        while len(self._pending) >= fb:
            frame = bytes(self._pending[:fb])
            del self._pending[:fb]
            speech = self._ep.process(frame)
            if speech is not None:
                self._speech += speech
                if not self._ep.in_speech or len(self._speech) >= self._max_bytes:
                    done.append(bytes(self._speech))
                    self._speech.clear()
        return done

    def flush(self) -> bytes | None:
        """The utterance in progress, if any (the speaker muted or left)."""
        if self._ep.in_speech:
            rest = self._ep.end_stream(bytes(self._pending[: self._frame_bytes]))
            if rest:
                self._speech += rest
        self._pending.clear()
        self._ep = Endpointer(window=self._window, sample_rate=SAMPLE_RATE)  # a stream ends once
        utterance = bytes(self._speech)
        self._speech.clear()
        return utterance or None
