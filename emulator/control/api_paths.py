"""The Gemini API half of the OpenAPI document: the Files API, Batch Mode and the model endpoints.

Every path is served under `/v1`, `/v1beta` and `/v1alpha` (the `version` parameter). The shapes are
the ones docs/wire.md describes; `tests/api/test_openapi.py` checks the document against the routes and
fuzzes the server with it.
"""

from __future__ import annotations

from typing import Any

_VERSION = {"name": "version", "in": "path", "required": True, "schema": {"enum": ["v1", "v1beta", "v1alpha"]}}
_KEY_HEADER = {"name": "x-goog-api-key", "in": "header", "required": False, "schema": {"type": "string"}}


def _id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[^/:]+$"}}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_ERRORS = {"default": _json(_ERROR_REF, "An error in Google's shape")}
_INT64 = {"type": "string", "pattern": "^-?[0-9]+$"}
_TIME = {"type": "string", "format": "date-time"}

SCHEMAS: dict[str, Any] = {
    "File": {
        "type": "object",
        "required": ["name", "mimeType", "sizeBytes", "createTime", "state"],
        "properties": {
            "name": {"type": "string", "pattern": "^files/"},
            "displayName": {"type": "string"},
            "mimeType": {"type": "string"},
            "sizeBytes": _INT64,
            "createTime": _TIME,
            "updateTime": _TIME,
            "expirationTime": _TIME,
            "sha256Hash": {"type": "string"},
            "uri": {"type": "string"},
            "downloadUri": {"type": "string"},
            "state": {"enum": ["STATE_UNSPECIFIED", "PROCESSING", "ACTIVE", "FAILED"]},
            "source": {"enum": ["SOURCE_UNSPECIFIED", "UPLOADED", "GENERATED", "REGISTERED"]},
        },
    },
    "Operation": {
        "type": "object",
        "required": ["name", "metadata"],
        "properties": {
            "name": {"type": "string", "pattern": "^batches/[^/]+$"},
            "done": {"type": "boolean"},
            "error": {"type": "object"},
            "response": {"type": "object"},
            "metadata": {
                "type": "object",
                "required": ["@type", "model", "state", "createTime", "name"],
                "properties": {
                    "@type": {"type": "string"},
                    "model": {"type": "string"},
                    "displayName": {"type": "string"},
                    "state": {"type": "string", "pattern": "^BATCH_STATE_"},
                    "createTime": _TIME,
                    "updateTime": _TIME,
                    "endTime": _TIME,
                    "batchStats": {"type": "object", "additionalProperties": _INT64},
                    "output": {"type": "object"},
                    "name": {"type": "string"},
                },
            },
        },
    },
}

_FILE = {"$ref": "#/components/schemas/File"}
_OPERATION = {"$ref": "#/components/schemas/Operation"}
_LIST_FILES = {
    "type": "object",
    "properties": {"files": {"type": "array", "items": _FILE}, "nextPageToken": {"type": "string"}},
}
_LIST_OPERATIONS = {
    "type": "object",
    "properties": {"operations": {"type": "array", "items": _OPERATION}, "nextPageToken": {"type": "string"}},
}
_PAGING = [
    {"name": "pageSize", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    {"name": "pageToken", "in": "query", "schema": {"type": "string"}},
]
_BATCH_BODY = {
    "type": "object",
    "required": ["batch"],
    "properties": {
        "batch": {
            "type": "object",
            "properties": {
                "displayName": {"type": "string"},
                "inputConfig": {
                    "type": "object",
                    "properties": {
                        "fileName": {"type": "string"},
                        "requests": {
                            "type": "object",
                            "properties": {"requests": {"type": "array", "items": {"type": "object"}}},
                        },
                    },
                },
                "priority": _INT64,
            },
        }
    },
}
_EMPTY = {"type": "object", "maxProperties": 0}


def _op(
    summary: str,
    ok: dict[str, Any],
    *,
    params: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    google: str | None = None,
) -> dict[str, Any]:
    """`google`: the method's id in Google's discovery document (`x-google-method`), from which
    `discovery.py` builds that document; None for the emulator's own aliases, which it leaves out."""
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": [_VERSION, _KEY_HEADER, *(params or [])],
        "responses": {"200": ok, **_ERRORS},
    }
    if google is not None:
        op["x-google-method"] = google
    if body is not None:
        op["requestBody"] = {"required": False, "content": {"application/json": {"schema": body}}}
    return op


def _on_model(
    google: str,
    body: dict[str, Any],
    *,
    summary: str | None = None,
    ok: dict[str, Any] | None = None,
    params: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    """The POST of a `.../{model}:method` path: the model, then `params`, as its parameters; a JSON
    `body`; by default Google's method id as its summary and an object as its answer."""
    return {
        "post": _op(
            summary or google,
            ok or _json({"type": "object"}),
            params=[_id("model"), *params],
            body=body,
            google=google,
        )
    }


def api_paths() -> dict[str, Any]:
    file_id, batch_id, model = _id("file_id"), _id("batch_id"), _id("model")
    media = {"description": "The file's bytes", "content": {"application/octet-stream": {"schema": {}}}}
    generate = {"type": "object", "properties": {"contents": {"type": "array", "items": {"type": "object"}}}}
    operation = _json(_OPERATION)
    return {
        "/upload/{version}/files": {
            "post": _op(
                "Resumable upload: start (X-Goog-Upload-Command: start), or a chunk to ?upload_id=; or one "
                "request: uploadType=media (the bytes) or uploadType=multipart (multipart/related: the "
                "{file} metadata, then the bytes)",
                _json({"type": "object"}),
                params=[
                    {"name": "upload_id", "in": "query", "schema": {"type": "string"}},
                    {"name": "uploadType", "in": "query", "schema": {"enum": ["media", "multipart"]}},
                    {"name": "x-goog-upload-command", "in": "header", "schema": {"type": "string"}},
                    {"name": "x-goog-upload-offset", "in": "header", "schema": {"type": "string"}},
                ],
                body={"type": "object", "properties": {"file": {"type": "object"}}},
                google="media.upload",
            )
        },
        "/{version}/files": {"get": _op("files.list", _json(_LIST_FILES), params=_PAGING, google="files.list")},
        "/{version}/files/{file_id}": {
            "get": _op("files.get", _json(_FILE), params=[file_id], google="files.get"),
            "delete": _op("files.delete", _json(_EMPTY), params=[file_id], google="files.delete"),
        },
        "/{version}/files/{file_id}:download": {
            "get": _op("files.download", media, params=[file_id], google="files.download")
        },
        "/download/{version}/files/{file_id}:download": {
            "get": _op("files.download", media, params=[file_id], google="files.download")
        },
        "/{version}/models/{model}:batchGenerateContent": _on_model(
            "models.batchGenerateContent", _BATCH_BODY, summary="batches.create", ok=operation
        ),
        "/{version}/tunedModels/{model}:batchGenerateContent": _on_model(
            "tunedModels.batchGenerateContent", _BATCH_BODY, summary="batches.create (tuned model)", ok=operation
        ),
        "/{version}/models/{model}:asyncBatchEmbedContent": _on_model(
            "models.asyncBatchEmbedContent", _BATCH_BODY, summary="batches.createEmbeddings", ok=operation
        ),
        "/{version}/batches": {
            "get": _op("batches.list", _json(_LIST_OPERATIONS), params=_PAGING, google="batches.list")
        },
        "/{version}/batches/{batch_id}": {
            "get": _op("batches.get", operation, params=[batch_id], google="batches.get"),
            "delete": _op("batches.delete", _json(_EMPTY), params=[batch_id], google="batches.delete"),
        },
        "/{version}/batches/{batch_id}:cancel": {
            "post": _op("batches.cancel", _json(_EMPTY), params=[batch_id], google="batches.cancel")
        },
        "/{version}/batches/{batch_id}:delete": {
            "post": _op("batches.delete (REST guide form)", _json(_EMPTY), params=[batch_id])
        },
        "/{version}/models/{model}:generateContent": _on_model("models.generateContent", generate),
        "/{version}/models/{model}:countTokens": _on_model("models.countTokens", generate),
        "/{version}/models/{model}:streamGenerateContent": _on_model(
            "models.streamGenerateContent",
            generate,
            summary="models.streamGenerateContent (alt=sse for server-sent events)",
            ok=_json({}),
            params=({"name": "alt", "in": "query", "schema": {"enum": ["sse", "json"]}},),
        ),
        "/{version}/models/{model}:batchEmbedContents": _on_model(
            "models.batchEmbedContents",
            {"type": "object", "properties": {"requests": {"type": "array", "items": {"type": "object"}}}},
        ),
        "/{version}/models": {
            "get": _op("models.list", _json({"type": "object"}), params=_PAGING, google="models.list")
        },
        "/{version}/models/{model}": {
            "get": _op("models.get", _json({"type": "object"}), params=[model], google="models.get")
        },
        "/{version}/models/{model}:embedContent": _on_model(
            "models.embedContent", {"type": "object", "properties": {"content": {"type": "object"}}}
        ),
    }
