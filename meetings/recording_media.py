"""ffmpeg/ffprobe for recordings: probe the tracks a browser streamed (WebM, often without a
duration), scale each to one frame size (letterboxed, keeping aspect), and join them into one
MP4 (H.264/AAC, fast start).

Every call is bounded: ``keep_alive`` is called while a tool runs (the caller renews its lease
there and may raise to abort), and ``RECORDING_FFMPEG_TIMEOUT_SECONDS`` caps each run.
Failures the user should read (tool missing, unreadable input) are ``MediaError``.
"""

import json
import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

AUDIO_RATE = 48000
FRAME_RATE = 30
MAX_SIDE = 1920
POLL_SECONDS = 0.5


class MediaError(Exception):
    """A processing failure with a message fit for the recording's ``error`` field."""


@dataclass(frozen=True)
class TrackInfo:
    path: Path
    label: str
    width: int | None
    height: int | None
    has_audio: bool

    @property
    def has_video(self) -> bool:
        return bool(self.width and self.height)


def ffmpeg_binary() -> str:
    return settings.RECORDING_FFMPEG


def ffprobe_binary() -> str:
    return settings.RECORDING_FFPROBE


def _timeout() -> float:
    return float(settings.RECORDING_FFMPEG_TIMEOUT_SECONDS)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """A worker killed with SIGKILL takes its ffmpeg with it (Linux), instead of leaving an
    orphan that keeps burning CPU on a job another worker is about to redo."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: S110 - best effort: not Linux, no libc
        pass


def run_tool(args: list[str], *, keep_alive: Callable[[], None] = lambda: None, complaints=None) -> str:
    """Run ffmpeg/ffprobe; return stdout. Raise ``MediaError`` with the tool's last words.
    ``complaints``: a list that gets the tool's error lines of a run that still succeeded
    (ffmpeg decodes a truncated file up to where it ends, says so, and exits 0)."""
    tool = args[0]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                args, stdin=subprocess.DEVNULL, stdout=out, stderr=err, preexec_fn=_die_with_parent,
            )
        except FileNotFoundError:
            raise MediaError(
                f"{Path(tool).name} is not installed (looked for {tool!r}); "
                "install it with `apt-get install ffmpeg`."
            ) from None
        except PermissionError:
            raise MediaError(f"{tool!r} cannot be executed (permission denied).") from None
        deadline = time.monotonic() + _timeout()
        try:
            while True:
                try:
                    proc.wait(timeout=POLL_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() > deadline:
                        raise MediaError(f"{Path(tool).name} took longer than {_timeout():.0f}s.") from None
                    keep_alive()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0:
        last = [line for line in stderr.strip().splitlines() if line.strip()][-3:]
        raise MediaError(f"{Path(tool).name} failed: {' / '.join(last) or f'exit {proc.returncode}'}")
    if complaints is not None:
        complaints.extend(line.strip() for line in stderr.splitlines() if line.strip())
    return stdout


_PATH = re.compile(r"(?<![\w.])(?:[A-Za-z]:)?(?:[\\/][^\s\\/'\"<>|:,;()]+)+[\\/]?")


def without_paths(text: str) -> str:
    """``text`` with every absolute path cut to its last component: a reason shown to users
    never reveals where the server keeps its files (``/srv/…/recordings-spool/3/x/y.webm`` →
    ``y.webm``)."""
    return _PATH.sub(lambda m: m.group(0).rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1], text)


def probe_track(path: Path, label: str, *, keep_alive=lambda: None) -> TrackInfo:
    try:
        raw = run_tool(
            [ffprobe_binary(), "-v", "error", "-show_entries", "stream=codec_type,width,height",
             "-of", "json", str(path)],
            keep_alive=keep_alive,
        )
    except MediaError as exc:
        if "not installed" in str(exc) or "cannot be executed" in str(exc):
            raise
        raise MediaError(f"Track {label!r} is not a readable media file ({exc}).") from None
    streams = json.loads(raw or "{}").get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video" and s.get("width")), None)
    has_audio = any(s.get("codec_type") == "audio" for s in streams)
    if video is None and not has_audio:
        raise MediaError(f"Track {label!r} contains neither audio nor video.")
    return TrackInfo(
        path=path, label=label, width=video and int(video["width"]), height=video and int(video["height"]),
        has_audio=has_audio,
    )


def duration_of(path: Path, *, keep_alive=lambda: None) -> float:
    raw = run_tool(
        [ffprobe_binary(), "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
        keep_alive=keep_alive,
    )
    try:
        return float(json.loads(raw)["format"]["duration"])
    except (KeyError, ValueError, TypeError):
        raise MediaError(f"Could not read the duration of {path.name}.") from None


def frame_size(tracks: list[TrackInfo]) -> tuple[int, int]:
    """The output frame: the largest track's, capped at MAX_SIDE, even (H.264 needs it)."""
    videos = [t for t in tracks if t.has_video]
    if not videos:
        return 640, 360
    biggest = max(videos, key=lambda t: t.width * t.height)
    w, h = biggest.width, biggest.height
    scale = min(1.0, MAX_SIDE / max(w, h))
    return max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2)


def _encode_args() -> list[str]:
    return [
        "-c:v", "libx264", "-preset", settings.RECORDING_X264_PRESET,
        "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k",
        "-ar", str(AUDIO_RATE), "-ac", "2", "-video_track_timescale", "90000",
    ]


def normalise_track(track: TrackInfo, size: tuple[int, int], out: Path, *, keep_alive=lambda: None) -> bool:
    """One track → MP4 with the common frame size, frame rate and audio layout. Returns whether
    the track decoded cleanly (``False``: damaged or cut short; what could be read is kept).

    A missing stream is filled in (black picture or silence) for the track's own length, in
    a second pass, because the length of a browser's WebM is only known once decoded.
    """
    w, h = size
    video_chain = (
        f"scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black,"
        f"setsar=1,fps={FRAME_RATE},format=yuv420p"
    )
    audio_chain = f"aresample={AUDIO_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"
    base = [ffmpeg_binary(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    graph, maps = [], []
    if track.has_video:
        graph.append(f"[0:v:0]{video_chain}[v]")
        maps += ["-map", "[v]"]
    if track.has_audio:
        graph.append(f"[0:a:0]{audio_chain}[a]")
        maps += ["-map", "[a]"]
    first = out if (track.has_video and track.has_audio) else out.with_suffix(".part.mp4")
    complaints: list[str] = []
    try:
        run_tool(
            [*base, "-i", str(track.path), "-filter_complex", ";".join(graph), *maps, *_encode_args(),
             str(first)],
            keep_alive=keep_alive, complaints=complaints,
        )
    except MediaError as exc:
        raise MediaError(f"Track {track.label!r} could not be decoded ({exc}).") from None
    if first == out:
        return not complaints
    seconds = f"{duration_of(first, keep_alive=keep_alive):.3f}"
    if track.has_video:
        filler = ["-f", "lavfi", "-t", seconds, "-i", f"anullsrc=r={AUDIO_RATE}:cl=stereo"]
        copy = ["-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy"]
    else:
        filler = ["-f", "lavfi", "-t", seconds, "-i", f"color=c=black:s={w}x{h}:r={FRAME_RATE}"]
        copy = ["-map", "1:v:0", "-map", "0:a:0", "-c:a", "copy"]
    run_tool(
        [*base, "-i", str(first), *filler, *copy, *_encode_args(), "-shortest", str(out)],
        keep_alive=keep_alive,
    )
    first.unlink(missing_ok=True)
    return not complaints


def _tool_missing(exc: MediaError) -> bool:
    return "not installed" in str(exc) or "cannot be executed" in str(exc)


def render(sources: list[tuple[Path, str]], out: Path, *, keep_alive=lambda: None,
           notes: list[str] | None = None) -> float:
    """Scale + letterbox + concatenate the tracks (in order) into ``out``; return its duration.

    A track that cannot be read or decoded is skipped and one that decodes only in part (cut
    short) is kept as far as it goes; each is described in ``notes`` (the recording is then
    *partial*). Only when no track is usable does the whole recording fail."""
    if not sources:
        raise MediaError("The recording has no media to process.")
    notes = notes if notes is not None else []
    tracks, failures = [], []
    for path, label in sources:
        try:
            tracks.append(probe_track(path, label, keep_alive=keep_alive))
        except MediaError as exc:
            if _tool_missing(exc):
                raise
            failures.append(f"{exc} It was skipped.")
    if not tracks:
        raise MediaError(" ".join(failures) or "The recording has no media to process.")
    size = frame_size(tracks)
    work = out.parent
    parts = []
    for index, track in enumerate(tracks):
        part = work / f"part-{index:04d}.mp4"
        try:
            clean = normalise_track(track, size, part, keep_alive=keep_alive)
        except MediaError as exc:
            if _tool_missing(exc):
                raise
            failures.append(f"{exc} It was skipped.")
            part.unlink(missing_ok=True)
            continue
        if not clean:
            notes.append(f"Track {track.label!r} is damaged or cut short; kept what could be decoded.")
        parts.append(part)
    if not parts:
        raise MediaError(" ".join(failures))
    notes[:0] = failures
    listing = work / "parts.txt"
    listing.write_text("".join(f"file '{p.name}'\n" for p in parts))
    run_tool(
        [ffmpeg_binary(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "concat",
         "-safe", "0", "-i", str(listing), "-c", "copy", "-movflags", "+faststart", str(out)],
        keep_alive=keep_alive,
    )
    for part in parts:
        part.unlink(missing_ok=True)
    return duration_of(out, keep_alive=keep_alive)


def spool_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "recordings-spool"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
