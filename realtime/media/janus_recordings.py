"""Janus' recording files (``.mjr``, one per recorded stream) → ordinary media files, with
``janus-pp-rec`` (Debian's ``janus-tools``). Part of the Janus implementation of the media
server: the recording worker asks ``export`` for one entry per recorded feed and never
reads a Janus file itself.
"""

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from meetings.recording_media import MediaError, run_tool

# videoroom-<room>-user-<feed>-<µs>-audio-<mid>.mjr (Janus 1.x names each stream's file so).
_STREAM = re.compile(r"^.+-(?P<kind>audio|video)(?:-\w+)?\.mjr(?:\.tmp)?$")
#: A file still named ``.tmp`` (open in Janus) untouched this long is taken as it is
#: (its Janus died before closing it).
STALE_SECONDS = 10.0


@dataclass(frozen=True)
class RecordedStream:
    """One recorded stream (a camera, a screen or a voice) as an ordinary media file;
    ``start`` is when its first packet was written (seconds since the epoch)."""

    path: Path
    kind: str  # "audio" | "video"
    start: float


def _files(directory: Path, *, wait: float, keep_alive) -> list[Path]:
    """The closed recordings in ``directory`` — waiting up to ``wait`` seconds for Janus to close
    files it is still writing, and then taking the ones it evidently abandoned."""
    deadline = time.monotonic() + wait
    while True:
        done = sorted(directory.glob("*.mjr"))
        open_ = sorted(directory.glob("*.mjr.tmp"))
        stale = [p for p in open_ if time.time() - p.stat().st_mtime > STALE_SECONDS]
        if len(stale) == len(open_) or time.monotonic() > deadline:
            return done + stale
        keep_alive()
        time.sleep(0.5)


def _header(path: Path, keep_alive) -> dict:
    raw = run_tool([settings.JANUS_PP_REC, "--json", str(path)], keep_alive=keep_alive)
    try:
        return json.loads(raw.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise MediaError(f"{path.name} is not a Janus recording.") from None


def export(directory: Path, work: Path, *, keep_alive=lambda: None, wait: float = 30.0
           ) -> list[RecordedStream]:
    """Convert every recorded stream in ``directory`` into ``work``, in the order they started."""
    if not directory.is_dir():
        raise MediaError("The media server wrote no recording for this room.")
    streams = []
    for path in _files(directory, wait=wait, keep_alive=keep_alive):
        if _STREAM.match(path.name) is None or path.stat().st_size <= 8:  # 8 bytes: the header alone
            continue
        header = _header(path, keep_alive)
        suffix = {"vp8": ".webm", "vp9": ".webm", "opus": ".opus", "h264": ".mp4"}.get(header.get("c", ""))
        if suffix is None:
            continue
        out = work / f"{path.name.split('.mjr')[0]}{suffix}"
        try:
            run_tool([settings.JANUS_PP_REC, str(path), str(out)], keep_alive=keep_alive)
        except MediaError as exc:
            if "not installed" in str(exc) or "cannot be executed" in str(exc):
                raise MediaError(f"{exc} (janus-pp-rec is in Debian's janus-tools)") from None
            continue  # a stream with no usable packets (e.g. recording stopped at once)
        if not out.exists() or out.stat().st_size == 0:
            continue
        start = float(header.get("u") or header.get("s") or 0) / 1_000_000
        kind = "video" if header.get("t") == "v" else "audio"
        streams.append(RecordedStream(path=out, kind=kind, start=start))
    return sorted(streams, key=lambda s: s.start)
