"""The control plane under `/_emulator/`: for tests and operators, never called by the SDKs."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator import __version__
from emulator.web import JSONResponse, emulator_of


async def health(request: Request) -> Response:
    """200 once the server is serving: storage is open and the runner started."""
    return JSONResponse({"status": "ok", "version": __version__})


async def wait_idle(request: Request) -> Response:
    """Block (up to `timeout` seconds, default 30) until no batch has work left."""
    timeout = float(request.query_params.get("timeout", "30"))
    try:
        await asyncio.wait_for(emulator_of(request).runner.wait_idle(), timeout=timeout)
    except TimeoutError:
        return JSONResponse({"idle": False})
    return JSONResponse({"idle": True})


routes = [
    Route("/_emulator/health", health, methods=["GET"], name="emulator.health"),
    Route("/_emulator/wait-idle", wait_idle, methods=["POST", "GET"], name="emulator.waitIdle"),
]
