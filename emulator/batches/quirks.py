"""Production quirks: how the real service has been seen to deviate from its documentation (docs/wire.md
§6), reproduced on demand for the batches a quirk rule matched. Never on by default.

Most act when a batch is shown, not when it runs, so the stored batch stays the documented truth:
`shown(...)` returns what a client sees now. Pure: `now` and the poll count are passed in.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from emulator.batches.models import Batch, BatchState, QuirkName
from emulator.errors import Cancelled
from emulator.ids import derive_rng

MICROS = 1_000_000


def starts_stuck(quirks: list[dict[str, object]]) -> bool:
    return any(q["name"] == QuirkName.STUCK_THEN_EXPIRED for q in quirks)


def refuses_create(quirks: list[dict[str, Any]], *, seed: int, batch_id: str) -> bool:
    """`spurious-429-on-create`: the create is refused with the quota 429 although no limit is reached,
    for the fraction `rate` of creates (seeded per batch id; docs/quotas.md)."""
    quirk = next((q for q in quirks if q["name"] == QuirkName.SPURIOUS_429_ON_CREATE), None)
    return quirk is not None and derive_rng(seed, "spurious-429", batch_id).random() < float(quirk["rate"])


def swallows_cancel(batch: Batch) -> bool:
    """`late-completion-after-cancel`: a cancel of a PENDING batch is shown, but the batch goes on."""
    return batch.quirk(QuirkName.LATE_COMPLETION_AFTER_CANCEL) is not None and batch.state is BatchState.PENDING


def inline_output_instead_of_file(batch: Batch) -> bool:
    """`small-file-batch-inline-output`: a small file batch comes back with inline results."""
    quirk = batch.quirk(QuirkName.SMALL_FILE_BATCH_INLINE_OUTPUT)
    return quirk is not None and not batch.inline and batch.request_count <= float(quirk["max_requests"])


def output_age_limit_us(batch: Batch) -> int | None:
    """`output-discarded-after`: how long after the end outputs stay readable."""
    quirk = batch.quirk(QuirkName.OUTPUT_DISCARDED_AFTER)
    return round(float(quirk["seconds"]) * MICROS) if quirk is not None else None


def shown(
    batch: Batch, inline_output: bytes | None, *, now_us: int, polls: int, seed: int
) -> tuple[Batch, bytes | None]:
    """The batch and inline results as a client sees them at `now_us`, after `polls` reads since it
    finished."""
    if not batch.quirks:
        return batch, inline_output
    cancel = batch.quirk(QuirkName.LATE_COMPLETION_AFTER_CANCEL)
    if cancel is not None and "cancelled_us" in cancel and not batch.state.terminal:
        at = int(cancel["cancelled_us"])
        error = Cancelled(f"Batch {batch.name} was cancelled.").status()
        return dataclasses.replace(batch, state=BatchState.CANCELLED, end_us=at, update_us=at, error=error), None
    if batch.state is not BatchState.SUCCEEDED:
        return batch, inline_output
    early = batch.quirk(QuirkName.SUCCEEDED_BEFORE_OUTPUT)
    if early is not None:
        seconds = round(float(early["seconds"]) * MICROS)
        if polls <= int(early["polls"]) or (batch.end_us is not None and now_us < batch.end_us + seconds):
            return dataclasses.replace(batch, output_file=None), None
    limit = output_age_limit_us(batch)
    if limit is not None and batch.end_us is not None and now_us >= batch.end_us + limit and batch.inline:
        inline_output = None
    if inline_output is None:
        return batch, None
    lines = inline_output.splitlines()
    if inline_output_instead_of_file(batch):
        lines = [_as_inline_item(line) for line in lines]
    if batch.quirk(QuirkName.INLINE_METADATA_DROPPED) is not None:
        lines = [_without_metadata(line) for line in lines]
    order = batch.quirk(QuirkName.INLINE_OUT_OF_ORDER)
    if order is not None and len(lines) >= float(order["min_requests"]):
        derive_rng(seed, "out-of-order", batch.id).shuffle(lines)
    return batch, b"\n".join(lines)


def _as_inline_item(line: bytes) -> bytes:
    """A responses-file line (`{"key", "response"}`) as an inline item (`{"response", "metadata"}`)."""
    item = orjson.loads(line)
    key = item.pop("key", None)
    if key is not None:
        item["metadata"] = {"key": str(key)}
    return orjson.dumps(item)


def _without_metadata(line: bytes) -> bytes:
    item = orjson.loads(line)
    item.pop("metadata", None)
    return orjson.dumps(item)
