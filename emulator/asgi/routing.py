"""Route construction: the `rid` convertor, API-version prefixes, base-path prefixes, and the lazy
mount.

Google's URLs put verbs after a colon (`batches/abc:cancel`), so resource ids use a `rid` convertor
that stops at `/` and `:`. Every API route is served under `/v1`, `/v1beta` and `/v1alpha` (the
SDKs default to `v1` since 3.x, the docs use `v1beta`): routes are declared once, relative to the
version (`api_route`), and the app mounts them under each version with Starlette's `Mount`, which
dispatches on the first segment with one regex instead of trying every route of every version.
`LazyMount` stands in for a surface (the synchronous model endpoints, the OpenAI compatibility, the
dashboard) whose module is imported only when a request first reaches its prefix.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, NamedTuple

from starlette.convertors import Convertor, register_url_convertor
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.asgi.query import Query, checked

API_VERSIONS = ("v1", "v1beta", "v1alpha")
Endpoint = Callable[[Request], Awaitable[Response]]


class ResourceId(Convertor[str]):
    regex = "[^/:]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("rid", ResourceId())


class ApiRoute(Route):
    """A route below `{prefix}/{version}`: `prefix` is `/upload`, `/download` or empty."""

    def __init__(self, path: str, endpoint: Endpoint, *, prefix: str, **options: Any) -> None:
        super().__init__(path, endpoint, **options)
        self.prefix = prefix


def api_route(
    path: str, endpoint: Endpoint, method: str, operation: str, *, prefix: str = "", query: Query | None = None
) -> list[Route]:
    """The route of `{prefix}/{version}{path}`, for every version it is mounted under. `operation`
    is the Google method id (`batches.get`): it names the route and keys fault injection. `query`:
    the query parameters it reads (any other is refused); None leaves the query string unchecked."""
    from emulator.asgi.middleware import OperationMiddleware

    wrap = [Middleware(OperationMiddleware, operation=operation, query=query)]
    return [ApiRoute(path, endpoint, prefix=prefix, methods=[method], name=operation, middleware=wrap)]


def control_route(path: str, endpoint: Endpoint, *methods: str, query: Query | None = None) -> Route:
    """A control-plane route, `/_emulator{path}` (mounted there): no version, no journal, no faults.
    `query`, as for `api_route`."""
    name = f"emulator.{endpoint.__name__}"
    return Route(path, endpoint if query is None else checked(endpoint, query), methods=list(methods), name=name)


def version_mounts(routes: Sequence[BaseRoute]) -> list[BaseRoute]:
    """`routes` under `/v1`, `/v1beta` and `/v1alpha` (the same route objects in each)."""
    return [Mount(f"/{version}", routes=list(routes)) for version in API_VERSIONS]


def prefix_mount(prefix: str, routes: Sequence[BaseRoute]) -> Mount:
    """`routes` under `{prefix}/{version}`. Only the versions below answer a missing slash with a
    redirect: `/upload/v1beta` is a 404, as before any mount existed."""
    return Mount(prefix, app=Router(version_mounts(routes), redirect_slashes=False))


_ANCHOR = re.compile(r"/(?:upload/|download/)?v1(?:beta|alpha)?/|/_emulator(?:/|$)")
_ROOTS = ("/v1/", "/v1beta/", "/v1alpha/", "/upload/", "/download/", "/_emulator")
# The JS SDK puts a File's whole `uri` into the path when given a File object whose uri is not
# https (`/v1/files/http://host/v1/files/abc:download`); keep only the last `files/<id>...`.
_EMBEDDED_URI = re.compile(r"(/files/)https?:/+[^/]+/(?:.*/)?files/(?=[^/]+$)")


class BasePathMiddleware:
    """A base URL with a path (`http://host/prefix/`) makes the SDKs call `/prefix/v1beta/...`:
    route `/v1beta/...` and keep the prefix as the app's root (`app_root_path`, which Starlette's
    mounts pass down unchanged), so that links keep it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            root: str = scope.get("app_root_path", scope.get("root_path", ""))
            if not path.startswith(_ROOTS) and (match := _ANCHOR.search(path)) and match.start() > 0:
                path, root = path[match.start() :], root + path[: match.start()]
            if "/files/http" in path:
                path = _EMBEDDED_URI.sub(r"\1", path, count=1)
            if path != scope["path"]:
                scope = {**scope, "path": path, "app_root_path": root}
        await self.app(scope, receive, send)


class LazyMount(Mount):
    """Starlette's `Mount` of the routes at `module:attribute`, imported the first time a request's
    path below the enclosing mount starts with one of `prefixes` (or is one of `paths`); until then
    the module is not loaded at all. The routes' paths are relative to the enclosing mount, as the
    mount adds no segment of its own. It claims a request only when one of its routes matches it
    (fully, or by path alone: a 405), so the routes beside it keep their order."""

    def __init__(self, target: str, *, prefixes: tuple[str, ...] = (), paths: tuple[str, ...] = ()) -> None:
        super().__init__("", routes=[])
        self.target, self.prefixes, self.paths = target, prefixes, paths
        self._router: Router | None = None

    @property
    def router(self) -> Router:
        if self._router is None:
            module, _, attribute = self.target.partition(":")
            self._router = Router(list(getattr(importlib.import_module(module), attribute)))
        return self._router

    @property
    def routes(self) -> list[BaseRoute]:
        return self.router.routes

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # Below the enclosing mount: in a scope that a Mount passed down, `path` starts with `root_path`.
        below = scope["path"][len(scope.get("root_path", "")) :]
        if not (below in self.paths or below.startswith(self.prefixes)):
            return Match.NONE, {}
        match, child = super().matches(scope)
        if match is not Match.FULL:
            return match, child
        inner = {**scope, **child}
        found = Match.NONE
        for route in self.routes:
            match, _ = route.matches(inner)
            if match is Match.FULL:
                return match, child
            if match is Match.PARTIAL:
                found = match
        return found, child

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.router(scope, receive, send)


class Served(NamedTuple):
    """A route and the whole path it serves."""

    path: str
    route: BaseRoute


def all_routes(routes: Sequence[BaseRoute], under: str = "") -> Iterator[Served]:
    """Every route with its whole path, mounts opened (and lazy surfaces loaded): for introspection
    and tests."""
    for route in routes:
        if isinstance(route, Mount):
            yield from all_routes(route.routes, under + route.path)
        else:
            yield Served(under + str(getattr(route, "path", "")), route)
