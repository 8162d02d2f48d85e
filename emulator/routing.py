"""Route construction: the `rid` convertor, API-version prefixes, and base-path prefixes.

Google's URLs put verbs after a colon (`batches/abc:cancel`), so resource ids use a `rid` convertor
that stops at `/` and `:`. Every API route is served under `/v1`, `/v1beta` and `/v1alpha` (the
SDKs default to `v1` since 3.x, the docs use `v1beta`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from starlette.convertors import Convertor, register_url_convertor
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

API_VERSIONS = ("v1", "v1beta", "v1alpha")
Endpoint = Callable[[Request], Awaitable[Response]]


class ResourceId(Convertor[str]):
    regex = "[^/:]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("rid", ResourceId())


def api_route(path: str, endpoint: Endpoint, method: str, operation: str, *, prefix: str = "") -> list[Route]:
    """One route per API version for `{prefix}/{version}{path}`. `operation` is the Google method id
    (`batches.get`): it names the route and, later, keys fault injection."""
    from emulator.middleware import OperationMiddleware

    wrap = [Middleware(OperationMiddleware, operation=operation)]
    return [
        Route(
            f"{prefix}/{version}{path}",
            endpoint,
            methods=[method],
            name=f"{operation}@{version}{prefix}",
            middleware=wrap,
        )
        for version in API_VERSIONS
    ]


def control_route(path: str, endpoint: Endpoint, *methods: str) -> Route:
    """A control-plane route, `/_emulator{path}`: no version prefix, no journal, no faults."""
    return Route(f"/_emulator{path}", endpoint, methods=list(methods), name=f"emulator.{endpoint.__name__}")


_ANCHOR = re.compile(r"/(?:upload/|download/)?v1(?:beta|alpha)?/|/_emulator(?:/|$)")
_ROOTS = ("/v1/", "/v1beta/", "/v1alpha/", "/upload/", "/download/", "/_emulator")
# The JS SDK puts a File's whole `uri` into the path when given a File object whose uri is not
# https (`/v1/files/http://host/v1/files/abc:download`); keep only the last `files/<id>...`.
_EMBEDDED_URI = re.compile(r"(/files/)https?:/+[^/]+/(?:.*/)?files/(?=[^/]+$)")


class BasePathMiddleware:
    """A base URL with a path (`http://host/prefix/`) makes the SDKs call `/prefix/v1beta/...`:
    strip the prefix into `root_path` so routing sees `/v1beta/...` and links keep the prefix."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            root_path: str = scope.get("root_path", "")
            if not path.startswith(_ROOTS) and (match := _ANCHOR.search(path)) and match.start() > 0:
                path, root_path = path[match.start() :], root_path + path[: match.start()]
            if "/files/http" in path:
                path = _EMBEDDED_URI.sub(r"\1", path, count=1)
            if path != scope["path"]:
                scope = {**scope, "path": path, "root_path": root_path}
        await self.app(scope, receive, send)
