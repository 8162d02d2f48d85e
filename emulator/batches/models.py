"""The batch resource: its states, counters and where its input and output live; the fate a job
fault decides for it (`Fate`, `Outcome`) and the names of the production quirks it may carry."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from emulator.errors import Code


class BatchState(StrEnum):
    PENDING = "BATCH_STATE_PENDING"
    RUNNING = "BATCH_STATE_RUNNING"
    SUCCEEDED = "BATCH_STATE_SUCCEEDED"
    FAILED = "BATCH_STATE_FAILED"
    CANCELLED = "BATCH_STATE_CANCELLED"
    EXPIRED = "BATCH_STATE_EXPIRED"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset({BatchState.SUCCEEDED, BatchState.FAILED, BatchState.CANCELLED, BatchState.EXPIRED})


class BatchKind(StrEnum):
    GENERATE = "generate"
    EMBED = "embed"


class Outcome(StrEnum):
    """How a batch ends when a job fault (or a quirk, or the control plane) decides it."""

    FAILED = "FAILED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"
    HANG = "HANG"  # stays RUNNING until it expires
    NONE = "NONE"  # a job rule that only sets timing: the batch gets no fate
    STUCK = "STUCK"  # stays PENDING until it expires (the `stuck-then-expired` quirk; never a rule's)

    @property
    def state(self) -> BatchState | None:
        """The terminal state the outcome moves a batch to when it strikes (None: it never strikes)."""
        return _OUTCOME_STATES.get(self)


_OUTCOME_STATES = {
    Outcome.FAILED: BatchState.FAILED,
    Outcome.EXPIRED: BatchState.EXPIRED,
    Outcome.CANCELLED: BatchState.CANCELLED,
}


@dataclass(frozen=True, slots=True)
class Fate:
    """A batch's end, decided when it is created and kept with it, so a restart keeps it too: the
    outcome strikes after the fraction `at` of its lines is answered (0: before it starts)."""

    outcome: Outcome
    at: float
    code: Code = Code.INTERNAL
    message: str = ""
    rule: str = ""  # the job rule's id, "forced" (the control plane) or "quirk"


STUCK_FATE = Fate(Outcome.STUCK, 0.0, rule="quirk")  # what `stuck-then-expired` gives a batch


class QuirkName(StrEnum):
    """The production quirks a quirk rule can give a batch (docs/production.md)."""

    STUCK_THEN_EXPIRED = "stuck-then-expired"
    INLINE_OUT_OF_ORDER = "inline-out-of-order"
    INLINE_METADATA_DROPPED = "inline-metadata-dropped"
    SUCCEEDED_BEFORE_OUTPUT = "succeeded-before-output"
    LATE_COMPLETION_AFTER_CANCEL = "late-completion-after-cancel"
    OUTPUT_DISCARDED_AFTER = "output-discarded-after"
    SMALL_FILE_BATCH_INLINE_OUTPUT = "small-file-batch-inline-output"
    SPURIOUS_429_ON_CREATE = "spurious-429-on-create"  # docs/quotas.md
    ENQUEUED_TOKENS_LINGER = "enqueued-tokens-linger"  # docs/quotas.md


@dataclass(slots=True)
class Batch:
    """One batch job. Counters and offsets are the runner's checkpoint: every input line before
    `input_offset` has exactly one result line before `output_offset`."""

    id: str
    tenant: str
    kind: BatchKind
    model: str
    display_name: str | None
    state: BatchState
    input_file: str | None
    input_blob: str
    output_blob: str
    request_count: int
    create_us: int
    update_us: int
    success_count: int = 0
    failure_count: int = 0
    lines_done: int = 0
    input_offset: int = 0
    output_offset: int = 0
    start_us: int | None = None
    end_us: int | None = None
    output_file: str | None = None
    finalized: bool = False
    priority: int | None = None
    webhook: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    queue_us: int = 0
    latency_us: int = 0
    overhead_us: int = 0
    fate: Fate | None = None  # a job fault decided at creation
    quirks: list[dict[str, Any]] | None = None  # production quirks (a QuirkName + parameters), and their state
    extra: dict[str, Any] | None = None  # what another API surface keeps with the batch (OpenAI metadata)

    def quirk(self, name: QuirkName) -> dict[str, Any] | None:
        return next((q for q in self.quirks or () if q["name"] == name), None)

    @property
    def name(self) -> str:
        return f"batches/{self.id}"

    @property
    def inline(self) -> bool:
        return self.input_file is None

    @property
    def output_file_id(self) -> str:
        return f"batch-{self.id}"

    @property
    def pending_count(self) -> int:
        return max(0, self.request_count - self.lines_done) if not self.state.terminal else 0


@dataclass(frozen=True, slots=True)
class CreateBatch:
    """A parsed create request. Inline requests arrive as JSONL lines already, so the runner reads
    inline and file batches the same way."""

    kind: BatchKind
    model: str
    display_name: str | None
    input_file: str | None
    inline_lines: list[bytes] | None
    priority: int | None = None
    webhook: dict[str, Any] | None = None
    extra: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class BatchView:
    """A batch as the API shows it: the row, plus its inline results once they are published."""

    batch: Batch
    inline_output: bytes | None = None
