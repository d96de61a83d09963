"""Room files: upload, list, metadata, download, delete-all (``/room/<roomId>/...``).

Besides a login (JWT or session), a **room token** of that room is accepted as
``Authorization: Bearer <room token>``: the room page carries a room token only, and guests
share files too (the page downloads with ``fetch`` and saves the blob, so the token never
sits in a URL). Hosts and participants upload; viewers list and download; revoked tokens are refused.
"""

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
from meetings.api.views.speech import RoomSpeaker, RoomTokenAuthentication
from meetings.models import Room, RoomFile
from meetings.selectors import room_file_get, room_get_for_member
from meetings.services.content import FileConflict, room_file_upload, room_files_delete
from meetings.services.rooms import user_may_manage_room
from portal.api import Conflict, PayloadTooLarge, StrictFormParser, StrictJSONParser

# Multipart framing around the file part; a body larger than the limit plus this is refused unread.
_MULTIPART_OVERHEAD = 64 * 1024


def _filename(value: str) -> str:
    if not value or len(value) > 255 or "\x00" in value or "/" in value or "\\" in value:
        raise Http404("File not found.")
    return value


class RoomFileAuthentication(RoomTokenAuthentication):
    """A room token of any role (viewers list and download; ``room()`` refuses their uploads)."""

    allow_viewers = True


class RoomFilesAPIView(MeetAPIView):
    authentication_classes = [RoomFileAuthentication, *MeetAPIView.authentication_classes]
    plan_feature = "files"

    def room(self, room_id: str, *, upload: bool = False) -> Room:
        user = self.request.user
        if isinstance(user, RoomSpeaker):
            grant = user.grant
            if grant.room_id != room_id:
                raise Http404("Room not found.")
            if upload and grant.role == "viewer":
                raise PermissionDenied("Viewers may not upload files.")
            room = Room.objects.filter(tenant_id=grant.tenant_id, pk=room_id).first()
            if room is None:
                raise Http404("Room not found.")
            return room
        return room_get_for_member(user=user, room_id=room_id)

    def room_file(self, room: Room, filename: str) -> RoomFile:
        if isinstance(self.request.user, RoomSpeaker):
            room_file = RoomFile.objects.filter(
                tenant_id=room.tenant_id, room=room, filename=filename).first()
            if room_file is None:
                raise Http404("File not found.")
            return room_file
        return room_file_get(user=self.request.user, room=room, filename=filename)

    def uploader(self):
        return None if isinstance(self.request.user, RoomSpeaker) else self.request.user


class RoomFileUploadView(RoomFilesAPIView):
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
        room = self.room(path_id(room_id), upload=True)
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
            room_file = room_file_upload(room=room, upload=upload, uploaded_by=self.uploader())
        except FileConflict as exc:
            raise Conflict(str(exc)) from None
        data = s.UploadedFileSerializer(room_file).data
        return Response({"success": True, "data": data, "msg": "File uploaded successfully!"})


class RoomFileDetailView(RoomFilesAPIView):

    @extend_schema(
        operation_id="room_file_get",
        summary="Get file",
        description="The file's metadata; its bytes are at `.../download`.",
        tags=["files"],
        responses={200: s.FileDetailResponseSerializer, **errors(404)},
    )
    def get(self, request, room_id: str, filename: str):
        room = self.room(path_id(room_id))
        room_file = self.room_file(room, _filename(filename))
        data = s.FileDetailSerializer(room_file).data
        return Response({"success": True, "data": data, "msg": "File retrieved successfully!"})


class RoomFileDownloadView(RoomFilesAPIView):

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
        room = self.room(path_id(room_id))
        room_file = self.room_file(room, _filename(filename))
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


class RoomFilesDeleteView(RoomFilesAPIView):
    @extend_schema(
        operation_id="room_files_list",
        summary="List files",
        description="The room's files, newest first (Parley's addition).",
        tags=["files"],
        responses={200: s.FileListResponseSerializer, **errors(404)},
    )
    def get(self, request, room_id: str):
        room = self.room(path_id(room_id))
        files = (RoomFile.objects.filter(tenant_id=room.tenant_id, room=room).select_related("uploaded_by")
                 .order_by("-upload_date", "-pk"))
        return Response({"success": True, "data": s.FileDetailSerializer(files[:500], many=True).data})

    @extend_schema(
        operation_id="room_files_delete",
        summary="Delete files",
        description="Deletes every file of the room; only the room's owner (or tenant staff).",
        tags=["files"],
        responses={200: s.MsgSerializer, **errors(403, 404)},
    )
    def delete(self, request, room_id: str):
        room = self.room(path_id(room_id))
        if isinstance(request.user, RoomSpeaker) or not user_may_manage_room(user=request.user, room=room):
            raise PermissionDenied("Only the room's owner may delete its files.")
        room_files_delete(room=room)
        return Response({"success": True, "msg": f" All files for room {room.pk} deleted successfully"})
