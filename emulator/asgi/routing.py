"""Route construction: the `rid` convertor, API-version prefixes, base-path prefixes, and the route
table.

Google's URLs put verbs after a colon (`batches/abc:cancel`), so resource ids use a `rid` convertor
that stops at `/` and `:`. Every API route is served under `/v1`, `/v1beta` and `/v1alpha` (the
SDKs default to `v1` since 3.x, the docs use `v1beta`).

Starlette's router tries its routes one regex at a time, in order; with every route tripled per
version that is over a hundred tries before the control plane's. `RouteTable` first picks the
routes under the request's first path segment (`v1beta`, `_emulator`), then tries only those, in
the declared order: routes under different first segments never match the same path, so the
answer is the one the flat list would give. `LazyRoutes` stands in for a surface (the dashboard,
OpenAI compatibility) whose module is imported only when a request first reaches its prefix.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import URLPath
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound, Route
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
    from emulator.asgi.middleware import OperationMiddleware

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


# -- the route table ------------------------------------------------------------------------------
def _route_path(scope: Scope) -> str:
    """The path routes match against: the request's, less any `root_path` (as Starlette's own)."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if not root_path or not path.startswith(root_path):
        return path
    if path == root_path:
        return ""
    return path[len(root_path) :] if path[len(root_path)] == "/" else path


def _first_segment(path: str) -> str:
    """`v1beta` for `/v1beta/batches/x`, `` for `/`."""
    return path[1:].partition("/")[0]


def _match_first(routes: Sequence[BaseRoute], scope: Scope) -> tuple[Match, Scope]:
    """What `starlette.routing.Router` would do with `routes`: the first full match, else the first
    partial one (a 405), each with the route that matched as `route` in its scope."""
    partial: tuple[Match, Scope] | None = None
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            return match, child if "route" in child else {**child, "route": route}
        if match is Match.PARTIAL and partial is None:
            partial = (match, child if "route" in child else {**child, "route": route})
    return partial or (Match.NONE, {})


class _Group(BaseRoute):
    """Routes that stand as one: matching names the inner route as `scope["route"]`, which handles."""

    @property
    def routes(self) -> list[BaseRoute]:
        raise NotImplementedError  # pragma: no cover

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute = scope["route"]
        await route.handle(scope, receive, send)


class LazyRoutes(_Group):
    """The routes of `module:attribute`, imported the first time a request's path starts with one
    of `prefixes` (or is one of `paths`); until then the module is not loaded at all."""

    def __init__(self, target: str, *, prefixes: tuple[str, ...] = (), paths: tuple[str, ...] = ()) -> None:
        self.target, self.prefixes, self.paths = target, prefixes, paths
        self._routes: list[BaseRoute] | None = None

    @property
    def first_segments(self) -> set[str]:
        return {_first_segment(p) for p in (*self.prefixes, *self.paths)}

    @property
    def routes(self) -> list[BaseRoute]:
        if self._routes is None:
            module, _, attribute = self.target.partition(":")
            self._routes = list(getattr(importlib.import_module(module), attribute))
        return self._routes

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = _route_path(scope)
        if path in self.paths or path.startswith(self.prefixes):
            return _match_first(self.routes, scope)
        return Match.NONE, {}


class RouteTable(_Group):
    """`routes` grouped by the first segment of their path; a request is tried against its own
    segment's routes only, in their declared order (see the module's docstring)."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self._all = list(routes)
        self._by_segment: dict[str, list[BaseRoute]] = {}
        for route in self._all:
            for segment in _segments_of(route):
                self._by_segment.setdefault(segment, []).append(route)

    @property
    def routes(self) -> list[BaseRoute]:
        return self._all

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        routes = self._by_segment.get(_first_segment(_route_path(scope)))
        return _match_first(routes, scope) if routes else (Match.NONE, {})


def _segments_of(route: BaseRoute) -> set[str]:
    if isinstance(route, LazyRoutes):
        return route.first_segments
    path = getattr(route, "path", None)
    segment = _first_segment(path) if isinstance(path, str) else "{"
    if "{" in segment:
        raise ValueError(f"RouteTable needs a literal first path segment, not {route!r}")
    return {segment}


def all_routes(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route, with groups opened (and lazy surfaces loaded): for introspection and tests."""
    for route in routes:
        if isinstance(route, _Group):
            yield from all_routes(route.routes)
        else:
            yield route
