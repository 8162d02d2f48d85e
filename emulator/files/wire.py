"""The Files API on the wire: File JSON out, upload-start bodies and upload headers in.

The resumable upload protocol (what the SDKs do, see docs/wire.md §2):
1. `POST /upload/{v}/files` with `X-Goog-Upload-Protocol: resumable`, `X-Goog-Upload-Command:
   start`, `X-Goog-Upload-Header-Content-Length/-Content-Type` and an optional `{"file": {...}}`
   body (snake_case from Python, camelCase from JS, `sizeBytes` a number or a string). We answer 200
   with an absolute `x-goog-upload-url` and `x-goog-upload-status: active`.
2. `POST <upload url>` with raw bytes, `X-Goog-Upload-Command: upload` (or `upload, finalize` on the
   last chunk) and `X-Goog-Upload-Offset`. Python sends no API key here: the URL is the credential.
   Intermediate chunks get `active`; the final one `{"file": File}` with `final`. `query` reports the
   bytes received (`x-goog-upload-size-received`), for resuming; `cancel` drops the session.
Every answer on an upload URL, errors included, carries `x-goog-upload-status` (`add_upload_status`
gives it to the errors). An `upload` step needs `X-Goog-Upload-Offset`, ASCII digits only.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from starlette.datastructures import Headers

from emulator.casing import pick, to_camel
from emulator.clock import wire_time
from emulator.errors import ApiError, InvalidArgument, unknown_field
from emulator.files.models import File, FileSource, UploadProgress, UploadRejected, UploadStart, UploadStep
from emulator.links import Links

_FILE_FIELDS = frozenset(
    {
        "name",
        "displayName",
        "mimeType",
        "sizeBytes",
        "createTime",
        "updateTime",
        "expirationTime",
        "sha256Hash",
        "uri",
        "downloadUri",
        "state",
        "source",
        "error",
        "videoMetadata",
    }
)
_COMMANDS = frozenset({"start", "upload", "finalize", "query", "cancel"})
_DIGITS = re.compile(r"[0-9]+")


def file_to_wire(file: File, links: Links) -> dict[str, Any]:
    out: dict[str, Any] = {"name": file.name}
    if file.display_name is not None:
        out["displayName"] = file.display_name
    out.update(
        {
            "mimeType": file.mime_type,
            "sizeBytes": str(file.size_bytes),
            "createTime": wire_time(file.create_us),
            "updateTime": wire_time(file.update_us),
            "expirationTime": wire_time(file.expire_us),
            # Believed to be what the real service sends: base64 of the hex digest (docs/wire.md §2).
            "sha256Hash": base64.b64encode(file.sha256_hex.encode()).decode(),
            "uri": f"{links.base}/{links.version}/files/{file.id}",
            "state": str(file.state),
            "source": str(file.source),
        }
    )
    if file.source is FileSource.GENERATED:
        out["downloadUri"] = f"{links.base}/{links.version}/files/{file.id}:download?alt=media"
    return out


def _int(value: Any, what: str) -> int | None:
    """A count of bytes: a JSON integer or a string of ASCII digits (no sign, exponent or fraction)."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not _DIGITS.fullmatch(text):
        problem = "is negative" if _DIGITS.fullmatch(text.removeprefix("-")) else "is not a whole number of bytes"
        raise InvalidArgument(f"Invalid {what}: {value!r} {problem}.")
    return int(text)


def parse_upload_start(headers: Headers, body: dict[str, Any]) -> UploadStart:
    for key in body:
        if key != "file":
            raise unknown_field(key, "")
    meta = body.get("file") or {}
    if not isinstance(meta, dict):
        raise InvalidArgument("Invalid JSON payload received. 'file' must be an object.")
    for key in meta:
        if to_camel(key) not in _FILE_FIELDS:
            raise unknown_field(key, "file")
    total = _int(headers.get("x-goog-upload-header-content-length"), "X-Goog-Upload-Header-Content-Length")
    if total is None:
        total = _int(pick(meta, "sizeBytes"), "file.sizeBytes")
    return UploadStart(
        total_bytes=total,
        mime_type=headers.get("x-goog-upload-header-content-type") or pick(meta, "mimeType"),
        display_name=pick(meta, "displayName"),
        name=pick(meta, "name"),
        file_name=headers.get("x-goog-upload-file-name"),
    )


def parse_upload_step(headers: Headers) -> UploadStep:
    commands = {c.strip().lower() for c in headers.get("x-goog-upload-command", "upload").split(",") if c.strip()}
    if not commands or not commands <= _COMMANDS:
        raise UploadRejected(
            f"Invalid X-Goog-Upload-Command {headers.get('x-goog-upload-command')!r}: expected "
            "upload, finalize, query or cancel."
        )
    return UploadStep(
        upload="upload" in commands,
        finalize="finalize" in commands,
        query="query" in commands,
        cancel="cancel" in commands,
        offset=_int(headers.get("x-goog-upload-offset"), "X-Goog-Upload-Offset"),
    )


def is_upload_start(headers: Headers) -> bool:
    return "start" in headers.get("x-goog-upload-command", "").lower()


def upload_progress_headers(progress: UploadProgress, step: UploadStep) -> dict[str, str]:
    """`final` once the file exists, `cancelled` after a cancel, `active` otherwise."""
    status = "final" if progress.file is not None else "cancelled" if step.cancel else "active"
    return {"x-goog-upload-status": status, "x-goog-upload-size-received": str(progress.received_bytes)}


def add_upload_status(error: ApiError) -> None:
    """An error on an upload URL carries `x-goog-upload-status: final` (without it the Python SDK
    re-sends the chunk three times over 7 s before failing), and the bytes the session holds when the
    error knows them."""
    headers = {**error.headers, "x-goog-upload-status": "final"}
    received = getattr(error, "received_bytes", None)
    if received is not None:
        headers["x-goog-upload-size-received"] = str(received)
    error.headers = headers
