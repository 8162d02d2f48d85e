"""The batch state machine: which transitions exist, and when a batch is due for the next one.

Pure: it takes `now` and the timing policy as arguments and returns decisions; the runner applies them.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.batches.models import Batch, BatchState
from emulator.errors import FailedPrecondition

S = BatchState
TRANSITIONS: dict[BatchState, frozenset[BatchState]] = {
    S.PENDING: frozenset({S.RUNNING, S.CANCELLED, S.FAILED, S.EXPIRED}),
    S.RUNNING: frozenset({S.SUCCEEDED, S.CANCELLED, S.FAILED, S.EXPIRED}),
    S.SUCCEEDED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Timing:
    """Emulated durations, in microseconds."""

    queue_delay_us: int
    request_latency_us: int


def transition(batch: Batch, to: BatchState, now_us: int) -> None:
    """Move `batch` to `to`, stamping `updateTime` (and `endTime` on a terminal state)."""
    if to not in TRANSITIONS[batch.state]:
        raise FailedPrecondition(f"Batch {batch.name} cannot move from {batch.state} to {to}.")
    batch.state = to
    batch.update_us = now_us
    if to is S.RUNNING:
        batch.start_us = now_us
    if to.terminal:
        batch.end_us = now_us


def start_due_us(batch: Batch, timing: Timing) -> int:
    """When a PENDING batch starts running."""
    return batch.create_us + timing.queue_delay_us


def lines_due(batch: Batch, now_us: int, timing: Timing) -> int:
    """How many more lines of a RUNNING batch may be answered by `now_us`: line i (0-based) is done
    `(i + 1) * request_latency` after the batch started."""
    remaining = batch.request_count - batch.lines_done
    if timing.request_latency_us <= 0:
        return remaining
    assert batch.start_us is not None
    done_by_now = (now_us - batch.start_us) // timing.request_latency_us
    return max(0, min(remaining, done_by_now - batch.lines_done))


def next_line_due_us(batch: Batch, timing: Timing) -> int:
    assert batch.start_us is not None
    return batch.start_us + (batch.lines_done + 1) * timing.request_latency_us
