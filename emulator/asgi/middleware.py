"""Per-operation ASGI middleware: the request journal, metrics, HTTP faults and response latency.

Wraps each API route (not the control plane), so it knows the operation by name (`batches.get`)
without parsing URLs. A fault answers before the endpoint runs: an error (with `Retry-After` for
429s and `x-goog-upload-status` on upload URLs, which the Python SDK needs), a delay, or a dropped
connection (headers promising a body that never comes). Injected errors are rendered by the
surface's `render` (Google's envelope unless the route says otherwise).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.asgi.query import Query
from emulator.asgi.requests import app_root, emulator_of, error_response, tenant_of
from emulator.clock import VirtualClock
from emulator.errors import ApiError, Code
from emulator.faults.rules import HttpFault
from emulator.observability.logs import note_operation

if TYPE_CHECKING:
    from emulator.quotas import QuotaBook

ErrorRenderer = Callable[[ApiError], Response]
_RESOURCE_PARAMS = {"batch_id": "batches/", "file_id": "files/", "model": "models/"}


class OperationMiddleware:
    def __init__(
        self, app: ASGIApp, operation: str, render: ErrorRenderer = error_response, query: Query | None = None
    ) -> None:
        self.app = app
        self.operation = operation
        self.render = render
        self.query = query

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection = HTTPConnection(scope)
        emulator = emulator_of(connection)
        tenant = tenant_of(connection)
        operation = self.operation
        if operation == "files.upload" and "upload_id" in connection.query_params:
            operation = "files.upload.chunk"
            # The Python SDK sends no key on chunks: the session knows whose upload it is.
            session = await emulator.store.get_upload(connection.query_params["upload_id"])
            tenant = session.tenant if session is not None else tenant
        started = time.perf_counter()
        status = 500
        fault = emulator.faults.http_fault(operation, tenant)
        note_operation(operation, tenant, fault.id if fault is not None else None)
        delay = emulator.settings.http_latency + (fault.delay if fault else 0.0)
        try:
            if delay:
                await asyncio.sleep(delay)
            if fault is not None and fault.drop:
                status = 0
                await _drop(send)
            elif fault is not None and fault.code is not None:
                response = self.render(_fault_error(fault, operation))
                status = response.status_code
                await response(scope, receive, send)
            elif (
                self.query is not None
                and scope["query_string"]
                and (refused := self.query.refusal(scope["query_string"]))
            ):
                response = self.render(refused)
                status = response.status_code
                await response(scope, receive, send)
            else:

                async def send_status(message: Message) -> None:
                    nonlocal status
                    if message["type"] == "http.response.start":
                        status = message["status"]
                    await send(message)

                if operation in _COUNTED and (book := emulator.batches.quotas_made) is not None and book.enabled:
                    receive = await _admitted(book, tenant, scope, receive, emulator.clock)
                await self.app(scope, receive, send_status)
        except ApiError as exc:
            status = exc.http_status
            raise
        except HTTPException as exc:
            status = exc.status_code
            raise
        except ClientDisconnect:
            status = Code.CANCELLED.http  # 499: the client hung up mid-request, not a server error
            raise
        finally:
            resource = _resource(scope.get("path_params"))
            elapsed = time.perf_counter() - started
            emulator.metrics.observe_request(operation, status, elapsed)
            emulator.journal.record(
                time_us=emulator.clock.now_us(tenant),
                operation=operation,
                method=scope["method"],
                path=app_root(scope) + scope["path"],
                status=status,
                tenant=tenant,
                resource=resource,
                duration_ms=round(elapsed * 1000, 3),
                fault=fault.id if fault is not None else None,
                warnings=tuple(scope.get("state", {}).get("validation_warnings", ())),
            )


# The synchronous model calls per-minute and per-day quotas count (docs/quotas.md); countTokens is not one.
_COUNTED = frozenset(
    {"models.generateContent", "models.streamGenerateContent", "models.embedContent", "models.batchEmbedContents"}
)


async def _admitted(quotas: QuotaBook, tenant: str, scope: Scope, receive: Receive, clock: VirtualClock) -> Receive:
    """Read the body, admit the call under the key's quotas of its model (or raise the real 429), and
    hand the endpoint the body again."""
    from emulator.quotas.tokens import call_tokens  # only with quotas on: not at start-up

    chunks: list[bytes] = []
    message: Message = {"type": "http.request", "more_body": True}
    while message["type"] == "http.request" and message.get("more_body", False):
        message = await receive()
        chunks.append(message.get("body", b""))
    body = b"".join(chunks)
    quotas.admit_request(tenant, scope["path_params"]["model"], call_tokens(body), clock.now_us(tenant))
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _resource(params: dict[str, str] | None) -> str | None:
    """`batches/abc` for a route with a `batch_id`, and so on; None for collections."""
    if params:
        for param, prefix in _RESOURCE_PARAMS.items():
            if param in params:
                return prefix + params[param]
    return None


def _fault_error(fault: HttpFault, operation: str) -> ApiError:
    code = fault.code or Code.UNAVAILABLE
    message = fault.message or f"Injected fault {fault.id}: {code.name}."
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        headers["retry-after"] = f"{fault.retry_after:g}"
    if operation.startswith("files.upload"):
        headers["x-goog-upload-status"] = "final"
    return ApiError(message, code=code, http_status=fault.status, headers=headers)


async def _drop(send: Send) -> None:
    """Promise a body and close the connection before it arrives: the client sees a broken read."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"', "more_body": True})
    # Returning with the response incomplete makes the server close the connection.
