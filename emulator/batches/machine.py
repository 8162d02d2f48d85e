"""The batch state machine: which transitions exist, and when a batch is due for the next one.

Pure: it takes `now` as an argument and returns decisions; the runner applies them. A batch carries
its own timing (queue time, per-request latency, overhead), drawn when it was created.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from emulator.batches.models import Batch, BatchState, Outcome
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


def transition(batch: Batch, to: BatchState, at_us: int) -> None:
    """Move `batch` to `to` at emulated time `at_us`, stamping `updateTime` (and `startTime`/`endTime`)."""
    if to not in TRANSITIONS[batch.state]:
        raise FailedPrecondition(f"Batch {batch.name} cannot move from {batch.state} to {to}.")
    batch.state = to
    batch.update_us = at_us
    if to is S.RUNNING:
        batch.start_us = at_us
    if to.terminal:
        batch.end_us = at_us


StepKind = Literal["wait", "start", "answer", "finish", "fate", "expire"]


@dataclass(frozen=True, slots=True)
class Step:
    """What the runner should do next with a batch, and at which emulated time it happens (for
    `wait`: when to look again). Transitions are stamped with the time they were due, not the time
    the runner got to them, so timestamps follow the clock exactly, even after a jump."""

    kind: StepKind
    at_us: int
    lines: int = 0


def fate_line_limit(batch: Batch) -> int:
    """How many lines are answered before a job fault strikes (all of them without one)."""
    if batch.fate is None:
        return batch.request_count
    # The tolerance keeps a fraction taken from a line count (3 / 10 * 10) on that line.
    return min(batch.request_count, math.ceil(batch.fate.at * batch.request_count - 1e-9))


def lines_due(batch: Batch, now_us: int) -> int:
    """How many more lines of a RUNNING batch are answered by `now_us`: line i (0-based) is done
    `(i + 1) * latency` after the batch started."""
    remaining = fate_line_limit(batch) - batch.lines_done
    if remaining <= 0:
        return 0
    if batch.latency_us <= 0:
        return remaining
    assert batch.start_us is not None
    done_by_now = (now_us - batch.start_us) // batch.latency_us
    return max(0, min(remaining, done_by_now - batch.lines_done))


def next_step(batch: Batch, now_us: int, expiry_us: int, max_lines: int) -> Step:
    """The next thing that happens to an unfinished batch. Pure."""
    expires = batch.create_us + expiry_us

    def at_or_wait(kind: StepKind, when: int) -> Step:
        if when >= expires:
            return Step("expire", expires) if now_us >= expires else Step("wait", expires)
        return Step(kind, when) if now_us >= when else Step("wait", when)

    fate = batch.fate
    if fate is not None and fate.outcome is Outcome.STUCK:  # queued until it expires (a production quirk)
        return Step("expire", expires) if now_us >= expires else Step("wait", expires)
    if batch.state is S.PENDING:
        start = batch.create_us + batch.queue_us
        if fate is not None and fate.at == 0 and fate.outcome is not Outcome.HANG:
            return at_or_wait("fate", start)
        return at_or_wait("start", start)
    assert batch.start_us is not None
    limit = fate_line_limit(batch)
    if batch.lines_done < limit:
        due = min(lines_due(batch, min(now_us, expires)), max_lines)
        if due > 0:
            return Step("answer", now_us, due)
        return at_or_wait("answer", batch.start_us + (batch.lines_done + 1) * batch.latency_us)
    if fate is not None:
        if fate.outcome is Outcome.HANG:
            return at_or_wait("fate", expires)
        return at_or_wait("fate", batch.start_us + limit * batch.latency_us)
    return at_or_wait("finish", batch.start_us + batch.request_count * batch.latency_us + batch.overhead_us)


def fate_state(batch: Batch) -> BatchState:
    """The state a batch's fate moves it to when it strikes (a HANG or STUCK one never strikes)."""
    assert batch.fate is not None
    state = batch.fate.outcome.state
    assert state is not None, f"a {batch.fate.outcome} fate never strikes"
    return state
