"""The batch resource: its states, counters and where its input and output live."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


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
    fate: dict[str, Any] | None = None  # a job fault decided at creation: outcome, at, code, message
    quirks: list[dict[str, Any]] | None = None  # production quirks (name + parameters), and their state
    extra: dict[str, Any] | None = None  # what another API surface keeps with the batch (OpenAI metadata)

    def quirk(self, name: str) -> dict[str, Any] | None:
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
