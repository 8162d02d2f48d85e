"""Files API routes: parse, one service call, render."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from emulator.asgi.query import PAGING, Kind, Param, Query
from emulator.asgi.requests import JSONResponse, emulator_of, links_of, read_json, tenant_of
from emulator.asgi.routing import api_route
from emulator.errors import ApiError
from emulator.files import wire
from emulator.links import Links
from emulator.paging import page_params

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 10
UPLOAD_TYPES = ("media", "multipart")  # the one-request forms (simple_upload.py, imported on first use)


def _links(request: Request) -> Links:
    return links_of(request, emulator_of(request).settings.public_url)


async def upload(request: Request) -> Response:
    """Both steps of the resumable protocol share this URL (a start, or a chunk to a session), and so
    do the one-request forms (`uploadType=media` or `multipart`)."""
    upload_id = request.query_params.get("upload_id")
    upload_type = request.query_params.get("uploadType")
    if upload_id is None and upload_type in UPLOAD_TYPES:  # the non-resumable forms, in one request
        from emulator.files.simple_upload import simple_upload

        return await simple_upload(request, upload_type)
    if upload_id is None and wire.is_upload_start(request.headers):
        return await start_upload(request)
    return await upload_chunk(request, upload_id or "")


async def start_upload(request: Request) -> Response:
    start = wire.parse_upload_start(request.headers, await read_json(request))
    session = await emulator_of(request).files.start_upload(tenant_of(request), start)
    url = f"{_links(request).base}{request.scope['path']}?upload_id={session.id}&upload_protocol=resumable"
    return JSONResponse(
        {},
        headers={
            "x-goog-upload-url": url,
            "x-goog-upload-status": "active",
            "x-goog-upload-chunk-granularity": str(8 * 1024 * 1024),
        },
    )


async def upload_chunk(request: Request, upload_id: str) -> Response:
    try:
        step = wire.parse_upload_step(request.headers)
        progress = await emulator_of(request).files.upload(upload_id, step, request.stream())
    except ApiError as error:
        wire.add_upload_status(error)
        raise
    body = {"file": wire.file_to_wire(progress.file, _links(request))} if progress.file is not None else {}
    return JSONResponse(body, headers=wire.upload_progress_headers(progress, step))


async def get_file(request: Request) -> Response:
    file = await emulator_of(request).files.get(tenant_of(request), request.path_params["file_id"])
    return JSONResponse(wire.file_to_wire(file, _links(request)))


async def list_files(request: Request) -> Response:
    size, token = page_params(request.query_params, default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
    page = await emulator_of(request).files.list(tenant_of(request), size, token)
    links = _links(request)
    return JSONResponse(page.to_wire("files", lambda f: wire.file_to_wire(f, links)))


async def delete_file(request: Request) -> Response:
    await emulator_of(request).files.delete(tenant_of(request), request.path_params["file_id"])
    return JSONResponse({})


async def download_file(request: Request) -> Response:
    """Uploaded files can be downloaded too (the real service refuses; we are lenient, see docs)."""
    file, path = await emulator_of(request).files.open_download(tenant_of(request), request.path_params["file_id"])
    return FileResponse(
        path,
        media_type="application/octet-stream",
        stat_result=None,
        headers={"x-goog-hash": f"sha256={file.sha256_hex}"},
    )


# The upload URL takes the session (`upload_id`, which the start answer's URL carries with
# `upload_protocol`) or a one-request form (`uploadType`); the rest only system parameters.
_UPLOAD = Query(Param("upload_id", required_text=True), Param("uploadType", Kind.ENUM, (*UPLOAD_TYPES, "resumable")))
_NONE = Query()

routes = [
    *api_route("/files", upload, "POST", "files.upload", prefix="/upload", query=_UPLOAD),
    *api_route("/files", list_files, "GET", "files.list", query=Query(*PAGING)),
    *api_route("/files/{file_id:rid}", get_file, "GET", "files.get", query=_NONE),
    *api_route("/files/{file_id:rid}", delete_file, "DELETE", "files.delete", query=_NONE),
    *api_route("/files/{file_id:rid}:download", download_file, "GET", "files.download", query=_NONE),
    *api_route(
        "/files/{file_id:rid}:download", download_file, "GET", "files.download", prefix="/download", query=_NONE
    ),
]
