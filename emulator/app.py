"""`create_app(settings)`: the ASGI application, with every error rendered in Google's shape.

The Files, Batches and control-plane routes are imported with the app; the synchronous model
endpoints, the OpenAI-compatible surface and the dashboard are `LazyRoutes`, imported by the first
request under their prefix, so that start-up does not pay for surfaces a run may never use.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from emulator.asgi.auth import AuthMiddleware
from emulator.asgi.requests import error_response
from emulator.asgi.routing import API_VERSIONS, BasePathMiddleware, LazyRoutes, RouteTable
from emulator.batches.routes import routes as batch_routes
from emulator.config import Settings
from emulator.control.routes import routes as admin_routes
from emulator.emulator import Emulator
from emulator.errors import ApiError, Code, Internal
from emulator.files.routes import routes as file_routes

log = logging.getLogger("emulator.app")


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = Code.for_http(exc.status_code)
    if exc.status_code == 404:
        message = f"The requested URL {request.url.path} was not found on this server."
    elif exc.status_code == 405:
        message = f"Method {request.method} is not allowed for {request.url.path}."
    else:
        message = str(exc.detail)
    return error_response(ApiError(message, code=code, http_status=exc.status_code))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(Internal("Internal error encountered."))


def _routes() -> RouteTable:
    """Every route, in the order they are tried (the first full match wins)."""
    return RouteTable(
        [
            *file_routes,
            *batch_routes,
            LazyRoutes("emulator.generation.routes:routes", prefixes=tuple(f"/{v}/models" for v in API_VERSIONS)),
            LazyRoutes("emulator.openai.routes:routes", prefixes=tuple(f"/{v}/openai/" for v in API_VERSIONS)),
            *admin_routes,
            LazyRoutes("emulator.ui.routes:routes", prefixes=("/_emulator/ui",), paths=("/",)),
        ]
    )


def create_app(settings: Settings | None = None, *, emulator: Emulator | None = None) -> Starlette:
    """The emulator as an ASGI app. Its lifespan runs `emulator.running()`; without a lifespan
    (e.g. `httpx.ASGITransport`), enter `app.state.emulator.running()` yourself."""
    emulator = emulator or Emulator(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with emulator.running():
            yield

    app = Starlette(
        routes=[_routes()],
        middleware=[Middleware(BasePathMiddleware), Middleware(AuthMiddleware)],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error, Exception: _unexpected},
        lifespan=lifespan,
    )
    app.state.emulator = emulator
    return app
