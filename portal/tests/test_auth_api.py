import pytest

from conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

SEED_REGISTER = {
    "email": "haseeb@altegon.com",
    "fName": "Haseeb",
    "lName": "Asif",
    "phoneNumber": "923085000453",
    "country": "Pakistan",
    "password": "AB1239001x",
}


def test_register_with_the_seed_payload_gives_the_seed_response(api):
    response = api().post("/auth/register", SEED_REGISTER, format="json")
    assert response.status_code == 201
    body = response.json()
    user = body["data"]["user"]
    assert body["success"] is True
    assert body["message"] == "User created successfully"
    assert set(user) == {"fName", "lName", "email", "_id"}
    assert (user["fName"], user["lName"], user["email"]) == ("Haseeb", "Asif", "haseeb@altegon.com")
    assert isinstance(user["_id"], str) and len(user["_id"]) == 24


def test_register_duplicate_email_is_409(api):
    assert api().post("/auth/register", SEED_REGISTER, format="json").status_code == 201
    again = api().post("/auth/register", {**SEED_REGISTER, "email": "HASEEB@altegon.com"}, format="json")
    assert again.status_code == 409
    assert again.json() == {"success": False, "message": "User already exists"}


def test_same_email_may_register_in_two_tenants(api, tenant_b):
    assert api().post("/auth/register", SEED_REGISTER, format="json").status_code == 201
    other = api(host="beta.test").post("/auth/register", SEED_REGISTER, format="json")
    assert other.status_code == 201


@pytest.mark.parametrize(
    "change, field",
    [
        ({"email": "not-an-email"}, "email"),
        ({"fName": ""}, "fName"),
        ({"phoneNumber": "call me"}, "phoneNumber"),
        ({"password": "123"}, "password"),
        ({"password": "password"}, "password"),
    ],
)
def test_register_invalid_fields_are_400_with_field_errors(api, change, field):
    response = api().post("/auth/register", {**SEED_REGISTER, **change}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert field in body["errors"]


@pytest.mark.parametrize("missing", ["email", "fName", "lName", "phoneNumber", "country", "password"])
def test_register_missing_field_is_400(api, missing):
    payload = {k: v for k, v in SEED_REGISTER.items() if k != missing}
    response = api().post("/auth/register", payload, format="json")
    assert response.status_code == 400
    assert missing in response.json()["errors"]


@pytest.mark.parametrize("path", ["/auth/register", "/auth/login"])
def test_malformed_json_is_400(api, path):
    response = api().post(path, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["success"] is False


def test_login_returns_a_token(api, host):
    response = api().post("/auth/login", {"userName": host.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"token"}


def test_login_after_register_with_the_seed_payload(api):
    api().post("/auth/register", SEED_REGISTER, format="json")
    response = api().post(
        "/auth/login", {"userName": "haseeb@altegon.com", "password": "AB1239001x"}, format="json"
    )
    assert response.status_code == 200


@pytest.mark.parametrize("password", ["wrong-password", ""])
def test_login_wrong_password_is_401(api, host, password):
    response = api().post("/auth/login", {"userName": host.email, "password": password}, format="json")
    assert response.status_code == (401 if password else 400)


def test_login_unknown_user_is_401(api, tenant_a):
    credentials = {"userName": "nobody@example.com", "password": PASSWORD}
    response = api().post("/auth/login", credentials, format="json")
    assert response.status_code == 401
    assert response.json()["success"] is False


def test_login_on_another_tenant_host_is_401(api, outsider):
    response = api().post("/auth/login", {"userName": outsider.email, "password": PASSWORD}, format="json")
    assert response.status_code == 401


def test_inactive_user_cannot_log_in(api, tenant_a):
    user = make_user(tenant_a, "sleepy@example.com", "Sleepy", is_active=False)
    response = api().post("/auth/login", {"userName": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 401


def test_login_is_rate_limited(api, host, settings):
    statuses = [
        api().post("/auth/login", {"userName": host.email, "password": "nope"}, format="json").status_code
        for _ in range(40)
    ]
    assert statuses[0] == 401
    assert statuses[-1] == 429
