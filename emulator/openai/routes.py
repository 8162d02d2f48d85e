"""OpenAI-compatible routes (`/v1beta/openai/...`, also `/v1` and `/v1alpha`): parse, one service
call, render. Authentication is `Authorization: Bearer KEY`, mapped to the same per-key state as the
native API's `x-goog-api-key`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import BaseRoute

from emulator.asgi.query import Param, Query
from emulator.asgi.requests import JSONResponse, emulator_of, read_json, tenant_of
from emulator.asgi.routing import Endpoint
from emulator.errors import InvalidArgument
from emulator.openai import chat, wire
from emulator.openai.http import openai_route
from emulator.openai.multipart import MultipartReader, boundary_of
from emulator.openai.service import NewBatch, OpenAIService

BATCH_PAGE = (20, 100)  # OpenAI's default and maximum `limit`
FILE_PAGE = (10000, 10000)
T = TypeVar("T")


def _service(request: Request) -> OpenAIService:
    return emulator_of(request).openai


def _limit(request: Request, page: tuple[int, int]) -> int:
    value = request.query_params.get("limit")
    if value is None or value == "":
        return page[0]
    if not value.isdigit() or not 1 <= int(value) <= page[1]:
        raise InvalidArgument(f"limit must be an integer between 1 and {page[1]}, not {value!r}.")
    return int(value)


def _on_one(
    call: Callable[[OpenAIService, str, str], Awaitable[T]], render: Callable[[T], dict[str, Any]], key: str
) -> Endpoint:
    """The endpoint of a call on one resource: the caller's key and the id in the path parameter `key`
    to the service's `call`, its answer rendered by `render`."""

    async def endpoint(request: Request) -> Response:
        return JSONResponse(render(await call(_service(request), tenant_of(request), request.path_params[key])))

    return endpoint


# -- files ------------------------------------------------------------------------------------------
async def create_file(request: Request) -> Response:
    form = MultipartReader(request.stream(), boundary_of(request.headers.get("content-type")))
    file = await _service(request).upload(tenant_of(request), form)
    return JSONResponse(wire.file_object(file))


async def list_files(request: Request) -> Response:
    order = request.query_params.get("order") or "desc"
    if order not in ("asc", "desc"):
        raise InvalidArgument(f"order must be asc or desc, not {order!r}.")
    files, more = await _service(request).list_files(
        tenant_of(request),
        after=request.query_params.get("after") or None,
        limit=_limit(request, FILE_PAGE),
        order=order,
        purpose=request.query_params.get("purpose") or None,
    )
    return JSONResponse(wire.cursor_list([wire.file_object(f) for f in files], more))


get_file = _on_one(OpenAIService.get_file, wire.file_object, "file_id")
delete_file = _on_one(OpenAIService.delete_file, wire.deleted_file, "file_id")


async def file_content(request: Request) -> Response:
    file, path = await _service(request).open_content(tenant_of(request), request.path_params["file_id"])
    return FileResponse(path, media_type=file.mime_type, stat_result=None)


# -- batches ----------------------------------------------------------------------------------------
async def create_batch(request: Request) -> Response:
    body = await read_json(request)
    batch = await _service(request).create_batch(tenant_of(request), _new_batch(body))
    return JSONResponse(wire.batch_object(batch))


def _new_batch(body: dict[str, Any]) -> NewBatch:
    input_file_id, endpoint = body.get("input_file_id"), body.get("endpoint")
    if not isinstance(input_file_id, str) or not input_file_id:
        raise InvalidArgument("input_file_id is required: the id of a file uploaded with purpose 'batch'.")
    if not isinstance(endpoint, str) or not endpoint:
        raise InvalidArgument("endpoint is required: /v1/chat/completions or /v1/embeddings.")
    window = body.get("completion_window", "24h")
    metadata = body.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict) or len(metadata) > 16:
            raise InvalidArgument("metadata must be an object of at most 16 string pairs.")
        for key, value in metadata.items():
            if not isinstance(value, str) or len(key) > 64 or len(value) > 512:
                raise InvalidArgument(
                    f"metadata[{key!r}]: keys are strings of at most 64 characters, values of at most 512."
                )
    return NewBatch(input_file_id, endpoint, str(window), metadata)


async def list_batches(request: Request) -> Response:
    batches, more = await _service(request).list_batches(
        tenant_of(request), after=request.query_params.get("after") or None, limit=_limit(request, BATCH_PAGE)
    )
    return JSONResponse(wire.cursor_list([wire.batch_object(b) for b in batches], more))


get_batch = _on_one(OpenAIService.get_batch, wire.batch_object, "batch_id")
cancel_batch = _on_one(OpenAIService.cancel_batch, wire.batch_object, "batch_id")


# -- synchronous calls ------------------------------------------------------------------------------
async def chat_completions(request: Request) -> Response:
    body = await read_json(request)
    response, model, created = await _service(request).chat(tenant_of(request), body)
    if not body.get("stream"):
        return JSONResponse(chat.completion(response, model, created))
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
    chunks = list(chat.chunks(response, model, created, include_usage))

    async def events() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chat.sse(chunk)
        yield chat.sse(None)

    return StreamingResponse(events(), media_type="text/event-stream")


async def create_embeddings(request: Request) -> Response:
    return JSONResponse(_service(request).embed(await read_json(request)))


async def list_models(request: Request) -> Response:
    return JSONResponse({"object": "list", "data": _service(request).models()})


async def get_model(request: Request) -> Response:
    return JSONResponse(_service(request).model(request.path_params["model"]))


# The list calls' cursor parameters (their values are checked, in OpenAI's words, by the endpoints);
# like every route here, they go through Google's front end, which refuses any other parameter.
_NONE = Query()
_BATCHES = Query(Param("after"), Param("limit"))
_FILES = Query(Param("after"), Param("limit"), Param("order"), Param("purpose"))

routes: list[BaseRoute] = [
    *openai_route("/files", create_file, "POST", "openai.files.create", query=_NONE),
    *openai_route("/files", list_files, "GET", "openai.files.list", query=_FILES),
    *openai_route("/files/{file_id:rid}", get_file, "GET", "openai.files.retrieve", query=_NONE),
    *openai_route("/files/{file_id:rid}", delete_file, "DELETE", "openai.files.delete", query=_NONE),
    *openai_route("/files/{file_id:rid}/content", file_content, "GET", "openai.files.content", query=_NONE),
    *openai_route("/batches", create_batch, "POST", "openai.batches.create", query=_NONE),
    *openai_route("/batches", list_batches, "GET", "openai.batches.list", query=_BATCHES),
    *openai_route("/batches/{batch_id:rid}", get_batch, "GET", "openai.batches.retrieve", query=_NONE),
    *openai_route("/batches/{batch_id:rid}/cancel", cancel_batch, "POST", "openai.batches.cancel", query=_NONE),
    *openai_route("/chat/completions", chat_completions, "POST", "openai.chat.completions.create", query=_NONE),
    *openai_route("/embeddings", create_embeddings, "POST", "openai.embeddings.create", query=_NONE),
    *openai_route("/models", list_models, "GET", "openai.models.list", query=_NONE),
    *openai_route("/models/{model:path}", get_model, "GET", "openai.models.retrieve", query=_NONE),
]
