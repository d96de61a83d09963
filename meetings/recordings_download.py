"""Delivery of processed recordings: the fields ``/recordings/list`` rows gain
(``delivery_fields``), and ``GET /recordings/<recordingId>/file``, the MP4 for its tenant only.

Access: the short-lived signed ``?sig=`` that ``/recordings/list`` hands out in ``url`` (so a
``<video>`` element can play it), or the caller's own credentials (login JWT or session) as
someone who may list the recording (the room's owner or tenant staff). Anything else is 401
(no credentials) or 404 (missing and not-yours look the same).

Local storage is served here with HTTP range requests (206, ``Content-Range``, 416); remote
storage (S3) answers with a redirect to the storage's own short-lived signed URL.
"""

import re

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from meetings.models import Recording
from meetings.selectors import recordings_for_user

URL_SALT = "parley.recording-file"
BLOCK = 256 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def url_ttl_seconds() -> int:
    return int(settings.RECORDING_URL_TTL_SECONDS)


def local_path(name: str) -> str | None:
    """The file's path when the storage is local; ``None`` for remote storage (S3)."""
    try:
        return default_storage.path(name)
    except NotImplementedError:
        return None


def signed_file_token(recording: Recording) -> str:
    return signing.dumps([recording.tenant_id, recording.pk], salt=URL_SALT, compress=False)


def signed_file_token_valid(token: str, recording: Recording) -> bool:
    try:
        value = signing.loads(token, salt=URL_SALT, max_age=url_ttl_seconds())
    except signing.BadSignature:
        return False
    return value == [recording.tenant_id, recording.pk]


def recording_file_url(recording: Recording, request=None) -> str | None:
    """Where the MP4 can be fetched for a while without other credentials: a signed URL of
    Parley's range-capable endpoint, or the storage's own short-lived signed URL (S3)."""
    if recording.processing != Recording.Processing.READY or not recording.file:
        return None
    if local_path(recording.file) is None:
        try:
            return default_storage.url(recording.file, expire=url_ttl_seconds())
        except TypeError:
            return default_storage.url(recording.file)
    path = reverse("recording-file", kwargs={"recording_id": recording.recording_id})
    url = f"{path}?{urlencode({'sig': signed_file_token(recording)})}"
    return request.build_absolute_uri(url) if request is not None else url


def delivery_fields(recording: Recording, request=None) -> dict:
    """The fields a recording row adds to the seed's: no queries, so lists stay flat."""
    failed = recording.processing == Recording.Processing.FAILED
    return {
        "url": recording_file_url(recording, request),
        "duration": recording.duration,
        "size": recording.size,
        "processing": recording.processing,
        "error": (recording.error or "Processing failed.") if failed else None,
    }


def recording_file_get(*, request, recording_id: str) -> Recording:
    """The tenant's recording if the request may read its file (else 401/404): with a valid
    signed URL, or as a user who may list it (``recordings_for_user``)."""
    signature = request.query_params.get("sig")
    if signature:
        recording = Recording.objects.for_tenant(request.tenant).filter(recording_id=recording_id).first()
        if recording is not None and signed_file_token_valid(signature, recording):
            return recording
    if not request.user.is_authenticated:
        raise NotAuthenticated()
    recording = recordings_for_user(user=request.user).filter(recording_id=recording_id).first()
    if recording is None:
        raise Http404("Recording not found.")
    return recording


def parse_range(header: str | None, size: int):
    """(start, end) inclusive for one satisfiable range; ``None`` to send everything (no header,
    several ranges, or a malformed one); ``False`` when it cannot be satisfied."""
    match = RANGE.match((header or "").strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":
        suffix = int(last)
        if suffix == 0 or size == 0:
            return False
        return max(0, size - suffix), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None
    if start >= size:
        return False
    return start, end


def _read_blocks(name: str, start: int, length: int):
    with default_storage.open(name, "rb") as f:
        f.seek(start)
        while length > 0:
            block = f.read(min(BLOCK, length))
            if not block:
                return
            length -= len(block)
            yield block


async def _aread_blocks(name: str, start: int, length: int):
    """The same, for ASGI: Django would otherwise read a sync iterator whole into memory."""
    f = await sync_to_async(default_storage.open, thread_sensitive=False)(name, "rb")
    try:
        await sync_to_async(f.seek, thread_sensitive=False)(start)
        while length > 0:
            block = await sync_to_async(f.read, thread_sensitive=False)(min(BLOCK, length))
            if not block:
                return
            length -= len(block)
            yield block
    finally:
        await sync_to_async(f.close, thread_sensitive=False)()


class RecordingFileView(APIView):
    plan_feature = "recording"
    # Access is decided in recording_file_get: a signed URL or the caller's own credentials.
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="recording_file",
        summary="Download or stream a processed recording",
        description="The MP4 of a ready recording, with HTTP Range support (206/416). Access: the "
        "`url` of a /recordings/list row (signed, short-lived) or your own credentials. 409 while "
        "not ready; on S3 storage, a redirect to a signed S3 URL.",
        parameters=[OpenApiParameter("sig", str, required=False, description="Signature from `url`.")],
        responses={(200, "video/mp4"): OpenApiTypes.BINARY, (206, "video/mp4"): OpenApiTypes.BINARY,
                   302: None, 401: None, 404: None, 409: None, 416: None},
        tags=["recordings"],
    )
    def get(self, request, recording_id: str):
        recording = recording_file_get(request=request, recording_id=recording_id)
        if recording.processing != Recording.Processing.READY or not recording.file:
            return JsonResponse(
                {"success": False, "message": f"Recording is not ready ({recording.processing})."}, status=409
            )
        if local_path(recording.file) is None:
            return HttpResponseRedirect(recording_file_url(recording))
        return serve_file(request, recording)


def serve_file(request, recording: Recording) -> HttpResponse:
    name = recording.file
    try:
        size = default_storage.size(name)
    except FileNotFoundError:
        raise Http404("Recording file is missing.") from None
    etag = f'"{size:x}-{recording.pk}"'
    wanted = request.META.get("HTTP_RANGE")
    if_range = request.META.get("HTTP_IF_RANGE")
    span = parse_range(wanted, size) if (not if_range or if_range == etag) else None
    if span is False:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    start, end = span or (0, size - 1)
    length = max(0, end - start + 1)
    if request.method == "HEAD":
        response = HttpResponse(status=206 if span else 200)
    else:
        asgi = isinstance(getattr(request, "_request", request), ASGIRequest)
        blocks = (_aread_blocks if asgi else _read_blocks)(name, start, length)
        response = StreamingHttpResponse(blocks, status=206 if span else 200)
    response["Content-Type"] = "video/mp4"
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=0"
    response["Content-Disposition"] = f'inline; filename="recording-{recording.pk}.mp4"'
    if span:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response

