"""Domain values for the unit tests, with defaults a test overrides by keyword."""

from __future__ import annotations

from emulator.batches.models import Batch, BatchKind, BatchState


def new_batch(**changes: object) -> Batch:
    """A PENDING generate batch of 10 requests created at 1 s, unless `changes` say otherwise."""
    values: dict[str, object] = dict(
        id="b",
        tenant="t",
        kind=BatchKind.GENERATE,
        model="models/m",
        display_name=None,
        state=BatchState.PENDING,
        input_file=None,
        input_blob="i",
        output_blob="o",
        request_count=10,
        create_us=1_000_000,
        update_us=1_000_000,
    )
    values.update(changes)
    return Batch(**values)  # type: ignore[arg-type]
