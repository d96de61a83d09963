import pytest

from meetings.models import Room
from meetings.tests.api_helpers import (
    assert_error,
    fast_password_hashing,  # noqa: F401 (fixture)
    make_room,
)
from meetings.tokens import room_token_read

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

SEED_ROOM = {"name": "Haseeb Asif", "p2p": True, "type": "conference"}


def test_create_room_with_the_seed_example(api, host):
    response = api(host).post("/room/create", SEED_ROOM, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    assert body["msg"] == "Room created Successfully!"
    data = body["data"]
    assert {k: data[k] for k in ("name", "type", "p2p")} == SEED_ROOM
    room = Room.objects.get(pk=data["id"])
    assert (room.owner, room.tenant, room.is_private) == (host, host.tenant, False)


def test_create_room_with_all_fields(api, host):
    payload = {"name": "Hall", "type": "webinar", "p2p": False, "maxParticipants": 500, "isPrivate": True}
    data = api(host).post("/room/create", payload, format="json").json()["data"]
    assert data["maxParticipants"] == 500 and data["isPrivate"] is True and data["p2p"] is False


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"type": "conference"}, "name"),
        ({"name": "x"}, "type"),
        ({"name": "x", "type": "party"}, "type"),
        ({"name": "x" * 201, "type": "meeting"}, "name"),
        ({"name": "x", "type": "meeting", "maxParticipants": 0}, "maxParticipants"),
        ({"name": "x", "type": "meeting", "maxParticipants": 10**30}, "maxParticipants"),
        ({"name": "x", "type": "meeting", "maxParticipants": "lots"}, "maxParticipants"),
        ({"name": "x", "type": "meeting", "p2p": "perhaps"}, "p2p"),
        ({"name": "x", "type": "meeting", "isPrivate": {"a": 1}}, "isPrivate"),
        ({"name": {"a": 1}, "type": "meeting"}, "name"),
        ({"name": "nul\x00byte", "type": "meeting"}, "name"),
    ],
)
def test_create_room_rejects_bad_fields(api, host, payload, field):
    body = assert_error(api(host).post("/room/create", payload, format="json"), 400)
    assert field in body["errors"]
    assert not Room.objects.exists()


def test_create_room_needs_a_token(api, tenant_a):
    assert_error(api().post("/room/create", SEED_ROOM, format="json"), 401)


def test_create_room_with_another_tenants_token_is_401(api, outsider):
    assert_error(api(outsider, host="localhost").post("/room/create", SEED_ROOM, format="json"), 401)


def test_room_token_for_a_participant(api, host, participant):
    room = make_room(host)
    response = api(participant).post(f"/room/{room.pk}/token", {"userName": "Bob", "role": "participant"},
                                     format="json")
    assert response.status_code == 201
    grant = room_token_read(response.json()["token"], tenant_id=host.tenant_id, room_id=room.pk)
    # Participant tokens are often minted by a server for someone else: they name no account.
    assert (grant.role, grant.name, grant.user_id) == ("participant", "Bob", None)


def test_host_token_names_the_owner(api, host):
    room = make_room(host)
    token = api(host).post(f"/room/{room.pk}/token", {"userName": "A", "role": "host"}, format="json")
    grant = room_token_read(token.json()["token"], tenant_id=host.tenant_id, room_id=room.pk)
    assert (grant.role, grant.user_id) == ("host", host.pk)


def test_room_token_name_defaults_to_the_account_name(api, host):
    room = make_room(host)
    token = api(host).post(f"/room/{room.pk}/token", {"role": "host"}, format="json").json()["token"]
    assert room_token_read(token, tenant_id=host.tenant_id).name == "Alice Tester"


def test_only_the_owner_or_staff_mint_host_tokens(api, host, participant, staff):
    room = make_room(host)
    assert_error(api(participant).post(f"/room/{room.pk}/token", {"role": "host"}, format="json"), 403)
    assert api(staff).post(f"/room/{room.pk}/token", {"role": "host"}, format="json").status_code == 201


def test_private_rooms_only_give_tokens_to_their_owner(api, host, participant):
    room = make_room(host, is_private=True)
    assert_error(api(participant).post(f"/room/{room.pk}/token", {"role": "viewer"}, format="json"), 403)
    assert api(host).post(f"/room/{room.pk}/token", {"role": "viewer"}, format="json").status_code == 201


@pytest.mark.parametrize("payload", [{"role": "admin"}, {}, {"role": "host", "userName": "x" * 151}, [], "x"])
def test_room_token_bad_payload_is_400(api, host, payload):
    room = make_room(host)
    assert_error(api(host).post(f"/room/{room.pk}/token", payload, format="json"), 400)


def test_room_token_for_another_tenants_room_is_404(api, host, outsider):
    room = make_room(outsider)
    assert_error(api(host).post(f"/room/{room.pk}/token", {"role": "viewer"}, format="json"), 404)
    assert_error(api(host).post("/room/nope/token", {"role": "viewer"}, format="json"), 404)


def test_room_token_needs_a_login(api, host):
    room = make_room(host)
    assert_error(api().post(f"/room/{room.pk}/token", {"role": "viewer"}, format="json"), 401)
