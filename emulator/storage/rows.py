"""How the domain's values become table rows and back: the column lists, the statements built from
them, and the one place that turns typed values (`Fate`, `Outcome`, `QuirkName`, the states) into
JSON or text columns and back."""

from __future__ import annotations

import json
from typing import Any

from emulator.batches.models import Batch, BatchKind, BatchState, Fate, Outcome, QuirkName
from emulator.errors import Code
from emulator.files.models import File, FileSource, FileState, UploadSession

FILE_COLS = (
    "id",
    "tenant",
    "display_name",
    "mime_type",
    "size_bytes",
    "sha256_hex",
    "state",
    "source",
    "create_us",
    "update_us",
    "expire_us",
    "blob",
)
UPLOAD_COLS = (
    "id",
    "tenant",
    "file_id",
    "display_name",
    "mime_type",
    "total_bytes",
    "received_bytes",
    "blob",
    "create_us",
)
BATCH_COLS = (
    "id",
    "tenant",
    "kind",
    "model",
    "display_name",
    "state",
    "input_file",
    "input_blob",
    "output_blob",
    "request_count",
    "success_count",
    "failure_count",
    "lines_done",
    "input_offset",
    "output_offset",
    "create_us",
    "update_us",
    "start_us",
    "end_us",
    "output_file",
    "finalized",
    "priority",
    "webhook",
    "error",
    "queue_us",
    "latency_us",
    "overhead_us",
    "fate",
    "quirks",
    "extra",
)
BATCH_MUTABLE = tuple(
    c
    for c in BATCH_COLS
    if c not in ("id", "tenant", "kind", "model", "input_file", "input_blob", "output_blob", "create_us", "quirks")
)


def _insert_sql(table: str, cols: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"


INSERT_FILE = _insert_sql("files", FILE_COLS)
INSERT_UPLOAD = _insert_sql("uploads", UPLOAD_COLS)
INSERT_BATCH = _insert_sql("batches", BATCH_COLS)
SELECT_FILE = f"SELECT {', '.join(FILE_COLS)} FROM files"
SELECT_FILE_SEQ = f"SELECT {', '.join(FILE_COLS)}, seq FROM files"
SELECT_UPLOAD = f"SELECT {', '.join(UPLOAD_COLS)} FROM uploads"
SELECT_BATCH = f"SELECT {', '.join(BATCH_COLS)}, seq FROM batches"
UPDATE_BATCH = (
    f"UPDATE batches SET {', '.join(f'{c} = :{c}' for c in BATCH_MUTABLE)} WHERE id = :id AND state = :expect_state"
)


def file_row(file: File) -> dict[str, Any]:
    return {c: getattr(file, c) for c in FILE_COLS}


def file_of(row: Any) -> File:
    values = dict(zip(FILE_COLS, row, strict=True))
    values["state"] = FileState(values["state"])
    values["source"] = FileSource(values["source"])
    return File(**values)


def upload_row(upload: UploadSession) -> dict[str, Any]:
    return {c: getattr(upload, c) for c in UPLOAD_COLS}


def upload_of(row: Any) -> UploadSession:
    return UploadSession(**dict(zip(UPLOAD_COLS, row, strict=True)))


def batch_row(batch: Batch) -> dict[str, Any]:
    row = {c: getattr(batch, c) for c in BATCH_COLS}
    row["kind"] = str(batch.kind)
    row["state"] = str(batch.state)
    row["finalized"] = int(batch.finalized)
    row["webhook"] = json.dumps(batch.webhook) if batch.webhook is not None else None
    row["error"] = json.dumps(batch.error) if batch.error is not None else None
    row["fate"] = json.dumps(fate_to_json(batch.fate)) if batch.fate is not None else None
    row["quirks"] = json.dumps(batch.quirks) if batch.quirks else None
    row["extra"] = json.dumps(batch.extra) if batch.extra is not None else None
    return row


def batch_of(row: Any) -> tuple[int, Batch]:
    values = dict(zip(BATCH_COLS, row[:-1], strict=True))
    values["kind"] = BatchKind(values["kind"])
    values["state"] = BatchState(values["state"])
    values["finalized"] = bool(values["finalized"])
    values["webhook"] = json.loads(values["webhook"]) if values["webhook"] else None
    values["error"] = json.loads(values["error"]) if values["error"] else None
    values["fate"] = fate_from_json(json.loads(values["fate"])) if values["fate"] else None
    values["quirks"] = [quirk_from_json(q) for q in json.loads(values["quirks"])] if values["quirks"] else None
    values["extra"] = json.loads(values["extra"]) if values["extra"] else None
    return row[-1], Batch(**values)


def fate_to_json(fate: Fate) -> dict[str, Any]:
    return {
        "outcome": str(fate.outcome),
        "at": fate.at,
        "code": fate.code.name,
        "message": fate.message,
        "rule": fate.rule,
    }


def fate_from_json(raw: dict[str, Any]) -> Fate:
    return Fate(
        Outcome(raw["outcome"]), float(raw["at"]), Code[raw["code"]], str(raw["message"]), str(raw.get("rule", ""))
    )


def quirk_from_json(raw: dict[str, Any]) -> dict[str, Any]:
    return {**raw, "name": QuirkName(raw["name"])}
