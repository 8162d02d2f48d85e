"""The dashboard at `/_emulator/ui/` (the root `/` redirects there): pages, their live regions, a
small JSON API, and the actions the control plane has no endpoint for.

- `GET /_emulator/ui/...` pages; `GET /_emulator/ui/live/...?region=` one region of a page, for the
  script's short polling (`X-Live: active` while something moves).
- `GET /_emulator/ui/api/batches`, `.../batches/{id}`, `.../batches/{id}/lines`, `.../files`: the same
  data as JSON.
- `POST /_emulator/ui/api/batches/{id}:cancel` and `:delete` act on a batch of any API key, through
  the batches service; `POST /_emulator/ui/api/batches` uploads a JSONL body and starts a batch from
  it. They need an `X-Emulator-UI` header, which a cross-site form cannot send.

Everything else the pages do (advance the clock, force a state, fault rules, reset) they do by calling
the control plane's own endpoints.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from emulator.asgi.requests import JSONResponse, emulator_of, links_of
from emulator.batches.lines import model_name
from emulator.batches.models import Batch, BatchKind, CreateBatch
from emulator.clock import rfc3339
from emulator.errors import InvalidArgument, NotFound, PermissionDenied
from emulator.files.wire import file_to_wire
from emulator.ids import tenant_for_key
from emulator.ui import lines as line_viewer
from emulator.ui import queries
from emulator.ui.assets import serve_asset
from emulator.ui.batch_page import batch_page
from emulator.ui.batch_views import batches_page, new_batch_page
from emulator.ui.file_views import file_page, files_page
from emulator.ui.html import segment
from emulator.ui.journal_views import requests_page
from emulator.ui.layout import PREFIX, Page, clock_region, document, live, roots
from emulator.ui.quota_views import quotas_page
from emulator.ui.settings_views import clock_page, faults_page
from emulator.ui.webhook_views import webhooks_page

if TYPE_CHECKING:
    from emulator.emulator import Emulator

PageFn = Callable[[Request, "Emulator"], Awaitable[Page]]

SECURITY_HEADERS = {
    # No inline script or style anywhere: even markup that slipped through escaping could not run.
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
UI_HEADER = "x-emulator-ui"
TOKEN_COOKIE = "emulator_token"


def _page(fn: PageFn) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        emulator = emulator_of(request)
        page = await fn(request, emulator)
        regions = {"clock": clock_region(emulator), **page.regions}
        rendered = {name: live(name, (await region()).html) for name, region in regions.items()}
        html = document(request, page, rendered)
        response = HTMLResponse(html, status_code=page.status, headers=SECURITY_HEADERS)
        _remember_token(request, response)
        return response

    return endpoint


def _remember_token(request: Request, response: Response) -> None:
    """Opened as `...?token=<control token>`: keep the token in a cookie for the dashboard's own
    requests (same-site only, invisible to scripts), so links and polling need not carry it."""
    token = emulator_of(request).settings.control_token
    given = request.query_params.get("token")
    if token and given and hmac.compare_digest(given, token):
        response.set_cookie(
            TOKEN_COOKIE,
            token,
            path=roots(request)[1],
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )


def _live(fn: PageFn) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        emulator = emulator_of(request)
        name = request.query_params.get("region", "")
        if name == "clock":
            region = await clock_region(emulator)()
        else:
            page = await fn(request, emulator)
            if page.status == 404:  # what the page showed is gone (a batch deleted): the script reloads it
                return HTMLResponse("", headers={**SECURITY_HEADERS, "x-live": "gone"})
            if name not in page.regions:
                raise NotFound(f"This page has no live region {name!r}.")
            region = await page.regions[name]()
        headers = {**SECURITY_HEADERS, "x-live": "active" if region.active else "idle"}
        return HTMLResponse(region.html, headers=headers)

    return endpoint


PAGES: list[tuple[str, str, PageFn]] = [
    ("/", "batches", batches_page),
    ("/new", "new", new_batch_page),
    ("/batches/{batch_id:rid}", "batch", batch_page),
    ("/files", "files", files_page),
    ("/files/{tenant:rid}/{file_id:rid}", "file", file_page),
    ("/clock", "clock", clock_page),
    ("/faults", "faults", faults_page),
    ("/requests", "requests", requests_page),
    ("/quotas", "quotas", quotas_page),
    ("/webhooks", "webhooks", webhooks_page),
]


# --- redirects and downloads -----------------------------------------------------------------------


async def to_dashboard(request: Request) -> Response:
    base, _ = roots(request)
    return RedirectResponse(base + "/", status_code=307)


async def download(request: Request) -> Response:
    emulator = emulator_of(request)
    tenant, file_id = request.path_params["tenant"], request.path_params["file_id"]
    file = await queries.find_file(emulator.store, emulator.clock, tenant, file_id)
    if file is None:
        raise NotFound(f"There is no file files/{file_id} for API key {tenant}.")
    name = file.display_name or file.id
    if file.source.name == "GENERATED" and not name.endswith(".jsonl"):
        name += ".jsonl"
    return FileResponse(
        emulator.blobs.path(file.blob), media_type=file.mime_type, filename=name.replace("/", "_"), stat_result=None
    )


# --- JSON API --------------------------------------------------------------------------------------


async def api_batches(request: Request) -> Response:
    q = request.query_params
    which = queries.BatchFilter.parse(q.get("state"), q.get("key"), q.get("tenant"))
    batches, total = await queries.list_batches(emulator_of(request).store, which)
    return JSONResponse({"batches": [queries.batch_json(b) for b in batches], "total": total})


async def _batch(request: Request) -> Batch:
    batch = await queries.find_batch(emulator_of(request).store, request.path_params["batch_id"])
    if batch is None:
        raise NotFound(f"Batch batches/{request.path_params['batch_id']} was not found.")
    return batch


async def api_batch(request: Request) -> Response:
    batch = await _batch(request)
    events = queries.timeline(batch, emulator_of(request).settings.batch_expiry)
    timeline = [
        {"label": e.label, "state": str(e.state), "time": rfc3339(e.at_us), "scheduled": e.scheduled}
        | ({"detail": e.detail} if e.detail else {})
        for e in events
    ]
    return JSONResponse({**queries.batch_json(batch), "timeline": timeline})


async def api_lines(request: Request) -> Response:
    batch = await _batch(request)
    emulator = emulator_of(request)
    q = request.query_params
    try:
        page, size = int(q.get("page", "1")), int(q.get("size", str(line_viewer.PAGE_SIZE)))
    except ValueError:
        raise InvalidArgument("page and size must be integers.") from None
    source = line_viewer.Source.of(batch, emulator.blobs)
    found = await asyncio.to_thread(line_viewer.read_page, source, page=page, size=size, query=q.get("q"))
    return JSONResponse(
        {
            "lines": [pair.to_json() for pair in found.lines],
            "page": found.page,
            "pages": found.pages,
            "total": found.total,
            "query": found.query,
        }
    )


async def api_files(request: Request) -> Response:
    q = request.query_params
    tenant = tenant_for_key(q["key"]) if q.get("key") else (q.get("tenant") or None)
    emulator = emulator_of(request)
    links = links_of(request, emulator.settings.public_url)
    files = await queries.list_files(emulator.store, emulator.clock, tenant)
    shown = map(emulator.files.shown, files)  # a video still processing shows PROCESSING, as files.get does
    return JSONResponse({"files": [{**file_to_wire(f, links), "apiKey": f.tenant} for f in shown]})


# --- actions ---------------------------------------------------------------------------------------


def _from_dashboard(request: Request) -> None:
    """A custom header makes a cross-site request preflighted, which we never allow."""
    if UI_HEADER not in request.headers:
        raise PermissionDenied(f"Dashboard actions need the {UI_HEADER} header (the dashboard's script sends it).")


async def cancel_batch(request: Request) -> Response:
    _from_dashboard(request)
    batch = await _batch(request)
    emulator = emulator_of(request)
    await emulator.batches.cancel(batch.tenant, batch.name)
    return JSONResponse(queries.batch_json(await _batch(request)))


async def delete_batch(request: Request) -> Response:
    _from_dashboard(request)
    batch = await _batch(request)
    await emulator_of(request).batches.delete(batch.tenant, batch.name)
    return JSONResponse({})


async def create_batch(request: Request) -> Response:
    """Upload the request body (JSONL) as a file of the given key, and start a batch reading it."""
    _from_dashboard(request)
    q = request.query_params
    model = (q.get("model") or "").strip().removeprefix("models/")
    if not model or any(c in model for c in "/: \t"):
        raise InvalidArgument("Give a model name such as gemini-2.5-flash.")
    length = request.headers.get("content-length")
    if length == "0":
        raise InvalidArgument("The batch has no requests: the JSONL is empty.")
    tenant = tenant_for_key(q.get("key") or None)
    file_name = q.get("fileName") or "requests.jsonl"
    emulator = emulator_of(request)
    file = await emulator.files.create(
        tenant,
        request.stream(),
        mime_type="application/jsonl",
        display_name=file_name,
        size=int(length) if length and length.isdigit() else None,
    )
    command = CreateBatch(
        kind=BatchKind.EMBED if q.get("kind") == "embed" else BatchKind.GENERATE,
        model=model_name(model),
        display_name=q.get("displayName") or None,
        input_file=file.name,
        inline_lines=None,
    )
    view = await emulator.batches.create(tenant, command)
    base, _ = roots(request)
    return JSONResponse(
        {
            "batch": queries.batch_json(view.batch),
            "file": file.name,
            "url": f"{base}/batches/{segment(view.batch.id)}",
        }
    )


def _routes() -> list[BaseRoute]:
    """The dashboard's routes, below the control plane's `/_emulator` mount."""
    here = PREFIX.removeprefix("/_emulator")
    out: list[BaseRoute] = [
        Route(here, to_dashboard, methods=["GET"], name="ui.prefix"),
        Route(here + "/static/{name}", serve_asset, methods=["GET"], name="ui.static"),
        Route(here + "/files/{tenant:rid}/{file_id:rid}:download", download, methods=["GET"], name="ui.download"),
        Route(here + "/api/batches", api_batches, methods=["GET"], name="ui.api.batches"),
        Route(here + "/api/batches", create_batch, methods=["POST"], name="ui.api.create"),
        Route(here + "/api/batches/{batch_id:rid}", api_batch, methods=["GET"], name="ui.api.batch"),
        Route(here + "/api/batches/{batch_id:rid}/lines", api_lines, methods=["GET"], name="ui.api.lines"),
        Route(here + "/api/batches/{batch_id:rid}:cancel", cancel_batch, methods=["POST"], name="ui.api.cancel"),
        Route(here + "/api/batches/{batch_id:rid}:delete", delete_batch, methods=["POST"], name="ui.api.delete"),
        Route(here + "/api/files", api_files, methods=["GET"], name="ui.api.files"),
    ]
    for path, name, fn in PAGES:
        out.append(Route(here + path, _page(fn), methods=["GET"], name=f"ui.{name}"))
        out.append(Route(here + "/live" + path, _live(fn), methods=["GET"], name=f"ui.live.{name}"))
    return out


routes: list[BaseRoute] = _routes()
root_routes: list[BaseRoute] = [Route("/", to_dashboard, methods=["GET"], name="ui.root")]
