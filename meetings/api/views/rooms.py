"""POST /room/create and POST /room/<roomId>/token."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response

from meetings.api import serializers as s
from meetings.api.views.base import MeetAPIView, errors, path_id
from meetings.selectors import room_get
from meetings.services.rooms import room_create, room_token_issue
from portal.accounts.serializers import TokenSerializer


class RoomCreateView(MeetAPIView):
    plan_feature = "meetings"

    @extend_schema(
        operation_id="room_create",
        summary="Create room",
        tags=["rooms"],
        request=s.RoomCreateSerializer,
        responses={201: s.RoomCreateResponseSerializer, **errors(400)},
        examples=[
            OpenApiExample(
                "Seed example", request_only=True,
                value={"name": "Haseeb Asif", "p2p": True, "type": "conference"},
            )
        ],
    )
    def post(self, request):
        v = self.validated(s.RoomCreateSerializer)
        room = room_create(
            owner=request.user, name=v["name"], type=v["type"], p2p=v["p2p"],
            max_participants=v.get("maxParticipants"), is_private=v["isPrivate"],
        )
        return Response(
            {"success": True, "data": s.RoomSerializer(room).data, "msg": "Room created Successfully!"},
            status=status.HTTP_201_CREATED,
        )


class RoomTokenView(MeetAPIView):
    plan_feature = "meetings"

    @extend_schema(
        operation_id="room_token_create",
        summary="Create a room token",
        description="A signed, short-lived token to join the room's sockets with one role under one "
        "name. Only the room's owner (or tenant staff) may mint `host` tokens or tokens of a private room.",
        tags=["rooms"],
        request=s.RoomTokenRequestSerializer,
        responses={201: TokenSerializer, **errors(400, 403, 404)},
    )
    def post(self, request, room_id: str):
        room = room_get(tenant=request.user.tenant, room_id=path_id(room_id))
        v = self.validated(s.RoomTokenRequestSerializer)
        token = room_token_issue(
            actor=request.user, room=room, role=v["role"],
            user_name=(v.get("userName") or request.user.full_name or request.user.email)[:150],
        )
        return Response({"token": token}, status=status.HTTP_201_CREATED)
