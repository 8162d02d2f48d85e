"""HTTP helpers shared by every resource's routes: JSON in and out, errors out, the caller's tenant,
links.

Requests are read leniently (an empty body is `{}`, both casings are accepted by each `wire`
module); responses are compact lowerCamelCase JSON, always HTTP 200 on success (the Python SDK
treats any other 2xx as an error).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import Scope

from emulator import googlejson
from emulator.errors import ApiError, InvalidArgument
from emulator.ids import tenant_for_key
from emulator.links import Links

if TYPE_CHECKING:
    from emulator.emulator import Emulator

_VERSION = re.compile(r"^/(?:upload/|download/)?(v1(?:beta|alpha)?\d*)/")


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error_response(error: ApiError, body: Any = None) -> JSONResponse:
    """The one HTTP rendering of an error: its status, its headers, and Google's envelope
    (`{"error": {"code", "message", "status"}}`), or `body`, a surface's own shape of it."""
    return JSONResponse(error.http_body() if body is None else body, error.http_status, error.headers)


def emulator_of(connection: HTTPConnection) -> Emulator:
    """The app's `Emulator`: the only thing kept on the app's state (everything else hangs on it)."""
    emulator: Emulator = connection.app.state.emulator
    return emulator


def app_root(scope: Scope) -> str:
    """The path the app is served under (a base URL's path, `/prefix`; usually empty): what the
    base-path middleware stripped, kept unchanged by every mount below it."""
    root: str = scope.get("app_root_path", scope.get("root_path", ""))
    return root


def api_key_of(request: HTTPConnection) -> str | None:
    """The caller's key: `x-goog-api-key`, `?key=` (REST users), or `Authorization: Bearer`."""
    key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
    if not key:
        auth = request.headers.get("authorization", "")
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    return key or None


def tenant_of(request: HTTPConnection) -> str:
    """State is partitioned by API key, as on the real service: another key's batches are 404 and
    its files 403. The key itself is not stored, only a fingerprint."""
    return tenant_for(api_key_of(request))


# Clients send the same few keys on every call: the fingerprint (a SHA-256) is worth remembering
# (in memory only, as the keys themselves are while their requests are served).
tenant_for = lru_cache(maxsize=1024)(tenant_for_key)

# A polled batch or file shows the same few times on every answer: formatting is remembered too.


async def read_json(request: Request) -> dict[str, Any]:
    """The JSON object in the body ({} when empty), refused past `max_request_bytes` without reading
    more than that into memory."""
    limit = emulator_of(request).settings.max_request_bytes
    announced = request.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > limit:
        raise InvalidArgument(f"Request payload size exceeds the limit: {limit} bytes.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InvalidArgument(f"Request payload size exceeds the limit: {limit} bytes.")
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body.strip():
        return {}
    try:
        value = googlejson.loads(body)  # standard JSON, plus the syntax Google's front end accepts
    except googlejson.JsonSyntaxError as exc:
        raise InvalidArgument(str(exc)) from None
    if not isinstance(value, dict):
        raise InvalidArgument("Invalid JSON payload received. Expected a JSON object at the top level.")
    if too_deep(value):
        raise InvalidArgument(f"Invalid JSON payload received. Nesting deeper than {MAX_DEPTH} levels.")
    return value


MAX_DEPTH = 100


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON data nests deeper than `limit` (checked without recursion: the check itself must
    not be the thing that overflows)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values() if isinstance(child, dict | list))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item if isinstance(child, dict | list))
    return False


def links_of(request: Request, public_url: str | None = None) -> Links:
    """How this client reaches us: `--public-url`, or the scheme and host it called (honouring
    `X-Forwarded-*`) with the base path; the API version from the path (v1beta when there is none)."""
    if public_url:
        base = public_url.rstrip("/")
    else:
        headers = request.headers
        # The request's URL only when a header is missing: building it costs more than the rest.
        scheme = headers.get("x-forwarded-proto") or request.scope.get("scheme") or request.url.scheme
        host = headers.get("x-forwarded-host") or headers.get("host") or request.url.netloc
        base = f"{scheme.split(',')[0].strip()}://{host.split(',')[0].strip()}{app_root(request.scope)}"
    match = _VERSION.match(request.scope["path"])
    return Links(base=base, version=match.group(1) if match else "v1beta")
