"""The background runner: moves batches through their states and answers their lines.

It runs off the request path (started by the app's lifespan), so `batches.get` stays a cheap read
however large a job is. Work is done a chunk at a time, round-robin over the unfinished batches, in
a worker thread; after each chunk the batch's counters and byte offsets are checkpointed, so a
restart (or `kill -9`) resumes where the last checkpoint left off and every input line ends up in
the output exactly once.
"""

from __future__ import annotations

import asyncio
import logging

from emulator.batches import machine
from emulator.batches.lines import LineContext
from emulator.batches.machine import Timing
from emulator.batches.models import Batch, BatchState
from emulator.batches.pipeline import answer_chunk, truncate
from emulator.clock import MICROS, Clock
from emulator.config import Settings
from emulator.errors import ApiError, Internal
from emulator.files.models import RETENTION_US, File, FileSource, FileState
from emulator.responder import Responder
from emulator.storage.blobs import BlobStore, sha256_hex
from emulator.storage.sqlite import SqliteStore

log = logging.getLogger("emulator.batches")

CHUNK_LINES = 2000
EXPIRY_US = 48 * 3600 * MICROS
OUTPUT_MIME_TYPE = "application/jsonl"


class JobRunner:
    def __init__(
        self, store: SqliteStore, blobs: BlobStore, clock: Clock, responder: Responder, settings: Settings
    ) -> None:
        self._store = store
        self._blobs = blobs
        self._clock = clock
        self._responder = responder
        self._settings = settings
        self._timing = Timing(
            queue_delay_us=round(settings.queue_delay * MICROS),
            request_latency_us=round(settings.request_latency * MICROS),
        )
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()

    def wake(self) -> None:
        """Something changed (a batch was created, cancelled, deleted): look again now."""
        self._idle.clear()
        self._wake.set()

    async def wait_idle(self) -> None:
        """Return once no batch has work left."""
        await self._idle.wait()

    async def run_forever(self) -> None:
        while True:
            self._wake.clear()
            try:
                delay = await self.step()
            except Exception:  # the runner must outlive any one bad step
                log.exception("runner step failed")
                delay = 1.0
            if delay == 0:
                await asyncio.sleep(0)
                continue
            if delay is None:
                self._idle.set()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            except TimeoutError:
                pass

    async def step(self) -> float | None:
        """Advance every unfinished batch once. Returns the real seconds until more work is due:
        0 for "now", None for "nothing until woken"."""
        next_due: int | None = None
        for batch in await self._store.unfinished_batches():
            due = await self._advance(batch)
            if due is not None:
                next_due = due if next_due is None else min(next_due, due)
        if next_due is None:
            return None
        return self._clock.real_seconds_until(next_due)

    async def _advance(self, batch: Batch) -> int | None:
        """Do the next piece of work on `batch`; return when (emulated µs) it next needs attention."""
        now = self._clock.now_us()
        if batch.state.terminal:
            await self._finalize(batch)
            return None
        if now >= batch.create_us + EXPIRY_US:
            await self._expire(batch, now)
            return None
        if batch.state is BatchState.PENDING:
            due = machine.start_due_us(batch, self._timing)
            if now < due:
                return min(due, batch.create_us + EXPIRY_US)
            machine.transition(batch, BatchState.RUNNING, now)
            if await self._store.save_batch(batch, BatchState.PENDING):
                log.info("%s PENDING→RUNNING (%d requests)", batch.name, batch.request_count)
            return now
        lines = min(machine.lines_due(batch, now, self._timing), CHUNK_LINES)
        if lines == 0 and batch.lines_done < batch.request_count:
            return min(machine.next_line_due_us(batch, self._timing), batch.create_us + EXPIRY_US)
        try:
            result = await asyncio.to_thread(
                answer_chunk,
                self._blobs.path(batch.input_blob),
                batch.input_offset,
                self._blobs.path(batch.output_blob),
                batch.output_offset,
                lines,
                batch.lines_done,
                self._context(batch),
            )
        except FileNotFoundError:  # deleted under us; the next step will not see it again
            return now
        batch.input_offset, batch.output_offset = result.input_offset, result.output_offset
        batch.lines_done += result.lines
        batch.success_count += result.successes
        batch.failure_count += result.lines - result.successes
        if result.at_end or batch.lines_done >= batch.request_count:
            batch.request_count = batch.lines_done
            machine.transition(batch, BatchState.SUCCEEDED, self._clock.now_us())
            await self._finalize(batch, expect=BatchState.RUNNING)
        else:
            await self._store.save_batch(batch, BatchState.RUNNING)
        return now

    def _context(self, batch: Batch) -> LineContext:
        return LineContext(
            kind=batch.kind,
            model=batch.model,
            inline=batch.inline,
            batch_id=batch.id,
            seed=self._settings.seed,
            error_rate=self._settings.request_error_rate,
            responder=self._responder,
        )

    async def _expire(self, batch: Batch, now: int) -> None:
        previous = batch.state
        machine.transition(batch, BatchState.EXPIRED, now)
        batch.finalized = True
        if await self._store.save_batch(batch, previous):
            log.info("%s %s→EXPIRED", batch.name, previous.name)
            await asyncio.to_thread(self._blobs.delete, batch.output_blob)

    async def _finalize(self, batch: Batch, expect: BatchState | None = None) -> None:
        """Publish a terminal batch's results: the output as checkpointed, as a generated file (file
        batches) or as the inline output blob. A cancelled batch keeps what it answered before."""
        output: File | None = None
        await asyncio.to_thread(truncate, self._blobs.path(batch.output_blob), batch.output_offset)
        if not batch.inline and batch.lines_done > 0:
            digest = await asyncio.to_thread(sha256_hex, self._blobs.path(batch.output_blob))
            now = self._clock.now_us()
            output = File(
                id=batch.output_file_id,
                tenant=batch.tenant,
                display_name=batch.output_file_id,
                mime_type=OUTPUT_MIME_TYPE,
                size_bytes=batch.output_offset,
                sha256_hex=digest,
                state=FileState.ACTIVE,
                source=FileSource.GENERATED,
                create_us=now,
                update_us=now,
                expire_us=now + RETENTION_US,
                blob=batch.output_blob,
            )
            batch.output_file = output.name
        batch.finalized = True
        if await self._store.finalize_batch(batch, expect or batch.state, output):
            log.info("%s %s (%d ok, %d failed)", batch.name, batch.state.name, batch.success_count, batch.failure_count)

    async def fail(self, batch: Batch, error: ApiError | None = None) -> None:
        previous = batch.state
        machine.transition(batch, BatchState.FAILED, self._clock.now_us())
        batch.error = (error or Internal("The batch failed.")).status()
        await self._finalize(batch, expect=previous)
