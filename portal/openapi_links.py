"""OpenAPI `links` for /api/schema/: which response field feeds which operation's path id.

Declared in one place (a drf-spectacular postprocessing hook, SPECTACULAR_SETTINGS) rather than on
each view, so that the chains read together: a created room's id opens its token, upload and file
list; an uploaded file's room and name open the file; a created meeting's id opens its update, end,
transcript and summaries. Clients may follow them; Schemathesis' state machine
(portal/tests/test_schemathesis.py) does, to test the operations in sequence."""

# (source operationId, status) -> {target operationId: {path parameter: runtime expression}}
LINKS = {
    ("room_create", "201"): {
        target: {"room_id": "$response.body#/data/id"}
        for target in ("room_token_create", "room_file_upload", "room_files_list")
    },
    ("room_file_upload", "200"): {
        target: {"room_id": "$response.body#/data/roomId", "filename": "$response.body#/data/filename"}
        for target in ("room_file_get", "room_file_download")
    },
    ("meeting_create", "201"): {
        target: {"meeting_id": "$response.body#/meetingId"}
        for target in ("meeting_update", "meeting_end", "transcript_view", "summary_generate",
                       "summary_task_start", "summary_task_get", "summary_get")
    },
}


def add_links(result, generator, request, public):
    """drf-spectacular postprocessing hook: add LINKS to the responses they start from.

    A link to an operation that is not in the schema is an error (a renamed operationId must not
    silently drop a link)."""
    operations = {
        op["operationId"]: op
        for item in result.get("paths", {}).values()
        for method, op in item.items() if isinstance(op, dict) and "operationId" in op
    }
    for (source, status), targets in LINKS.items():
        missing = [name for name in (source, *targets) if name not in operations]
        if missing:
            raise KeyError(f"OpenAPI links name unknown operations: {missing}")
        response = operations[source]["responses"][status]
        response["links"] = {
            target: {"operationId": target, "parameters": dict(parameters)}
            for target, parameters in targets.items()
        }
    return result
