"""Delivery: ``GET /recordings/<recordingId>/file`` with HTTP ranges, for the right tenant
and user only (or a short-lived signed URL); S3 redirects to the storage's signed URL; the
fields the list rows gain."""

from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.test import AsyncClient

from meetings.models import Recording
from meetings.recordings_download import delivery_fields
from meetings.tests.recording_support import room_with_meeting

# The view's URL as the lead wires it (meetings.recordings_download.urlpatterns), in front of
# the portal's own URL map.

BODY = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture
def ready(host):
    room, _ = room_with_meeting(host)
    name = default_storage.save("recordings/1/test.mp4", ContentFile(BODY))
    return Recording.objects.create(
        tenant=room.tenant, room=room, recording_id="1756364334628_738386", host_name="Alice",
        stopped=True, processing="ready", file=name, duration=4.0, size=len(BODY),
    )


def url_of(recording) -> str:
    return f"/recordings/{recording.recording_id}/file"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_owner_downloads_the_whole_file(api, host, ready):
    response = api(host).get(url_of(ready))
    assert response.status_code == 200
    assert body(response) == BODY
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(BODY))


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=0-99", 0, 99), ("bytes=100-", 100, len(BODY) - 1), ("bytes=-10", len(BODY) - 10, len(BODY) - 1),
     ("bytes=10000-99999", 10000, len(BODY) - 1)],
)
def test_range_requests_get_partial_content(api, host, ready, header, start, end):
    response = api(host).get(url_of(ready), HTTP_RANGE=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(BODY)}"
    assert response["Content-Length"] == str(end - start + 1)
    assert body(response) == BODY[start:end + 1]


@pytest.mark.parametrize("header", ["bytes=20000-", "bytes=-0"])
def test_unsatisfiable_ranges_are_416(api, host, ready, header):
    response = api(host).get(url_of(ready), HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(BODY)}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-1", "bytes=9-3", "bytes=x-"])
def test_ranges_it_does_not_serve_get_the_whole_file(api, host, ready, header):
    response = api(host).get(url_of(ready), HTTP_RANGE=header)
    assert response.status_code == 200 and body(response) == BODY


def test_if_range_with_a_stale_etag_gets_the_whole_file(api, host, ready):
    client = api(host)
    etag = client.head(url_of(ready))["ETag"]
    assert client.get(url_of(ready), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=etag).status_code == 206
    assert client.get(url_of(ready), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"old"').status_code == 200


def test_head_has_the_headers_and_no_body(api, host, ready):
    response = api(host).head(url_of(ready), HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206 and response["Content-Length"] == "10"
    assert body(response) == b""


def test_without_credentials_it_is_401(api, ready):
    assert api().get(url_of(ready)).status_code == 401


def test_other_users_and_tenants_get_404_or_401(api, participant, outsider, ready, tenant_a):
    assert api(participant).get(url_of(ready)).status_code == 404  # same tenant, not their room
    assert api(outsider).get(url_of(ready)).status_code == 404  # on their own host: no such recording
    # Their login token on this tenant's host is not a credential here at all.
    assert api(outsider, host="localhost").get(url_of(ready)).status_code == 401


def test_tenant_staff_may_download(api, staff, ready):
    assert api(staff).get(url_of(ready)).status_code == 200


def test_the_signed_url_plays_without_other_credentials_on_its_tenant_only(api, host, ready, tenant_b):
    fields = delivery_fields(ready)
    assert fields == {"url": fields["url"], "duration": 4.0, "size": len(BODY), "processing": "ready",
                      "error": None}
    url = fields["url"]
    assert url.startswith(url_of(ready) + "?sig=")
    response = api().get(url, HTTP_RANGE="bytes=0-3")
    assert response.status_code == 206 and body(response) == BODY[:4]
    assert api().get(url[:-2] + "xx").status_code == 401  # tampered
    assert api(host=tenant_b.primary_domain).get(url).status_code == 401  # another tenant's host


def test_the_signed_url_expires(api, ready, settings):
    url = delivery_fields(ready)["url"]
    settings.RECORDING_URL_TTL_SECONDS = -1
    assert api().get(url).status_code == 401


def test_delivery_fields_with_a_request_give_an_absolute_url(rf, ready):
    request = rf.get("/recordings/list", HTTP_HOST="localhost")
    url = delivery_fields(ready, request)["url"]
    assert urlsplit(url)[:2] == ("http", "localhost")


def test_unfinished_recordings_have_no_url_and_are_409(api, host, ready):
    Recording.objects.filter(pk=ready.pk).update(processing="processing")
    ready.refresh_from_db()
    assert delivery_fields(ready) == {
        "url": None, "duration": 4.0, "size": len(BODY), "processing": "processing", "error": None
    }
    assert api(host).get(url_of(ready)).status_code == 409
    Recording.objects.filter(pk=ready.pk).update(processing="failed", error="ffmpeg failed: boom")
    ready.refresh_from_db()
    assert delivery_fields(ready)["error"] == "ffmpeg failed: boom"


class FakeS3Storage(FileSystemStorage):
    """Stands in for S3Storage: no local paths, and ``url`` signs with an expiry."""

    def path(self, name):
        raise NotImplementedError

    def url(self, name, parameters=None, expire=None, http_method=None):
        return f"https://bucket.example/{name}?X-Amz-Expires={expire}&X-Amz-Signature=abc"


def test_on_s3_the_url_is_the_storages_short_lived_signed_url(api, host, ready, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"{__name__}.FakeS3Storage", "OPTIONS": {"location": str(tmp_path / "s3")}},
    }
    settings.RECORDING_URL_TTL_SECONDS = 300
    signed = f"https://bucket.example/{ready.file}?X-Amz-Expires=300&X-Amz-Signature=abc"
    assert delivery_fields(ready)["url"] == signed
    response = api(host).get(url_of(ready))
    assert (response.status_code, response["Location"]) == (302, signed)
    assert api().get(url_of(ready)).status_code == 401


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_file_is_streamed_in_blocks(host, ready):
    from asgiref.sync import sync_to_async

    url = await sync_to_async(lambda: delivery_fields(ready)["url"])()
    response = await AsyncClient().get(url, headers={"range": "bytes=5-"})  # host: testserver (tenant A)
    assert response.status_code == 206
    assert response.is_async
    content = b"".join([part async for part in response.streaming_content])
    assert content == BODY[5:]
