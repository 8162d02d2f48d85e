"""`create_app(settings)`: the ASGI application, with every error rendered in Google's shape."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from emulator.admin.routes import routes as admin_routes
from emulator.auth import AuthMiddleware
from emulator.batches.routes import routes as batch_routes
from emulator.config import Settings
from emulator.emulator import Emulator
from emulator.errors import ApiError, Code, Internal
from emulator.files.routes import routes as file_routes
from emulator.generation.routes import routes as generation_routes
from emulator.openai.routes import routes as openai_routes
from emulator.routing import BasePathMiddleware
from emulator.ui.routes import routes as ui_routes
from emulator.web import JSONResponse

log = logging.getLogger("emulator.app")


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse(exc.http_body(), status_code=exc.http_status, headers=exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = Code.for_http(exc.status_code)
    if exc.status_code == 404:
        message = f"The requested URL {request.url.path} was not found on this server."
    elif exc.status_code == 405:
        message = f"Method {request.method} is not allowed for {request.url.path}."
    else:
        message = str(exc.detail)
    error = ApiError(message, code=code, http_status=exc.status_code)
    return JSONResponse(error.http_body(), status_code=exc.status_code)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    error = Internal("Internal error encountered.")
    return JSONResponse(error.http_body(), status_code=500)


def create_app(settings: Settings | None = None, *, emulator: Emulator | None = None) -> Starlette:
    """The emulator as an ASGI app. Its lifespan runs `emulator.running()`; without a lifespan
    (e.g. `httpx.ASGITransport`), enter `app.state.emulator.running()` yourself."""
    emulator = emulator or Emulator(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with emulator.running():
            yield

    app = Starlette(
        routes=[*file_routes, *batch_routes, *generation_routes, *openai_routes, *admin_routes, *ui_routes],
        middleware=[Middleware(BasePathMiddleware), Middleware(AuthMiddleware)],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error, Exception: _unexpected},
        lifespan=lifespan,
    )
    app.state.emulator = emulator
    return app
