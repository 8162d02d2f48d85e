"""OpenAI objects on the wire: `file`, `batch`, cursor lists, and errors. Pure.

Timestamps are unix seconds of emulated time. A batch's OpenAI status is read off the native batch
(docs/openai.md has the table): `validating` while PENDING, `in_progress` while RUNNING,
`finalizing` once every request is answered but the batch is not done (its overhead) or while a
finished batch's output is not published yet, `completed` once the output and error files exist,
`cancelling` from the cancel until the partial results are published, then `cancelled`; `failed`
(validation or a job fault) and `expired` as natively.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.batches.models import Batch, BatchState
from emulator.clock import MICROS
from emulator.errors import ApiError
from emulator.files.models import File, FileSource

OUTPUT_PREFIX = "file-out-"
ERROR_PREFIX = "file-err-"


def seconds(us: int | None) -> int | None:
    return us // MICROS if us is not None else None


def purpose_of(file: File) -> str:
    """We keep no purpose per file: uploads are `batch` (the only purpose accepted), batch results
    (ours and native generated files) are `batch_output`."""
    generated = file.source is FileSource.GENERATED or file.id.startswith((OUTPUT_PREFIX, ERROR_PREFIX))
    return "batch_output" if generated else "batch"


def file_object(file: File) -> dict[str, Any]:
    return {
        "id": file.id,
        "object": "file",
        "bytes": file.size_bytes,
        "created_at": seconds(file.create_us),
        "expires_at": seconds(file.expire_us),
        "filename": file.display_name or file.id,
        "purpose": purpose_of(file),
        "status": "processed",
        "status_details": None,
    }


def deleted_file(file_id: str) -> dict[str, Any]:
    return {"id": file_id, "object": "file", "deleted": True}


def cursor_list(data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
    }


def error_body(error: ApiError) -> list[dict[str, Any]]:
    """The compatibility layer answers errors as Google's envelope inside a JSON array (observed:
    `Error code: 400 - [{'error': {'code': 400, 'message': ..., 'status': 'INVALID_ARGUMENT'}}]`)."""
    return [error.http_body()]


@dataclass(frozen=True, slots=True)
class OpenAIBatch:
    """A native batch created through the OpenAI surface, its OpenAI fields (`info`, kept in the
    batch's `extra`) and, once published, its results (output and error files, counts, usage)."""

    batch: Batch
    info: dict[str, Any]
    results: dict[str, Any] | None
    expiry_us: int

    @property
    def status(self) -> str:
        batch = self.batch
        if self.info.get("errors"):
            return "failed"
        state = batch.state
        if state is BatchState.PENDING:
            return "validating"
        if state is BatchState.RUNNING:
            return "finalizing" if batch.lines_done >= batch.request_count else "in_progress"
        if state is BatchState.SUCCEEDED:
            return "completed" if self.results is not None else "finalizing"
        if state is BatchState.CANCELLED:
            return "cancelled" if self.results is not None else "cancelling"
        if state is BatchState.FAILED:
            return "failed"
        return "expired"


def batch_object(view: OpenAIBatch) -> dict[str, Any]:
    batch, info, results = view.batch, view.info, view.results
    status = view.status
    end = seconds(batch.end_us)
    finalizing = None
    if status in ("finalizing", "completed") and batch.start_us is not None:
        finalizing = seconds(batch.start_us + batch.request_count * batch.latency_us)
    if info.get("errors"):
        counts = {"total": 0, "completed": 0, "failed": 0}
    elif results is not None:
        counts = {"total": info["total"], "completed": results["completed"], "failed": results["failed"]}
    else:
        counts = {"total": info["total"], "completed": batch.success_count, "failed": batch.failure_count}
    return {
        "id": batch.id,
        "object": "batch",
        "endpoint": info["endpoint"],
        "errors": _errors(view),
        "input_file_id": info["input_file_id"],
        "completion_window": info["completion_window"],
        "status": status,
        "output_file_id": results.get("output_file_id") if results else None,
        "error_file_id": results.get("error_file_id") if results else None,
        "created_at": seconds(batch.create_us),
        "in_progress_at": seconds(batch.start_us),
        "expires_at": seconds(batch.create_us + view.expiry_us),
        "finalizing_at": finalizing,
        "completed_at": end if status == "completed" else None,
        "failed_at": (end or seconds(batch.create_us)) if status == "failed" else None,
        "expired_at": end if status == "expired" else None,
        "cancelling_at": end if status in ("cancelling", "cancelled") else None,
        "cancelled_at": end if status == "cancelled" else None,
        "request_counts": counts,
        "metadata": info.get("metadata"),
        "model": info.get("model"),
        "usage": results.get("usage") if results else None,
    }


def _errors(view: OpenAIBatch) -> dict[str, Any] | None:
    if view.info.get("errors"):
        return {"object": "list", "data": view.info["errors"]}
    error = view.batch.error
    if view.batch.state is BatchState.FAILED and error:
        entry = {"code": str(error.get("status", "internal")).lower(), "line": None, "message": error.get("message")}
        return {"object": "list", "data": [{**entry, "param": None}]}
    return None
