"""Google's discovery document of the emulated surface: `GET /$discovery/rest?version=v1beta`.

Discovery clients (the `googleapis` Node.js client's `google.discoverAPI`, Python's
`googleapiclient.discovery`) fetch this document and build their methods from it: `rootUrl` +
`servicePath` + a method's `path` (`v1beta/{+name}`, with the resource name's collection inside the
parameter), `mediaUpload.protocols.simple.path` for uploads (`uploadType=media` or `multipart`).

It is built from the same paths as the OpenAPI document (`api_paths.py`), so the two cannot drift:
every operation there that has an `x-google-method` (Google's method id, e.g. `models.generateContent`)
becomes that method, with Google's parameter names (`name`, `model`), patterns and flat paths; the
emulator's own aliases (`POST .../batches/{id}:delete`) have none and are left out. Where Google's
document differs from the rule, the difference is written below. Schemas are converted from the
OpenAPI ones (int64 strings as `format: int64`, times as `google-datetime`).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator import __version__
from emulator.asgi.query import Param, Query, checked
from emulator.asgi.requests import JSONResponse, emulator_of, links_of
from emulator.control.api_paths import SCHEMAS, api_paths
from emulator.errors import NotFound

VERSIONS = ("v1", "v1beta", "v1alpha")
DEFAULT_VERSION = "v1"
_MAX_UPLOAD = str(2 * 1024**3)  # 2 GB per file
_SEGMENT = re.compile(r"([A-Za-z]+)/\{(\w+)\}")
_REF = "#/components/schemas/"
# Google's document lists batches with the collection as a path parameter (`v1beta/{+name}`, name
# `batches`); the emulator's route is the plain collection.
_COLLECTION_AS_NAME = {"batches.list": "batches"}
_STANDARD_PARAMETERS: dict[str, Any] = {
    "key": {"type": "string", "location": "query", "description": "API key."},
    "access_token": {"type": "string", "location": "query", "description": "OAuth access token."},
    "oauth_token": {"type": "string", "location": "query", "description": "OAuth 2.0 token for the current user."},
    "alt": {
        "type": "string",
        "location": "query",
        "enum": ["json", "media", "proto"],
        "default": "json",
        "description": "Data format for response.",
    },
    "fields": {"type": "string", "location": "query", "description": "Fields to include in a partial response."},
    "prettyPrint": {"type": "boolean", "location": "query", "default": "true", "description": "Indented output."},
    "quotaUser": {"type": "string", "location": "query", "description": "Quota user."},
    "uploadType": {
        "type": "string",
        "location": "query",
        "description": 'Legacy upload protocol for media (e.g. "media", "multipart").',
    },
    "upload_protocol": {"type": "string", "location": "query", "description": 'Upload protocol (e.g. "raw").'},
    "callback": {"type": "string", "location": "query", "description": "JSONP"},
    "$.xgafv": {"type": "string", "location": "query", "enum": ["1", "2"], "description": "V1 error format."},
}


def discovery_document(version: str, root_url: str) -> dict[str, Any]:
    """The discovery document of `version`, its URLs under `root_url` (ending in `/`)."""
    resources: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Empty": {"id": "Empty", "type": "object", "properties": {}}}
    for path, operations in api_paths().items():
        for http_method, operation in operations.items():
            google = operation.get("x-google-method")
            if google is not None:
                resource, name = google.split(".")
                methods = resources.setdefault(resource, {"methods": {}})["methods"]
                _describe(methods.setdefault(name, {}), google, path, http_method, operation, version, schemas)
    return {
        "kind": "discovery#restDescription",
        "discoveryVersion": "v1",
        "id": f"generativelanguage:{version}",
        "name": "generativelanguage",
        "version": version,
        "revision": __version__,
        "title": "Generative Language API",
        "description": "The Gemini API's Files API, Batch Mode and model endpoints, as the emulator serves them.",
        "ownerDomain": "google.com",
        "ownerName": "Google",
        "protocol": "rest",
        "rootUrl": root_url,
        "baseUrl": root_url,
        "servicePath": "",
        "batchPath": "batch",
        "fullyEncodeReservedExpansion": True,
        "parameters": _STANDARD_PARAMETERS,
        "resources": resources,
        "schemas": schemas,
    }


def _describe(
    method: dict[str, Any],
    google: str,
    path: str,
    http_method: str,
    operation: dict[str, Any],
    version: str,
    schemas: dict[str, Any],
) -> None:
    """Fill in `method` from one OpenAPI operation (a method served at two paths, such as
    `files.download` under `/download` too, is described by both)."""
    if path.startswith("/upload/"):
        simple = {"multipart": True, "path": path.replace("{version}", version)}
        method["supportsMediaUpload"] = True
        method["mediaUpload"] = {"accept": ["*/*"], "maxSize": _MAX_UPLOAD, "protocols": {"simple": simple}}
        path = path.removeprefix("/upload")
    elif path.startswith("/download/"):
        method.update(supportsMediaDownload=True, useMediaDownloadService=True)
        path = path.removeprefix("/download")
    rest = path.removeprefix("/{version}/")
    parameters: dict[str, Any] = {}
    order: list[str] = []

    def segment(match: re.Match[str]) -> str:
        collection, _ = match.groups()
        name = "model" if rest[match.end() : match.end() + 1] == ":" and collection.endswith("odels") else "name"
        parameters[name] = {
            "type": "string",
            "location": "path",
            "required": True,
            "pattern": f"^{collection}/[^/]+$",
            "description": f"The resource name, `{collection}/{{id}}`.",
        }
        order.append(name)
        return f"{{+{name}}}"

    google_path = _SEGMENT.sub(segment, rest)
    flat_path = _SEGMENT.sub(lambda m: f"{m.group(1)}/{{{m.group(1)}Id}}", rest)
    if google in _COLLECTION_AS_NAME:
        collection = _COLLECTION_AS_NAME[google]
        google_path = "{+name}"
        parameters["name"] = {
            "type": "string",
            "location": "path",
            "required": True,
            "pattern": f"^{collection}$",
            "description": "The collection.",
        }
        order.append("name")
    for parameter in operation.get("parameters", ()):
        if parameter.get("in") == "query" and parameter["name"] not in _STANDARD_PARAMETERS:
            if parameter["name"] != "upload_id":  # the resumable session, not a method parameter
                parameters[parameter["name"]] = {"location": "query", **_schema(parameter.get("schema", {}), schemas)}
    method.update(
        id=f"generativelanguage.{google}",
        path=f"{version}/{google_path}",
        flatPath=f"{version}/{flat_path}",
        httpMethod=http_method.upper(),
        parameters={**method.get("parameters", {}), **parameters},
        parameterOrder=order,
        description=operation.get("summary", ""),
    )
    resource, name = google.split(".")
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body is not None:
        method["request"] = {"$ref": _named(body, _name(resource, name, "Request"), schemas)}
    ok = operation["responses"]["200"].get("content", {})
    if "application/json" in ok:
        method["response"] = {
            "$ref": _named(ok["application/json"]["schema"], _name(resource, name, "Response"), schemas)
        }


def _name(resource: str, method: str, kind: str) -> str:
    """`GenerateContentRequest`; `ListFilesResponse` for the collection verbs."""
    if method in ("list", "get", "delete", "create"):
        return f"{method.capitalize()}{resource[0].upper()}{resource[1:]}{kind}"
    if method == "upload" and resource == "media":
        return f"CreateFile{kind}"  # Google's names
    return f"{method[0].upper()}{method[1:]}{kind}"


def _named(schema: dict[str, Any], name: str, schemas: dict[str, Any]) -> str:
    """The name `schema` is registered under: its own for a reference, `Empty` for `{}`, else `name`."""
    if "$ref" in schema:
        return _schema(schema, schemas)["$ref"]  # type: ignore[no-any-return]
    if schema.get("maxProperties") == 0:
        return "Empty"
    converted = {"id": name, **_schema(schema, schemas)}
    if schemas.setdefault(name, converted) != converted:
        raise ValueError(f"two different schemas would be named {name}")
    return name


def _schema(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI schema in the discovery format (references are registered in `schemas`)."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_REF):
        name = ref.removeprefix(_REF)
        if name not in schemas and name in SCHEMAS:
            schemas[name] = {}  # reserved first: a schema may refer to itself
            schemas[name] = {"id": name, **_schema(SCHEMAS[name], schemas)}
        return {"$ref": name}
    if "enum" in schema:
        values = [value for value in schema["enum"] if value is not None]
        return {"type": "string", "enum": values}
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") == "date-time":
            return {"type": "string", "format": "google-datetime"}
        if schema.get("pattern") == "^-?[0-9]+$":
            return {"type": "string", "format": "int64"}
        return {"type": "string"}
    if kind == "integer":
        return {"type": "integer", "format": "int32"}
    if kind == "number":
        return {"type": "number", "format": "double"}
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "array":
        return {"type": "array", "items": _schema(schema.get("items", {}), schemas)}
    if kind == "object":
        converted: dict[str, Any] = {"type": "object"}
        properties = schema.get("properties")
        if properties:
            converted["properties"] = {key: _schema(value, schemas) for key, value in properties.items()}
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            converted["additionalProperties"] = _schema(extra, schemas)
        elif not properties:
            converted["additionalProperties"] = {"type": "any"}
        return converted
    return {"type": "any"}


async def discovery(request: Request) -> Response:
    version = request.query_params.get("version", DEFAULT_VERSION)
    if version not in VERSIONS:
        raise NotFound(f"Discovery document not found for API service: generativelanguage, version {version!r}.")
    base = links_of(request, emulator_of(request).settings.public_url).base
    return JSONResponse(discovery_document(version, base + "/"))


# `version`, and Google's system parameters (the JS client sends none; a curl user may send `key`).
routes = [Route("/$discovery/rest", checked(discovery, Query(Param("version"))), methods=["GET"], name="discovery")]
