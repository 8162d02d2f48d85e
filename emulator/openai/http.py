"""Routes of the OpenAI-compatible layer: `/{v}/openai/...` with the per-operation journal and fault
middleware of every API route, inside one that renders errors the way the compatibility layer does
(Google's error envelope in a JSON array), injected HTTP faults included.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.asgi.requests import JSONResponse
from emulator.asgi.routing import API_VERSIONS, Endpoint
from emulator.errors import ApiError
from emulator.openai.wire import error_body


def openai_route(path: str, endpoint: Endpoint, method: str, operation: str) -> list[Route]:
    """`/{version}/openai{path}` for every API version; `operation` (`openai.batches.create`) names the
    route and keys the journal and fault injection, as `api_route` does for native routes."""
    from emulator.asgi.middleware import OperationMiddleware

    wrap = [Middleware(ArrayErrors), Middleware(OperationMiddleware, operation=operation)]
    return [
        Route(f"/{version}/openai{path}", endpoint, methods=[method], name=f"{operation}@{version}", middleware=wrap)
        for version in API_VERSIONS
    ]


class ArrayErrors:
    """Errors raised by the endpoint, and JSON error answers from the fault middleware, become
    `[{"error": {...}}]`; everything else passes through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message | None = None
        held: list[bytes] = []

        async def wrapped(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                is_json = headers.get(b"content-type", b"").startswith(b"application/json")
                if message["status"] >= 400 and is_json:
                    start = message
                    return
                await send(message)
            elif message["type"] == "http.response.body" and start is not None:
                held.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await _send_array(start, b"".join(held), send)
            else:
                await send(message)

        try:
            await self.app(scope, receive, wrapped)
        except ApiError as error:
            response = JSONResponse(error_body(error), status_code=error.http_status, headers=error.headers)
            await response(scope, receive, send)


async def _send_array(start: Message, body: bytes, send: Send) -> None:
    if body.startswith(b"{"):
        body = b"[" + body + b"]"
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})
