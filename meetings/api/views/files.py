"""Room files: upload, metadata, download, delete-all (``/room/<roomId>/...``)."""

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from meetings.api import serializers as s
from meetings.api.views.base import MeetAPIView, errors, path_id
from meetings.selectors import room_file_get, room_files_for_member, room_get_for_member
from meetings.services.content import FileConflict, room_file_upload, room_files_delete
from meetings.services.rooms import user_may_manage_room
from portal.api import Conflict, PayloadTooLarge, StrictFormParser, StrictJSONParser

# Multipart framing around the file part; a body larger than the limit plus this is refused unread.
_MULTIPART_OVERHEAD = 64 * 1024


def _filename(value: str) -> str:
    if not value or len(value) > 255 or "\x00" in value or "/" in value or "\\" in value:
        raise Http404("File not found.")
    return value


class RoomFileUploadView(MeetAPIView):
    plan_feature = "files"
    parser_classes = [MultiPartParser, StrictFormParser, StrictJSONParser]

    @extend_schema(
        operation_id="room_file_upload",
        summary="Upload file",
        description="multipart/form-data with the file in the part `file`; stored as "
        "`documents/<roomId>/<roomId>_<sanitised name>` (an upload of the same name replaces the "
        "file). 413 above `UPLOAD_MAX_BYTES`.",
        tags=["files"],
        request={"multipart/form-data": s.FileUploadSerializer},
        responses={200: s.FileUploadResponseSerializer, **errors(400, 404, 409, 413, plan=True)},
    )
    def post(self, request, room_id: str):
        room = room_get_for_member(user=request.user, room_id=path_id(room_id))
        limit = settings.UPLOAD_MAX_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit + _MULTIPART_OVERHEAD:
            raise PayloadTooLarge(f"Files may be at most {limit} bytes.")
        upload = self.validated(s.FileUploadSerializer)["file"]
        if upload.size > limit:
            raise PayloadTooLarge(f"Files may be at most {limit} bytes.")
        try:
            room_file = room_file_upload(room=room, upload=upload, uploaded_by=request.user)
        except FileConflict as exc:
            raise Conflict(str(exc)) from None
        data = s.UploadedFileSerializer(room_file).data
        return Response({"success": True, "data": data, "msg": "File uploaded successfully!"})


class RoomFileDetailView(MeetAPIView):
    plan_feature = "files"

    @extend_schema(
        operation_id="room_file_get",
        summary="Get file",
        description="The file's metadata; its bytes are at `.../download`.",
        tags=["files"],
        responses={200: s.FileDetailResponseSerializer, **errors(404)},
    )
    def get(self, request, room_id: str, filename: str):
        room = room_get_for_member(user=request.user, room_id=path_id(room_id))
        room_file = room_file_get(user=request.user, room=room, filename=_filename(filename))
        data = s.FileDetailSerializer(room_file).data
        return Response({"success": True, "data": data, "msg": "File retrieved successfully!"})


class RoomFileDownloadView(MeetAPIView):
    plan_feature = "files"

    @extend_schema(
        operation_id="room_file_download",
        summary="Download file",
        description="The file's bytes, as an attachment (never rendered inline).",
        tags=["files"],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
            **errors(404),
        },
    )
    def get(self, request, room_id: str, filename: str):
        room = room_get_for_member(user=request.user, room_id=path_id(room_id))
        room_file = room_file_get(user=request.user, room=room, filename=_filename(filename))
        try:
            handle = default_storage.open(room_file.path, "rb")
        except (FileNotFoundError, OSError):
            raise Http404("File not found.") from None
        response = FileResponse(
            handle, as_attachment=True, filename=room_file.original_name,
            content_type="application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


class RoomFilesDeleteView(MeetAPIView):
    plan_feature = "files"

    @extend_schema(
        operation_id="room_files_list",
        summary="List files",
        description="The room's files, newest first, each with who uploaded it (a Parley addition).",
        tags=["files"],
        responses={200: s.FileListResponseSerializer, **errors(404)},
    )
    def get(self, request, room_id: str):
        room = room_get_for_member(user=request.user, room_id=path_id(room_id))
        files = room_files_for_member(user=request.user, room=room)
        return Response({"success": True, "data": s.FileDetailSerializer(files, many=True).data})

    @extend_schema(
        operation_id="room_files_delete",
        summary="Delete files",
        description="Deletes every file of the room; only the room's owner (or tenant staff).",
        tags=["files"],
        responses={200: s.MsgSerializer, **errors(403, 404)},
    )
    def delete(self, request, room_id: str):
        room = room_get_for_member(user=request.user, room_id=path_id(room_id))
        if not user_may_manage_room(user=request.user, room=room):
            raise PermissionDenied("Only the room's owner may delete its files.")
        room_files_delete(room=room)
        return Response({"success": True, "msg": f" All files for room {room.pk} deleted successfully"})
