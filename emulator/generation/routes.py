"""Synchronous model endpoints, sharing the batch responder: parse, one service call, render."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from emulator.asgi.query import PAGING, Kind, Param, Query
from emulator.asgi.requests import JSONResponse, emulator_of, links_of, read_json, tenant_of
from emulator.asgi.routing import api_route
from emulator.generation import wire
from emulator.generation.service import GenerationService
from emulator.paging import encode_token, page_params

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50


def _service(request: Request) -> GenerationService:
    """The service for this call; what lenient validation lets through goes to the request journal."""
    emulator = emulator_of(request)
    service = GenerationService(emulator.responder, emulator.files, emulator.validator)
    request.state.validation_warnings = service.warnings
    return service


def _version(request: Request) -> str:
    """The API version the caller used (`v1beta`), as the real 404s name it."""
    return links_of(request).version


def _alt(request: Request) -> str:
    """`alt`: `json` (the default) or `sse` (the route's query declaration refuses anything else)."""
    return request.query_params.get("alt", "json")


async def generate_content(request: Request) -> Response:
    body, model = await read_json(request), request.path_params["model"]
    answer = await _service(request).generate_content(
        tenant_of(request), body, model, method="generateContent", version=_version(request)
    )
    return JSONResponse(answer)


async def stream_generate_content(request: Request) -> Response:
    """`alt=sse` (what the SDKs ask for): server-sent events; otherwise one JSON array of chunks."""
    body, model = await read_json(request), request.path_params["model"]
    answer = await _service(request).generate_content(
        tenant_of(request), body, model, method="streamGenerateContent", version=_version(request)
    )
    chunks = list(wire.stream_chunks(answer))
    if _alt(request) != "sse":
        return JSONResponse(chunks)

    async def events() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield wire.sse_event(chunk)

    return StreamingResponse(events(), media_type="text/event-stream")


async def count_tokens(request: Request) -> Response:
    body, model = await read_json(request), request.path_params["model"]
    return JSONResponse(_service(request).count_tokens(body, model, version=_version(request)))


async def embed_content(request: Request) -> Response:
    body, model = await read_json(request), request.path_params["model"]
    return JSONResponse(_service(request).embed_content(body, model, version=_version(request)))


async def batch_embed_contents(request: Request) -> Response:
    body, model = await read_json(request), request.path_params["model"]
    return JSONResponse(_service(request).batch_embed_contents(body, model, version=_version(request)))


async def list_models(request: Request) -> Response:
    size, token = page_params(request.query_params, default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
    models, following = emulator_of(request).catalogue.page(token or 0, size)
    body: dict[str, object] = {"models": models}
    if following is not None:
        body["nextPageToken"] = encode_token(following)
    return JSONResponse(body)


async def get_model(request: Request) -> Response:
    return JSONResponse(emulator_of(request).catalogue.get(request.path_params["model"]))


_NONE = Query()
# `alt=sse` asks for server-sent events; the real API refuses other values with this wording.
_STREAM = Query(Param("alt", Kind.ENUM, ("json", "sse")))

routes = [
    *api_route("/models/{model:rid}:generateContent", generate_content, "POST", "models.generateContent", query=_NONE),
    *api_route(
        "/models/{model:rid}:streamGenerateContent",
        stream_generate_content,
        "POST",
        "models.streamGenerateContent",
        query=_STREAM,
    ),
    *api_route("/models/{model:rid}:countTokens", count_tokens, "POST", "models.countTokens", query=_NONE),
    *api_route("/models/{model:rid}:embedContent", embed_content, "POST", "models.embedContent", query=_NONE),
    *api_route(
        "/models/{model:rid}:batchEmbedContents", batch_embed_contents, "POST", "models.batchEmbedContents", query=_NONE
    ),
    *api_route("/models", list_models, "GET", "models.list", query=Query(*PAGING)),
    *api_route("/models/{model:rid}", get_model, "GET", "models.get", query=_NONE),
]
