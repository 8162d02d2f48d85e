"""Seed files: create named files and batches in given states; export them back in the same format.

```json
{"apiKey": "test-key",
 "files": [{"name": "files/abc123", "mimeType": "application/jsonl", "text": "..."}],
 "batches": [{"name": "batches/xyz", "model": "gemini-2.5-flash", "state": "BATCH_STATE_SUCCEEDED",
              "requests": [{"contents": [{"parts": [{"text": "hi"}]}]}]}]}
```

A file gives its bytes as `text` or `base64`. A batch reads `requests` (inline: bare requests, or
`{"request", "metadata"}`) or `file` (a file name, possibly seeded above); `kind` is `generate`
(default) or `embed`. A SUCCEEDED batch is really run, so it has real outputs. `apiKey` (top level
or per item) says whose they are; `tenant` takes a fingerprint from an export instead. Names that
already exist are skipped, so a seed file can be applied at every start.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from emulator.batches.lines import is_request_line
from emulator.batches.models import BatchKind, BatchState, CreateBatch
from emulator.casing import pick
from emulator.config import ConfigError, read_document
from emulator.errors import ApiError, InvalidArgument
from emulator.files.models import file_id_from_name
from emulator.ids import SHARED, tenant_for_key

if TYPE_CHECKING:
    from emulator.batches.service import BatchesService
    from emulator.files.service import FilesService
    from emulator.storage.blobs import BlobStore
    from emulator.storage.port import Store


class Services(Protocol):
    """What seeding works through: the store and blobs, the files and batches services."""

    @property
    def store(self) -> Store: ...
    @property
    def blobs(self) -> BlobStore: ...
    @property
    def files(self) -> FilesService: ...
    @property
    def batches(self) -> BatchesService: ...


_BATCH_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def _owner(item: dict[str, Any], default: str) -> str:
    if pick(item, "tenant"):
        return str(pick(item, "tenant"))
    key = pick(item, "apiKey")
    return tenant_for_key(str(key)) if key else default


async def import_state(services: Services, body: dict[str, Any]) -> dict[str, list[str]]:
    """Create what the document describes; returns the names created and skipped."""
    default = _owner(body, SHARED)
    created: list[str] = []
    skipped: list[str] = []
    for section in ("files", "batches"):
        items = body.get(section) or []
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise InvalidArgument(f"{section} must be a list of objects.")
    for item in body.get("files") or []:
        name = await _seed_file(services, item, _owner(item, default))
        (created if name else skipped).append(name or str(pick(item, "name")))
    for item in body.get("batches") or []:
        name = await _seed_batch(services, item, _owner(item, default))
        (created if name else skipped).append(name or str(pick(item, "name")))
    return {"created": created, "skipped": skipped}


async def _seed_file(services: Services, item: dict[str, Any], tenant: str) -> str | None:
    name = pick(item, "name")
    if not isinstance(name, str):
        raise InvalidArgument("Each seeded file needs a name such as files/abc123.")
    file_id = file_id_from_name(name)
    if await services.store.file_id_taken(tenant, file_id):
        return None
    if pick(item, "base64") is not None:
        data = base64.b64decode(str(pick(item, "base64")))
    else:
        data = str(pick(item, "text", "")).encode()
    mime_type = pick(item, "mimeType", "application/jsonl")
    await services.files.create(tenant, data, mime_type=mime_type, display_name=pick(item, "displayName"), name=name)
    return f"files/{file_id}"


async def _seed_batch(services: Services, item: dict[str, Any], tenant: str) -> str | None:
    name = pick(item, "name")
    batch_id = str(name).removeprefix("batches/") if name else None
    if batch_id is not None and not _BATCH_ID.match(batch_id):
        raise InvalidArgument(
            f"Invalid seeded batch name {name!r}: expected batches/<id>, the id 1-64 lowercase letters, digits "
            "or dashes."
        )
    if batch_id is not None and await services.store.find_batch(batch_id) is not None:
        return None
    try:
        kind = BatchKind(str(pick(item, "kind", "generate")).lower())
        state = str(pick(item, "state", "BATCH_STATE_PENDING")).upper()
        target = BatchState(state if state.startswith("BATCH_STATE_") else "BATCH_STATE_" + state)
    except ValueError:
        raise InvalidArgument(
            f"Seeded batch {name}: kind must be generate or embed, and state a BATCH_STATE_* value."
        ) from None
    file_name = pick(item, "file")
    requests = pick(item, "requests")
    if (file_name is None) == (requests is None):
        raise InvalidArgument(f"Seeded batch {name}: give exactly one of requests and file.")
    if file_name is not None and pick(item, "jsonl") is not None:
        await _seed_file(services, {"name": file_name, "text": pick(item, "jsonl")}, tenant)
    lines = None
    if requests is not None:
        lines = [orjson.dumps(r if isinstance(r, dict) and "request" in r else {"request": r}) for r in requests]
    model = str(pick(item, "model", "gemini-2.5-flash"))
    command = CreateBatch(
        kind=kind,
        model=model.removeprefix("models/"),
        display_name=pick(item, "displayName"),
        input_file=file_name,
        inline_lines=lines,
    )
    view = await services.batches.create(tenant, command, batch_id=batch_id)
    if target is not BatchState.PENDING:
        await services.batches.force(view.batch.name, target)
    return view.batch.name


async def export_state(services: Services, tenant: str | None) -> dict[str, Any]:
    """Files (uploaded ones, with their bytes) and batches, in the seed format."""
    files = []
    for file in await services.store.all_files(tenant):
        if file.source != "UPLOADED":
            continue
        data = services.blobs.path(file.blob).read_bytes()[: file.size_bytes]
        entry: dict[str, Any] = {"name": file.name, "mimeType": file.mime_type, "tenant": file.tenant}
        if file.display_name is not None:
            entry["displayName"] = file.display_name
        try:
            entry["text"] = data.decode()
        except UnicodeDecodeError:
            entry["base64"] = base64.b64encode(data).decode()
        files.append(entry)
    batches = []
    for batch in await services.store.all_batches(tenant):
        entry = {
            "name": batch.name,
            "model": batch.model,
            "kind": str(batch.kind),
            "state": str(batch.state),
            "tenant": batch.tenant,
        }
        if batch.display_name is not None:
            entry["displayName"] = batch.display_name
        raw = services.blobs.path(batch.input_blob).read_bytes()
        if batch.inline:
            entry["requests"] = [orjson.loads(line) for line in raw.splitlines() if is_request_line(line)]
        else:
            entry["file"] = batch.input_file
            entry["jsonl"] = raw.decode(errors="replace")
        batches.append(entry)
    return {"files": files, "batches": batches}


async def load_seed_file(services: Services, path: Path) -> None:
    try:
        await import_state(services, read_document(path))
    except ApiError as exc:
        raise ConfigError(f"{path}: {exc.message}") from None
