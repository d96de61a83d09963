"""The OpenAPI schema: generated without warnings, and compared to a committed snapshot
so that every API change shows up in review.

After an intended API change, regenerate the snapshot and commit it:

    PARLEY_UPDATE_SNAPSHOTS=1 .venv/bin/pytest meetings/tests/test_api_openapi.py
"""

import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")


def _ref_name(schema: dict | None):
    if not schema:
        return None
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return [_ref_name(schema.get("items"))]
    return schema.get("type") or "inline"


def digest(schema: dict) -> dict:
    """What a client depends on: operations, their bodies and statuses, component fields."""
    operations = {}
    for path, item in sorted(schema["paths"].items()):
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            body = op.get("requestBody", {}).get("content", {})
            operations[f"{method.upper()} {path}"] = {
                "operationId": op["operationId"],
                "parameters": sorted(p["name"] for p in op.get("parameters", [])),
                "request": {ct: _ref_name(c.get("schema")) for ct, c in sorted(body.items())},
                "responses": {
                    code: {ct: _ref_name(c.get("schema")) for ct, c in sorted(r.get("content", {}).items())}
                    for code, r in sorted(op["responses"].items())
                },
                # OpenAPI links (portal/openapi_links.py): target operation -> its parameters.
                "links": {
                    f"{code} {name}": link.get("parameters", {})
                    for code, r in sorted(op["responses"].items())
                    for name, link in sorted(r.get("links", {}).items())
                },
            }
    components = {
        name: {"properties": sorted(c.get("properties", {})), "required": sorted(c.get("required", []))}
        for name, c in sorted(schema.get("components", {}).get("schemas", {}).items())
    }
    return {"operations": operations, "components": components}


def test_schema_generation_emits_no_warnings(tmp_path):
    # --fail-on-warn raises on any warning or error; --validate checks it against the OpenAPI spec.
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yaml"))


def test_schema_matches_the_snapshot():
    current = digest(SchemaGenerator().get_schema(request=None, public=True))
    if os.environ.get("PARLEY_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert current == expected, "The API changed: regenerate the snapshot (see this module's docstring)."


def test_every_seed_endpoint_is_documented():
    operations = digest(SchemaGenerator().get_schema(request=None, public=True))["operations"]
    seed = [
        "POST /room/create", "POST /room/{room_id}/token", "POST /meetings/create",
        "POST /meetings/update/{meeting_id}", "GET /meetings/list/{user_id}", "POST /recording/start",
        "POST /recording/stop", "GET /recordings/list", "POST /room/{room_id}/upload",
        "GET /room/{room_id}/files/{filename}", "GET /room/{room_id}/files/{filename}/download",
        "DELETE /room/{room_id}/files", "GET /api/get-speech-token", "POST /send-transcript",
        "GET /view-transcript/{meeting_id}", "POST /transcription/generate-summary/{meeting_id}",
        "GET /meeting/{meeting_id}/summary", "GET /reporting/total-sessions-for-user",
        "GET /reporting/total-sessions-aggregation-for-user",
        "GET /reporting/total-sessions-statistics-for-user",
        "GET /reporting/total-sessions-by-location-for-user",
        "GET /reporting/total-sessions-and-participants-count-by-location-for-user",
    ]
    for name in seed:
        assert name in operations, name
        op = operations[name]
        assert any(code.startswith("2") for code in op["responses"]), name
        assert "401" in op["responses"], name
        if name.startswith("POST") and not name.startswith("POST /transcription"):
            assert op["request"], f"{name} has no request schema"


@pytest.mark.django_db
def test_schema_and_swagger_ui_are_served(client, tenant_a):
    assert client.get("/api/schema/", HTTP_HOST="localhost").status_code == 200
    assert client.get("/api/docs/", HTTP_HOST="localhost").status_code == 200
