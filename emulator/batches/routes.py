"""Batch Mode routes: parse, one service call, render."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from emulator.asgi.query import PAGING, Kind, Param, Query
from emulator.asgi.requests import JSONResponse, emulator_of, links_of, read_json, tenant_of
from emulator.asgi.routing import api_route
from emulator.batches import wire
from emulator.batches.models import BatchKind
from emulator.paging import page_params

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50


async def _create(request: Request, kind: BatchKind, collection: str) -> Response:
    """As Google's front end parses the whole create body first, an inline request that breaks the
    schema fails the create (400, its index in the path); then the model must exist (404) and batch
    (400). What lenient validation lets through goes to the request journal."""
    model = f"{collection}/{request.path_params['model']}"
    body = await read_json(request)
    command = wire.parse_create(kind, model, body)
    emulator = emulator_of(request)
    validator = emulator.validator
    embed = kind is BatchKind.EMBED
    if command.inline_lines is not None:
        request.state.validation_warnings = validator.inline_requests(wire.inline_items(body), embed=embed)
    validator.batch_model(model, embed=embed, version=links_of(request).version)
    view = await emulator.batches.create(tenant_of(request), command)
    return JSONResponse(wire.batch_to_operation(view))


async def batch_generate_content(request: Request) -> Response:
    return await _create(request, BatchKind.GENERATE, "models")


async def batch_generate_content_tuned(request: Request) -> Response:
    return await _create(request, BatchKind.GENERATE, "tunedModels")


async def async_batch_embed_content(request: Request) -> Response:
    return await _create(request, BatchKind.EMBED, "models")


async def get_batch(request: Request) -> Response:
    view = await emulator_of(request).batches.get(tenant_of(request), request.path_params["batch_id"])
    return JSONResponse(wire.batch_to_operation(view))


async def list_batches(request: Request) -> Response:
    size, token = page_params(request.query_params, default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
    page = await emulator_of(request).batches.list(tenant_of(request), size, token)
    return JSONResponse(page.to_wire("operations", wire.batch_to_operation))


async def cancel_batch(request: Request) -> Response:
    await emulator_of(request).batches.cancel(tenant_of(request), request.path_params["batch_id"])
    return JSONResponse({})


async def delete_batch(request: Request) -> Response:
    await emulator_of(request).batches.delete(tenant_of(request), request.path_params["batch_id"])
    return JSONResponse({})


# batches.list is Google's ListOperations: `filter` and `returnPartialSuccess` are its fields too
# (accepted; the emulator's list has nothing to filter or leave out).
_LIST = Query(*PAGING, Param("filter"), Param("returnPartialSuccess", Kind.BOOL))
_NONE = Query()

routes = [
    *api_route(
        "/models/{model:rid}:batchGenerateContent", batch_generate_content, "POST", "batches.create", query=_NONE
    ),
    *api_route(
        "/tunedModels/{model:rid}:batchGenerateContent",
        batch_generate_content_tuned,
        "POST",
        "batches.create",
        query=_NONE,
    ),
    *api_route(
        "/models/{model:rid}:asyncBatchEmbedContent",
        async_batch_embed_content,
        "POST",
        "batches.createEmbeddings",
        query=_NONE,
    ),
    *api_route("/batches", list_batches, "GET", "batches.list", query=_LIST),
    *api_route("/batches/{batch_id:rid}", get_batch, "GET", "batches.get", query=_NONE),
    *api_route("/batches/{batch_id:rid}", delete_batch, "DELETE", "batches.delete", query=_NONE),
    *api_route("/batches/{batch_id:rid}:delete", delete_batch, "POST", "batches.delete", query=_NONE),
    *api_route("/batches/{batch_id:rid}:cancel", cancel_batch, "POST", "batches.cancel", query=_NONE),
]
