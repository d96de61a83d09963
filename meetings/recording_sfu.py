"""Recordings made by the media server (``video_type`` "sfu"): their start and finish as
services, and the one step the recording pipeline runs before its usual processing —
composing every recorded feed into one track (a grid of the cameras, the voices mixed, each
feed placed at the moment it started).

The rest is the browser recording's pipeline unchanged (``meetings.recording_pipeline``):
states, the lease, the watchdog, ffmpeg normalisation, storage, list rows and download.
"""

import math
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction

from meetings import recording_media, recording_pipeline
from meetings.models import Recording, RecordingTrack, Room
from meetings.services.recordings import recording_start, recording_stop

SFU_VIDEO_TYPE = "sfu"
TRACK_ID = "sfu-mix"
CELL = (640, 360)
MAX_COLUMNS = 4


def new_recording_id() -> str:
    return f"sfu-{int(time.time() * 1000)}-{secrets.token_hex(4)}"


def recording_dir(*, tenant_id: int, recording_id: str) -> str:
    """Where the media server writes a recording's files (it must share this folder with the
    processing workers). Known before the row exists: the media server starts first."""
    return str(Path(settings.JANUS_RECORDINGS_DIR) / str(tenant_id) / recording_id)


def sfu_recording_start(*, room: Room, recording_id: str, user_id, host_name: str) -> Recording:
    from portal.accounts.models import User

    started_by = User.objects.filter(pk=user_id, tenant_id=room.tenant_id).first() if user_id else None
    return recording_start(room=room, started_by=started_by, recording_id=recording_id,
                           host_name=host_name, video_type=SFU_VIDEO_TYPE)


def sfu_recording_finish(*, tenant_id: int, recording_id: str) -> Recording:
    """Stop the recording and queue its processing (idempotent)."""
    with transaction.atomic():
        recording = (Recording.objects.for_tenant(tenant_id).filter(recording_id=recording_id)
                     .select_for_update().get())
        if not recording.stopped:
            recording = recording_stop(recording=recording)
        recording_pipeline.recording_queue(recording_pk=recording.pk)
    return recording


def compose_track(recording: Recording, *, keep_alive=lambda: None) -> RecordingTrack:
    """The media server's files → one track of ``recording`` (on the spool, as a browser's)."""
    from realtime.media.janus_recordings import export

    spool = recording_media.spool_root() / str(recording.tenant_id) / recording.pk
    spool.mkdir(parents=True, exist_ok=True)
    out = spool / f"{TRACK_ID}.mkv"
    with tempfile.TemporaryDirectory(prefix="parley-sfu-") as work:
        streams = export(Path(_dir(recording)), Path(work), keep_alive=keep_alive)
        if not streams:
            raise recording_media.MediaError("The media server recorded no media for this room.")
        partial = spool / f"{TRACK_ID}.part.mkv"
        recording_media.run_tool(_compose_args(streams, partial), keep_alive=keep_alive)
        partial.replace(out)
    recording_media.fsync_dir(spool)
    track, _ = RecordingTrack.objects.update_or_create(
        tenant_id=recording.tenant_id, recording=recording, video_id=TRACK_ID,
        defaults={"path": str(out.relative_to(settings.MEDIA_ROOT)), "bytes": out.stat().st_size,
                  "closed": True, "position": 0},
    )
    shutil.rmtree(_dir(recording), ignore_errors=True)
    return track


def _dir(recording: Recording) -> str:
    return recording_dir(tenant_id=recording.tenant_id, recording_id=recording.recording_id)


def _compose_args(streams, out: Path) -> list[str]:
    """ffmpeg: every camera and screen in a grid (letterboxed cells, black until a stream
    starts), every voice mixed, each delayed by when it started after the first stream."""
    t0 = streams[0].start
    inputs, graph, videos, audios = [], [], [], []
    w, h = CELL
    for index, stream in enumerate(streams):
        # A simulcast recording changes resolution when the server moves between layers: keep
        # one filter graph (scale absorbs the change) instead of rebuilding it mid-stream.
        inputs += ["-reinit_filter", "0", "-i", str(stream.path)]
        offset = max(0.0, stream.start - t0)
        if stream.kind == "video":
            graph.append(
                f"[{index}:v:0]setpts=PTS-STARTPTS,scale={w}:{h}:force_original_aspect_ratio=decrease,"
                f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,fps=15,format=yuv420p,"
                f"tpad=start_duration={offset:.3f}:color=black[v{len(videos)}]"
            )
            videos.append(f"[v{len(videos)}]")
        else:
            graph.append(f"[{index}:a:0]asetpts=PTS-STARTPTS,aresample=48000,"
                         f"adelay={int(offset * 1000)}:all=1[a{len(audios)}]")
            audios.append(f"[a{len(audios)}]")
    maps = []
    if len(videos) == 1:
        graph.append(f"{videos[0]}null[v]")
    elif videos:
        columns = min(MAX_COLUMNS, math.ceil(math.sqrt(len(videos))))
        layout = "|".join(f"{(i % columns) * w}_{(i // columns) * h}" for i in range(len(videos)))
        graph.append(f"{''.join(videos)}xstack=inputs={len(videos)}:layout={layout}:fill=black[v]")
    if videos:
        maps += ["-map", "[v]"]
    if len(audios) == 1:
        graph.append(f"{audios[0]}anull[a]")
    elif audios:
        graph.append(f"{''.join(audios)}amix=inputs={len(audios)}:duration=longest:normalize=0[a]")
    if audios:
        maps += ["-map", "[a]"]
    return [
        recording_media.ffmpeg_binary(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *inputs,
        "-filter_complex", ";".join(graph), *maps, "-c:v", "libx264", "-preset", "ultrafast", "-crf", "20",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", str(out),
    ]
