"""What the dashboard shows, read through the `Store` port, across every API key.

The API only ever shows one key's state; the dashboard is the operator's view of all of it. These are
reads only: actions go through the same services and control-plane endpoints the tests use.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from emulator.batches import machine
from emulator.batches.models import Batch, BatchState, Outcome
from emulator.clock import MICROS, Clock, rfc3339
from emulator.files.models import TEXT_APPLICATION_TYPES, File
from emulator.ids import ANONYMOUS, tenant_for_key
from emulator.storage.blobs import BlobStore
from emulator.storage.port import Store

MAX_LISTED = 500


@dataclass(frozen=True, slots=True)
class BatchFilter:
    """Which batches to list: a state (`RUNNING` or `BATCH_STATE_RUNNING`), and a tenant given as
    its API key (hashed here, never kept) or as the fingerprint the dashboard shows."""

    state: BatchState | None = None
    tenant: str | None = None

    @classmethod
    def parse(cls, state: str | None, key: str | None, tenant: str | None) -> BatchFilter:
        wanted = None
        if state:
            name = state.strip().upper()
            name = name if name.startswith("BATCH_STATE_") else "BATCH_STATE_" + name.removeprefix("JOB_STATE_")
            wanted = next((s for s in BatchState if s == name), None)
        who = tenant_for_key(key) if key else (tenant or None)
        return cls(wanted, who)

    def keeps(self, batch: Batch) -> bool:
        return (self.state is None or batch.state is self.state) and (
            self.tenant is None or batch.tenant == self.tenant
        )


def progress(batch: Batch) -> tuple[int, int]:
    """(lines answered, percent): 100% only once every line is answered."""
    done = batch.request_count if batch.state is BatchState.SUCCEEDED else batch.lines_done
    if batch.request_count <= 0:
        return done, 0
    percent = 100 if done >= batch.request_count else done * 100 // batch.request_count
    return done, percent


def batch_json(batch: Batch) -> dict[str, Any]:
    done, percent = progress(batch)
    return {
        "name": batch.name,
        "id": batch.id,
        "apiKey": batch.tenant,
        "displayName": batch.display_name,
        "model": batch.model,
        "kind": str(batch.kind),
        "state": str(batch.state),
        "requestCount": batch.request_count,
        "doneCount": done,
        "successfulRequestCount": batch.success_count,
        "failedRequestCount": batch.failure_count,
        "progress": percent,
        "createTime": rfc3339(batch.create_us),
        "startTime": rfc3339(batch.start_us) if batch.start_us is not None else None,
        "endTime": rfc3339(batch.end_us) if batch.end_us is not None else None,
        "inputFile": batch.input_file,
        "outputFile": batch.output_file,
        "error": batch.error,
        "finalized": batch.finalized,
    }


async def list_batches(store: Store, which: BatchFilter) -> tuple[list[Batch], int]:
    """Newest first, at most `MAX_LISTED`; and how many matched in all."""
    batches = [b for b in await store.all_batches(which.tenant) if which.keeps(b)]
    batches.reverse()
    return batches[:MAX_LISTED], len(batches)


async def find_batch(store: Store, batch_id: str) -> Batch | None:
    return await store.find_batch(batch_id.removeprefix("batches/"))


async def batches_of_file(store: Store, file: File) -> list[Batch]:
    """The batches that read a file or wrote it, oldest first."""
    return [b for b in await store.all_batches(file.tenant) if file.name in (b.input_file, b.output_file)]


async def tenants(store: Store) -> list[str]:
    """Every API key (fingerprint) that has batches or files, for the filter's suggestions."""
    batches, files = await asyncio.gather(store.all_batches(None), store.all_files(None))
    return sorted({b.tenant for b in batches} | {f.tenant for f in files}, key=lambda t: (t != ANONYMOUS, t))


# --- a batch's timeline --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a batch's timeline: what happened (or is due to happen, `scheduled`) and when."""

    label: str
    state: BatchState
    at_us: int
    scheduled: bool = False
    detail: str | None = None


def timeline(batch: Batch, expiry_s: float) -> list[Event]:
    """The transitions a batch went through, then the ones its timing (and any job fault rule)
    schedule next, as the runner will apply them. Times are the batch's key's emulated time."""
    expires = batch.create_us + round(expiry_s * MICROS)
    events = [Event("Created", BatchState.PENDING, batch.create_us, detail=f"{batch.request_count} requests queued")]
    fate = batch.fate
    if batch.start_us is not None:
        events.append(Event("Started", BatchState.RUNNING, batch.start_us))
    if batch.state.terminal:
        assert batch.end_us is not None
        detail = (batch.error or {}).get("message") or None
        events.append(Event(_ENDED[batch.state], batch.state, batch.end_us, detail=detail))
        return events
    start = batch.start_us if batch.start_us is not None else batch.create_us + batch.queue_us
    if fate is not None and fate.outcome is Outcome.STUCK:
        pass  # queued until it expires (a production quirk): only the expiry below is due
    elif fate is not None:
        rule = f"job fault rule {fate.rule}"
        if fate.outcome is Outcome.HANG:
            if batch.start_us is None:
                events.append(Event("Starts", BatchState.RUNNING, start, scheduled=True))
            events.append(Event("Hangs until it expires", BatchState.RUNNING, start, scheduled=True, detail=rule))
        else:
            if batch.start_us is None and fate.at > 0:
                events.append(Event("Starts", BatchState.RUNNING, start, scheduled=True))
            at = start + machine.fate_line_limit(batch) * batch.latency_us
            state = machine.fate_state(batch)
            if at < expires:
                events.append(Event(_ENDS[state], state, at, scheduled=True, detail=rule))
    else:
        if batch.start_us is None:
            events.append(Event("Starts", BatchState.RUNNING, start, scheduled=True))
        finish = start + batch.request_count * batch.latency_us + batch.overhead_us
        if finish < expires:
            events.append(Event("Succeeds", BatchState.SUCCEEDED, finish, scheduled=True))
    events.append(Event("Expires if not done", BatchState.EXPIRED, expires, scheduled=True))
    return events


_ENDED = {
    BatchState.SUCCEEDED: "Succeeded",
    BatchState.FAILED: "Failed",
    BatchState.CANCELLED: "Cancelled",
    BatchState.EXPIRED: "Expired",
}
_ENDS = {
    BatchState.SUCCEEDED: "Succeeds",
    BatchState.FAILED: "Fails",
    BatchState.CANCELLED: "Is cancelled",
    BatchState.EXPIRED: "Expires",
    BatchState.RUNNING: "Runs",
}


# --- files ---------------------------------------------------------------------------------------

TEXT_MIME_TYPES = TEXT_APPLICATION_TYPES
HEAD_LINES = 20
HEAD_BYTES = 64 * 1024


def is_text(file: File) -> bool:
    return file.is_text  # by the type's canonical form: an upload stored as `jsonl` is text


async def list_files(store: Store, clock: Clock, tenant: str | None) -> list[File]:
    """Live files (not yet expired in their key's time), newest first."""
    files = await store.all_files(tenant)
    alive = [f for f in files if f.expire_us > clock.now_us(f.tenant)]
    alive.reverse()
    return alive


async def find_file(store: Store, clock: Clock, tenant: str, file_id: str) -> File | None:
    return await store.get_file(tenant, file_id, alive_at=clock.now_us(tenant))


def head(data: bytes) -> tuple[list[str], bool]:
    """The first lines of a text file (given its first bytes), and whether there is more."""
    text = data[:HEAD_BYTES].decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines[:HEAD_LINES], len(data) > HEAD_BYTES or len(lines) > HEAD_LINES


async def read_head(blobs: BlobStore, file: File) -> tuple[list[str], bool]:
    def first_bytes() -> bytes:
        with blobs.path(file.blob).open("rb") as f:
            return f.read(HEAD_BYTES + 1)

    try:
        data = await asyncio.to_thread(first_bytes)
    except FileNotFoundError:
        return [], False
    return head(data)
