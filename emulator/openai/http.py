"""Routes of the OpenAI-compatible layer: `/{v}/openai/...` with the per-operation journal and fault
middleware of every API route. Their errors, raised by the endpoint or injected as HTTP faults, are
rendered by `openai_error`, the way the compatibility layer renders them: Google's error envelope in
a JSON array.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator.asgi.query import Query
from emulator.asgi.requests import error_response
from emulator.asgi.routing import Endpoint
from emulator.errors import ApiError
from emulator.openai.wire import error_body


def openai_error(error: ApiError) -> Response:
    """The surface's one rendering of an error (observed: `Error code: 400 - [{'error': {'code': 400,
    'message': ..., 'status': 'INVALID_ARGUMENT'}}]`)."""
    return error_response(error, error_body(error))


def openai_route(
    path: str, endpoint: Endpoint, method: str, operation: str, *, query: Query | None = None
) -> list[Route]:
    """The route of `/{version}/openai{path}`, for every version it is mounted under; `operation`
    (`openai.batches.create`) names the route and keys the journal and fault injection, and `query`
    declares its query parameters, as `api_route` does for native routes."""
    from emulator.asgi.middleware import OperationMiddleware

    wrap = [Middleware(OperationMiddleware, operation=operation, render=openai_error, query=query)]
    return [Route(f"/openai{path}", _rendering_errors(endpoint), methods=[method], name=operation, middleware=wrap)]


def _rendering_errors(endpoint: Endpoint) -> Endpoint:
    """The endpoint, its errors answered in the surface's shape (not by the app's handler)."""

    async def answer(request: Request) -> Response:
        try:
            return await endpoint(request)
        except ApiError as error:
            return openai_error(error)

    answer.__name__ = endpoint.__name__
    return answer
