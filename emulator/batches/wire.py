"""Batch Mode on the wire: create bodies in, `Operation` envelopes out (docs/wire.md §4).

Results go in `metadata.output` (the only place the SDKs read) and are mirrored in `response`
with `done` for REST users. Inline results are doubly nested (`inlinedResponses.inlinedResponses`)
and spliced in as pre-serialized JSON, so a large inline batch is not parsed again on every `get`.
"""

from __future__ import annotations

from typing import Any

import orjson

from emulator.batches.lines import inline_request_line
from emulator.batches.models import Batch, BatchKind, BatchState, BatchView, CreateBatch
from emulator.casing import pick, to_camel
from emulator.clock import wire_time
from emulator.errors import InvalidArgument, unknown_field

_TYPE_PREFIX = "type.googleapis.com/google.ai.generativelanguage.v1main."
_BATCH_TYPE = {BatchKind.GENERATE: "GenerateContentBatch", BatchKind.EMBED: "EmbedContentBatch"}
_OUTPUT_TYPE = {BatchKind.GENERATE: "GenerateContentBatchOutput", BatchKind.EMBED: "EmbedContentBatchOutput"}
_WRITABLE = frozenset({"displayName", "inputConfig", "priority", "webhookConfig"})
_OUTPUT_ONLY = frozenset({"model", "name", "output", "createTime", "endTime", "updateTime", "batchStats", "state"})


def parse_create(kind: BatchKind, model: str, body: dict[str, Any]) -> CreateBatch:
    for key in body:
        if key != "batch":
            raise unknown_field(key, "")
    batch = body.get("batch")
    if not isinstance(batch, dict):
        raise InvalidArgument("Invalid JSON payload received. The request needs a 'batch' object.")
    for key in batch:
        if to_camel(key) not in _WRITABLE | _OUTPUT_ONLY:
            raise unknown_field(key, "batch")
    config = pick(batch, "inputConfig")
    if not isinstance(config, dict):
        raise InvalidArgument("* batch.input_config: input_config is required: give fileName or requests.")
    for key in config:
        if to_camel(key) not in ("fileName", "requests"):
            raise unknown_field(key, "batch.input_config")
    file_name = pick(config, "fileName")
    requests = pick(config, "requests")
    if (file_name is None) == (requests is None):
        raise InvalidArgument("* batch.input_config: exactly one of fileName and requests must be set.")
    display_name = pick(batch, "displayName")
    priority = pick(batch, "priority")
    webhook = pick(batch, "webhookConfig")
    return CreateBatch(
        kind=kind,
        model=model,
        display_name=str(display_name) if display_name is not None else None,
        input_file=_file_name(file_name) if file_name is not None else None,
        inline_lines=_inline_lines(requests) if requests is not None else None,
        priority=_priority(priority),
        webhook=webhook if isinstance(webhook, dict) else None,
    )


def _file_name(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidArgument("* batch.input_config.file_name: must be a file name such as files/abc123.")
    return value


def _priority(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidArgument(f"* batch.priority: {value!r} is not an integer.") from None


def inline_items(body: dict[str, Any]) -> list[Any]:
    """The inline requests (`{request, metadata}` objects) of a create body `parse_create` accepted."""
    requests = pick(pick(body["batch"], "inputConfig"), "requests")
    items = pick(requests, "requests") if isinstance(requests, dict) else requests
    return items if isinstance(items, list) else []


def _inline_lines(requests: Any) -> list[bytes]:
    """`{"requests": [...]}` (the wire form: double nesting); a bare list is accepted too."""
    items = pick(requests, "requests") if isinstance(requests, dict) else requests
    if not isinstance(items, list):
        raise InvalidArgument("* batch.input_config.requests.requests: must be a list of {request, metadata}.")
    return [inline_request_line(item, i) for i, item in enumerate(items)]


def _stats(batch: Batch) -> dict[str, str]:
    counts = {
        "requestCount": batch.request_count,
        "successfulRequestCount": batch.success_count,
        "failedRequestCount": batch.failure_count,
        "pendingRequestCount": batch.pending_count,
    }
    return {name: str(value) for name, value in counts.items() if value}  # proto3: zeros are omitted


def _output(view: BatchView) -> dict[str, Any] | None:
    batch = view.batch
    if batch.output_file is not None:
        return {"responsesFile": batch.output_file}
    if view.inline_output is not None:
        items = orjson.Fragment(b"[" + b",".join(view.inline_output.splitlines()) + b"]")
        return {"inlinedResponses": {"inlinedResponses": items}}
    return None


def batch_to_operation(view: BatchView) -> dict[str, Any]:
    batch = view.batch
    meta: dict[str, Any] = {"@type": _TYPE_PREFIX + _BATCH_TYPE[batch.kind], "model": batch.model}
    if batch.display_name is not None:
        meta["displayName"] = batch.display_name
    if batch.input_file is not None:
        meta["inputConfig"] = {"fileName": batch.input_file}
    meta["createTime"] = wire_time(batch.create_us)
    meta["updateTime"] = wire_time(batch.update_us)
    if batch.end_us is not None:
        meta["endTime"] = wire_time(batch.end_us)
    meta["batchStats"] = _stats(batch)
    meta["state"] = str(batch.state)
    meta["name"] = batch.name
    if batch.priority is not None:
        meta["priority"] = str(batch.priority)
    output = _output(view)
    if output is not None:
        meta["output"] = output
    operation: dict[str, Any] = {"name": batch.name, "metadata": meta}
    if batch.state.terminal:
        operation["done"] = True
        if batch.state is BatchState.SUCCEEDED and output is not None:
            operation["response"] = {"@type": _TYPE_PREFIX + _OUTPUT_TYPE[batch.kind], **output}
        if batch.error is not None:
            operation["error"] = batch.error
    return operation
