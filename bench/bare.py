"""`python -m bench.bare --port N --dir D`: the baselines' server, a bare starlette app under uvicorn.

It does the least each figure needs, served the same way as the emulator (uvicorn, same loop and
HTTP implementation, one process), so that a ratio against it measures the emulator's own cost:

- `POST /upload`: the resumable protocol's shape without its bookkeeping. A `start` answers an
  `x-goog-upload-url`; each chunk is streamed to a file in --dir at its `X-Goog-Upload-Offset`.
  No hashing, no database.
- `GET /json`: a fixed JSON document (the emulator's `batches.get` answer when --json gives one),
  serialized on every request.
- `GET /download/{name}`: a file of --dir through starlette's `FileResponse`.
- `GET /health`: `{"status": "ok"}`.
"""

from __future__ import annotations

import argparse
import json
import uuid
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

DEFAULT_DOCUMENT: dict[str, Any] = {
    "name": "batches/abcdefghijkl",
    "metadata": {
        "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
        "model": "models/gemini-2.5-flash",
        "displayName": "bench",
        "createTime": "2026-01-01T00:00:00.000000Z",
        "updateTime": "2026-01-01T00:00:01.000000Z",
        "batchStats": {"requestCount": "100000", "pendingRequestCount": "50000", "successfulRequestCount": "50000"},
        "state": "BATCH_STATE_RUNNING",
        "name": "batches/abcdefghijkl",
    },
}


def create_app(directory: Path, document: dict[str, Any]) -> Starlette:
    directory.mkdir(parents=True, exist_ok=True)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def doc(request: Request) -> Response:
        return JSONResponse(document)

    async def upload(request: Request) -> Response:
        command = request.headers.get("x-goog-upload-command", "upload")
        if "start" in command:
            upload_id = uuid.uuid4().hex
            (directory / upload_id).write_bytes(b"")
            url = f"{request.base_url}upload?upload_id={upload_id}"
            return JSONResponse({}, headers={"x-goog-upload-url": url, "x-goog-upload-status": "active"})
        path = directory / request.query_params["upload_id"]
        offset = int(request.headers.get("x-goog-upload-offset", "0"))
        with path.open("r+b") as out:
            out.seek(offset)
            async for piece in request.stream():
                out.write(piece)
            received = out.tell()
        status = "final" if "finalize" in command else "active"
        body = {"file": {"name": path.name, "sizeBytes": str(received)}} if status == "final" else {}
        return JSONResponse(
            body, headers={"x-goog-upload-status": status, "x-goog-upload-size-received": str(received)}
        )

    async def download(request: Request) -> Response:
        return FileResponse(directory / request.path_params["name"], media_type="application/octet-stream")

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/json", doc),
            Route("/upload", upload, methods=["POST"]),
            Route("/download/{name}", download),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.bare", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True, help="where uploads land and downloads come from")
    parser.add_argument("--json", type=Path, help="the document GET /json answers (default: a batch operation)")
    args = parser.parse_args(argv)
    document = json.loads(args.json.read_text()) if args.json else DEFAULT_DOCUMENT
    uvicorn.run(
        create_app(args.dir, document),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
