"""`create_app(settings)`: the ASGI application, with every error rendered in Google's shape.

The routes are mounted with Starlette's `Mount`: the API under each version (and `/upload`,
`/download`), the control plane under `/_emulator`. The Files, Batches and control-plane routes are
imported with the app; the synchronous model endpoints, the OpenAI-compatible surface, webhooks and
the dashboard are `LazyMount`s, imported by the first request under their prefix, so that start-up does
not pay for surfaces a run may never use.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount

from emulator.asgi.auth import AuthMiddleware
from emulator.asgi.requests import error_response
from emulator.asgi.routing import ApiRoute, BasePathMiddleware, LazyMount, prefix_mount, version_mounts
from emulator.batches.routes import routes as batch_routes
from emulator.config import Settings
from emulator.control.routes import routes as admin_routes
from emulator.emulator import Emulator
from emulator.errors import ApiError, Cancelled, Code, Internal, NotFound
from emulator.files.routes import routes as file_routes

log = logging.getLogger("emulator.app")


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    """The router's own errors. A method a path does not take is an unknown URL, as on Google's front
    end (which routes on method and path together): 404 NOT_FOUND, like a path nothing serves. The
    HTTP status is always the code's own, so status and status string agree (docs/api.md, Errors)."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (404, 405):
        return error_response(NotFound(f"The requested URL {request.url.path} was not found on this server."))
    return error_response(ApiError(str(exc.detail), code=Code.for_http(exc.status_code)))


async def _client_gone(request: Request, exc: Exception) -> Response:
    """The client hung up before its request was complete: its fault, logged as such (499)."""
    log.info("client closed the connection mid-request: %s %s", request.method, request.url.path)
    return error_response(Cancelled("The client closed the connection before the request was complete."))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(Internal("Internal error encountered."))


_POLLED = ("batches.get", "files.get")


def _routes() -> list[BaseRoute]:
    """Every route; within a mount they are tried in this order (the first full match wins)."""
    # Routes are tried in order until one matches: the reads clients poll go first.
    api = sorted([*file_routes, *batch_routes], key=lambda route: getattr(route, "name", None) not in _POLLED)

    def under(prefix: str) -> list[BaseRoute]:
        return [route for route in api if isinstance(route, ApiRoute) and route.prefix == prefix]

    return [
        *version_mounts(
            [
                *under(""),
                LazyMount("emulator.webhooks.routes:routes", prefixes=("/webhooks",)),
                LazyMount("emulator.generation.routes:routes", prefixes=("/models",)),
                LazyMount("emulator.openai.routes:routes", prefixes=("/openai/",)),
            ]
        ),
        prefix_mount("/upload", under("/upload")),
        prefix_mount("/download", under("/download")),
        Mount("/_emulator", routes=[*admin_routes, LazyMount("emulator.ui.routes:routes", prefixes=("/ui",))]),
        LazyMount("emulator.webhooks.routes:jwks_routes", paths=("/.well-known/jwks.json",)),
        LazyMount("emulator.ui.routes:root_routes", paths=("/",)),
        LazyMount("emulator.control.discovery:routes", paths=("/$discovery/rest",)),
    ]


def create_app(settings: Settings | None = None, *, emulator: Emulator | None = None) -> Starlette:
    """The emulator as an ASGI app. Its lifespan runs `emulator.running()`; without a lifespan
    (e.g. `httpx.ASGITransport`), enter `app.state.emulator.running()` yourself."""
    emulator = emulator or Emulator(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with emulator.running():
            yield

    app = Starlette(
        routes=_routes(),
        middleware=[Middleware(BasePathMiddleware), Middleware(AuthMiddleware)],
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            ClientDisconnect: _client_gone,
            Exception: _unexpected,
        },
        lifespan=lifespan,
    )
    # Only the mounts below answer a missing slash with a redirect: `/v1beta` stays a 404.
    app.router.redirect_slashes = False
    app.state.emulator = emulator
    return app
