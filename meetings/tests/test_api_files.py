import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from meetings.models import RoomFile
from meetings.services.content import MAX_NAME_BYTES, room_file_upload, safe_file_name
from meetings.tests.api_helpers import (
    assert_error,
    fast_password_hashing,  # noqa: F401 (fixture)
    make_room,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

DOCX = b"PK\x03\x04 pretend this is a docx" * 100


def upload(client, room_id, name="Document_72835505.docx", content=DOCX):
    data = {"file": SimpleUploadedFile(name, content)}
    return client.post(f"/room/{room_id}/upload", data, format="multipart")


def raw_upload(client, room_id, filename: bytes, content=b"hello"):
    """A hand-built multipart body, so the file name reaches the server exactly as given."""
    boundary = b"----parleyboundary"
    body = (
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n--" + boundary + b"--\r\n"
    )
    content_type = f"multipart/form-data; boundary={boundary.decode()}"
    return client.generic("POST", f"/room/{room_id}/upload", body, content_type=content_type)


def stored_files():
    root = settings.MEDIA_ROOT
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_upload_with_the_seed_response(api, host):
    room = make_room(host)
    response = upload(api(host), room.pk)
    assert response.status_code == 200
    body = response.json()
    name = f"{room.pk}_Document_72835505.docx"
    assert body == {
        "success": True,
        "data": {
            "originalName": "Document_72835505.docx", "filename": name, "size": len(DOCX), "roomId": room.pk,
            "path": f"documents/{room.pk}/{name}",
            "uploadedBy": host.pk, "uploadedByName": "Alice Tester",  # Parley's additions
        },
        "msg": "File uploaded successfully!",
    }
    assert stored_files() == [f"documents/{room.pk}/{name}"]
    assert (settings.MEDIA_ROOT / f"documents/{room.pk}/{name}").read_bytes() == DOCX


def test_names_with_spaces_are_kept(api, host):
    room = make_room(host)
    data = upload(api(host), room.pk, "ZekliOpenAPI-for Customers - Instant.docx").json()["data"]
    assert data["filename"] == f"{room.pk}_ZekliOpenAPI-for Customers - Instant.docx"


def test_a_participant_of_a_public_room_may_upload(api, host, participant):
    room = make_room(host)
    assert upload(api(participant), room.pk).status_code == 200


def test_another_members_upload_of_the_same_name_keeps_both(api, host, participant, staff):
    """Issue 10: a member uploading the owner's file name must not replace the owner's file."""
    room = make_room(host)
    owners = upload(api(host), room.pk, content=b"owner's").json()["data"]
    mine = upload(api(participant), room.pk, content=b"impostor").json()["data"]
    theirs = upload(api(staff), room.pk, content=b"staff").json()["data"]
    assert owners["filename"] == f"{room.pk}_Document_72835505.docx"
    assert mine["filename"] == f"{room.pk}_Document_72835505 (2).docx"
    assert theirs["filename"] == f"{room.pk}_Document_72835505 (3).docx"
    assert (settings.MEDIA_ROOT / owners["path"]).read_bytes() == b"owner's"
    assert (settings.MEDIA_ROOT / mine["path"]).read_bytes() == b"impostor"
    # The member's second upload replaces only their own copy.
    again = upload(api(participant), room.pk, content=b"impostor v2").json()["data"]
    assert again["filename"] == mine["filename"] and RoomFile.objects.count() == 3
    assert (settings.MEDIA_ROOT / owners["path"]).read_bytes() == b"owner's"
    listing = api(participant).get(f"/room/{room.pk}/files").json()
    assert listing["success"] is True
    by_name = {row["filename"]: row for row in listing["data"]}
    assert by_name[owners["filename"]]["uploadedBy"] == host.pk
    assert by_name[owners["filename"]]["uploadedByName"] == "Alice Tester"
    assert by_name[mine["filename"]]["uploadedBy"] == participant.pk
    assert {row["uploadedBy"] for row in listing["data"]} == {host.pk, participant.pk, staff.pk}


def test_file_list_is_for_room_members_of_the_tenant_only(api, host, participant, outsider):
    room = make_room(host, is_private=True)
    upload(api(host), room.pk)
    assert len(api(host).get(f"/room/{room.pk}/files").json()["data"]) == 1
    assert_error(api(outsider).get(f"/room/{room.pk}/files"), 404)
    assert_error(api(participant).get(f"/room/{room.pk}/files"), 404)
    assert_error(api().get(f"/room/{room.pk}/files"), 401)


def test_uploading_the_same_name_replaces_the_file(api, host):
    room = make_room(host)
    upload(api(host), room.pk, content=b"one")
    upload(api(host), room.pk, content=b"two")
    assert RoomFile.objects.count() == 1
    assert stored_files() == [f"documents/{room.pk}/{room.pk}_Document_72835505.docx"]
    assert (settings.MEDIA_ROOT / stored_files()[0]).read_bytes() == b"two"


@pytest.mark.parametrize(
    "filename",
    [
        b"../../etc/passwd",
        b"..%2f..%2fetc%2fpasswd",
        b"/etc/passwd",
        b"..\\..\\windows\\win.ini",
        b"C:\\Windows\\system.ini",
        b"..",
        b".",
        b"...",
        b"a\x00b.txt",
        b"evil\r\n.txt",
        "ünïcødé ☃.txt".encode(),
        b"x" * 2000 + b".pdf",
        "é".encode() * 500,
    ],
)
def test_name_attacks_leave_nothing_outside_the_rooms_folder(api, host, filename):
    room = make_room(host)
    response = raw_upload(api(host), room.pk, filename)
    assert response.status_code in (200, 400), response.content
    for stored in stored_files():
        assert stored.startswith(f"documents/{room.pk}/{room.pk}_")
        assert "/" not in stored.removeprefix(f"documents/{room.pk}/")
    if response.status_code == 200:
        data = response.json()["data"]
        assert "/" not in data["filename"] and "\\" not in data["filename"] and "\x00" not in data["filename"]
        assert not data["filename"].removeprefix(f"{room.pk}_").startswith(".")
        assert len(data["filename"].encode()) <= 25 + MAX_NAME_BYTES


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc/passwd", "passwd"),
        ("..%2f..%2fetc%2fpasswd", "%2f..%2fetc%2fpasswd"),
        ("/etc/passwd", "passwd"),
        ("..\\..\\win.ini", "win.ini"),
        ("C:\\boot.ini", "boot.ini"),
        ("..", "file"),
        ("", "file"),
        ("a\x00b.txt", "ab.txt"),
        (".bashrc", "bashrc"),
        ("report<1>?.pdf", "report1.pdf"),
        ("  many   spaces .txt ", "many spaces.txt"),
    ],
)
def test_safe_file_name(name, expected):
    assert safe_file_name(name) == expected


def test_safe_file_name_keeps_the_extension_of_long_names():
    name = safe_file_name("a" * 1000 + ".docx")
    assert name.endswith(".docx") and len(name.encode()) <= MAX_NAME_BYTES
    multibyte = safe_file_name("☃" * 300 + ".txt")
    assert multibyte.endswith(".txt") and len(multibyte.encode()) <= MAX_NAME_BYTES


def test_missing_file_part_is_400(api, host):
    room = make_room(host)
    response = api(host).post(f"/room/{room.pk}/upload", {}, format="multipart")
    assert "file" in assert_error(response, 400)["errors"]
    assert_error(api(host).post(f"/room/{room.pk}/upload", {"file": "text"}, format="multipart"), 400)
    assert_error(api(host).post(f"/room/{room.pk}/upload", {"file": "x"}, format="json"), 400)
    assert_error(api(host).post(f"/room/{room.pk}/upload", [], format="json"), 400)


def test_too_large_is_413(api, host, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    room = make_room(host)
    assert_error(upload(api(host), room.pk, content=b"x" * 1001), 413)
    assert_error(upload(api(host), room.pk, content=b"x" * 200_000), 413)
    assert upload(api(host), room.pk, content=b"x" * 1000).status_code == 200
    assert RoomFile.objects.count() == 1


def test_upload_to_foreign_private_or_missing_room_is_404(api, host, participant, outsider):
    assert_error(upload(api(outsider), make_room(host).pk), 404)
    assert_error(upload(api(participant), make_room(host, is_private=True).pk), 404)
    assert_error(upload(api(host), "nope"), 404)
    assert_error(upload(api(), make_room(host).pk), 401)
    assert stored_files() == []


def test_get_file_metadata_in_the_seed_shape(api, host, participant):
    room = make_room(host)
    name = upload(api(host), room.pk, "ZekliOpenAPI-for Customers - Instant.docx").json()["data"]["filename"]
    response = api(participant).get(f"/room/{room.pk}/files/{name}")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["msg"] == "File retrieved successfully!"
    assert set(body["data"]) == {"filename", "originalName", "size", "uploadDate", "path",
                                 "uploadedBy", "uploadedByName"}
    assert body["data"]["uploadedBy"] == host.pk
    assert body["data"]["originalName"] == "ZekliOpenAPI-for Customers - Instant.docx"
    assert body["data"]["path"] == f"documents/{room.pk}/{name}"
    assert body["data"]["uploadDate"].endswith("Z")


@pytest.mark.parametrize("filename", ["missing.docx", "..%2F..%2Fetc%2Fpasswd", "a/b", "%00"])
def test_get_missing_file_is_404(api, host, filename):
    room = make_room(host)
    upload(api(host), room.pk)
    assert_error(api(host).get(f"/room/{room.pk}/files/{filename}"), 404)


def test_files_of_another_tenant_are_404(api, host, outsider):
    room = make_room(host)
    name = upload(api(host), room.pk).json()["data"]["filename"]
    assert_error(api(outsider).get(f"/room/{room.pk}/files/{name}"), 404)
    assert_error(api(outsider).get(f"/room/{room.pk}/files/{name}/download"), 404)
    assert_error(api(outsider).delete(f"/room/{room.pk}/files"), 404)
    assert RoomFile.objects.count() == 1


def test_download_is_an_attachment_that_is_never_sniffed(api, host, participant):
    room = make_room(host)
    html = b"<html><script>alert(1)</script></html>"
    name = upload(api(host), room.pk, "page.html", content=html).json()["data"]["filename"]
    response = api(participant).get(f"/room/{room.pk}/files/{name}/download")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == html
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "page.html" in disposition
    assert_error(api().get(f"/room/{room.pk}/files/{name}/download"), 401)


def test_delete_all_files_of_a_room(api, host, participant, django_capture_on_commit_callbacks):
    room, other = make_room(host), make_room(host)
    upload(api(host), room.pk, "a.txt")
    upload(api(host), room.pk, "b.txt")
    upload(api(host), other.pk, "c.txt")
    assert_error(api(participant).delete(f"/room/{room.pk}/files"), 403)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(host).delete(f"/room/{room.pk}/files")
    assert response.status_code == 200
    assert response.json() == {"success": True, "msg": f" All files for room {room.pk} deleted successfully"}
    assert stored_files() == [f"documents/{other.pk}/{other.pk}_c.txt"]
    assert list(RoomFile.objects.values_list("room", flat=True)) == [other.pk]
    assert_error(api(host).get(f"/room/{room.pk}/files/{room.pk}_a.txt"), 404)
    assert api(host).delete(f"/room/{room.pk}/files").status_code == 200
    assert_error(api(host).delete("/room/nope/files"), 404)


def test_files_of_a_private_room_are_for_its_owner_only(api, host, participant):
    room = make_room(host, is_private=True)
    name = upload(api(host), room.pk).json()["data"]["filename"]
    assert_error(api(participant).get(f"/room/{room.pk}/files/{name}"), 404)
    assert_error(api(participant).get(f"/room/{room.pk}/files/{name}/download"), 404)
    assert_error(api(participant).delete(f"/room/{room.pk}/files"), 404)
    assert api(host).get(f"/room/{room.pk}/files/{name}/download").status_code == 200


def test_control_characters_never_reach_the_database(host):
    room = make_room(host)
    upload = SimpleUploadedFile("a\x00b\r\n.txt", b"x")
    room_file = room_file_upload(room=room, upload=upload, uploaded_by=host)
    room_file.refresh_from_db()
    assert room_file.original_name == "ab.txt"
    assert room_file.filename == f"{room.pk}_ab.txt"
