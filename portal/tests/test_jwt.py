import base64
import json
import time

import jwt
import pytest
from django.conf import settings

from portal.accounts.tokens import login_token_for

pytestmark = pytest.mark.django_db


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims_of(user, **override):
    now = int(time.time())
    return {"token_type": "access", "exp": now + 600, "iat": now, "jti": "x1",
            "user_id": user.id, "tenant": user.tenant_id, **override}


def get_me(client, token):
    return client.get("/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_valid_token_identifies_the_user(api, host):
    response = api(host).get("/auth/me")
    assert response.status_code == 200
    assert response.json()["data"]["user"]["email"] == host.email


def test_no_token_is_401(api):
    response = api().get("/auth/me")
    assert response.status_code == 401
    assert response.json()["success"] is False


def test_token_of_tenant_a_on_tenant_b_host_is_401(api, host, tenant_b):
    response = api(host, host="beta.test").get("/auth/me")
    assert response.status_code == 401


def test_token_of_tenant_b_on_tenant_a_host_is_401(api, outsider):
    response = api(outsider, host="localhost").get("/auth/me")
    assert response.status_code == 401


def test_expired_token_is_401(api, host):
    token = jwt.encode(claims_of(host, exp=int(time.time()) - 5), settings.SECRET_KEY, algorithm="HS256")
    assert get_me(api(), token).status_code == 401


def test_wrong_key_token_is_401(api, host):
    token = jwt.encode(claims_of(host), "not-the-key-" * 5, algorithm="HS256")
    assert get_me(api(), token).status_code == 401


def test_alg_none_token_is_401(api, host):
    token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims_of(host))}."
    assert get_me(api(), token).status_code == 401


def test_tampered_tenant_claim_is_401(api, host, outsider):
    # Re-signing is impossible without the key; swapping the payload breaks the signature.
    header, _payload, signature = login_token_for(host).split(".")
    forged = f"{header}.{b64(claims_of(host, tenant=outsider.tenant_id))}.{signature}"
    assert get_me(api(), forged).status_code == 401


def test_token_of_a_deactivated_user_is_401(api, host):
    client = api(host)
    host.is_active = False
    host.save()
    assert client.get("/auth/me").status_code == 401


def test_garbage_authorization_header_is_401(api, tenant_a):
    assert get_me(api(), "not.a.token").status_code == 401
