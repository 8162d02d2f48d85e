"""The background runner: moves batches through their states and answers their lines.

It runs off the request path (started by the app's lifespan), so `batches.get` stays a cheap read
however large a job is. Work is done a chunk at a time, round-robin over the unfinished batches, in
a worker thread or, for large chunks, in worker processes (`workers.py`); after each chunk the
batch's counters and byte offsets are checkpointed, so a restart (or `kill -9`) resumes where the
last checkpoint left off and every input line ends up in the output exactly once. What happens when
is decided by the pure `machine.next_step`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from emulator.batches import machine, quirks
from emulator.batches.lines import LineContext
from emulator.batches.models import Batch, BatchState
from emulator.batches.pipeline import answer_chunk, truncate, write_answers
from emulator.batches.pool import MIN_LINES, WorkerPool, default_workers
from emulator.clock import MICROS, Clock
from emulator.config import Settings
from emulator.errors import Code, error_for
from emulator.faults.book import FaultBook
from emulator.files.models import File, FileSource, FileState
from emulator.responder import FileIndex, FileInfo, Responder
from emulator.storage.blobs import BlobStore, sha256_hex
from emulator.storage.port import Store

if TYPE_CHECKING:
    from collections.abc import Callable
    from hashlib import _Hash as Hash

    from emulator.validation.validator import Validator

log = logging.getLogger("emulator.batches")

CHUNK_LINES = 2000
WARM_AFTER = 0.5  # real seconds after start-up: when the worker processes start
OUTPUT_MIME_TYPE = "application/jsonl"


class JobRunner:
    def __init__(
        self,
        store: Store,
        blobs: BlobStore,
        clock: Clock,
        responder: Responder,
        settings: Settings,
        faults: FaultBook,
        validator: Callable[[], Validator] | None = None,
    ) -> None:
        self._validator = validator  # what checks each line (made when a batch is run, not at start-up)
        self._store = store
        self._blobs = blobs
        self._clock = clock
        self._responder = responder
        self._settings = settings
        self._faults = faults
        self._expiry_us = round(settings.batch_expiry * MICROS)
        self._retention_us = round(settings.file_retention * MICROS)
        self._workers = WorkerPool(default_workers() if settings.workers is None else settings.workers)
        # A chunk is split among the workers: give each of them two chunks' worth, so that the
        # server's share of the work (merging, writing, checkpointing) is small beside theirs.
        self._chunk_lines = CHUNK_LINES * (2 * self._workers.size or 1)
        self._warming: asyncio.TimerHandle | None = None
        # batch id -> (output bytes so far, their SHA-256): the output file's digest, kept up as it is
        # written, so finishing a large batch need not read its output again. Lost on restart (then
        # the digest is computed from the file).
        self._digests: dict[str, tuple[int, Hash]] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._settled = asyncio.Condition()
        self.lines_answered = 0  # since this process started
        # Called once a batch is terminal and its outputs are published (the webhooks queue its event).
        self.on_finished: Callable[[Batch], Awaitable[None]] | None = None
        self.lines_in_workers = 0  # of which answered by worker processes
        self._asked = 0  # settle() requests made
        self._answered = 0  # the last request a completed quiet step started after

    def use(self, settings: Settings) -> None:
        """Take new settings (the control plane changed the expiry or retention)."""
        self._settings = settings
        self._expiry_us = round(settings.batch_expiry * MICROS)
        self._retention_us = round(settings.file_retention * MICROS)
        self.wake()

    def wake(self) -> None:
        """Something changed (a batch was created, cancelled, deleted, the clock moved): look again now."""
        self._idle.clear()
        self._wake.set()

    async def wait_idle(self) -> None:
        """Return once no batch has work left."""
        await self._idle.wait()

    async def settle(self) -> None:
        """Return once the runner has done everything that is due at the current emulated time
        (after a clock jump: the batches that are due to finish have finished)."""
        self._asked += 1
        ticket = self._asked
        self.wake()
        async with self._settled:
            await self._settled.wait_for(lambda: self._answered >= ticket)

    @property
    def workers_ready(self) -> bool:
        """Whether worker processes are running and ready for the next large chunk."""
        return self._workers.ready

    async def close(self) -> None:
        """Stop the worker processes, if any were started."""
        if self._warming is not None:
            self._warming.cancel()
        await self._workers.close()

    async def run_forever(self) -> None:
        # Worker processes start once the server is up (not before: they would slow its start-up),
        # so that the first large batch finds them ready.
        self._warming = asyncio.get_running_loop().call_later(WARM_AFTER, self._workers.warm, self._responder)
        while True:
            self._wake.clear()
            started_for = self._asked
            try:
                delay = await self.step()
            except Exception:  # the runner must outlive any one bad step
                log.exception("runner step failed")
                delay = 1.0
            if delay == 0:
                await asyncio.sleep(0)
                continue
            async with self._settled:
                self._answered = started_for
                self._settled.notify_all()
            if delay is None:
                self._idle.set()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=None if math.isinf(delay or math.inf) else delay)
            except TimeoutError:
                pass

    async def step(self) -> float | None:
        """Advance every unfinished batch once. Returns the real seconds until more work is due:
        0 for "now", None for "nothing until woken"."""
        await self._sweep_files()
        wait: float | None = None
        batches = await self._store.unfinished_batches()
        for stale in self._digests.keys() - {batch.id for batch in batches}:  # deleted while running
            del self._digests[stale]
        for batch in batches:
            due = await self._advance(batch)
            if due is not None:
                seconds = self._clock.real_seconds_until(due, batch.tenant)
                wait = seconds if wait is None else min(wait, seconds)
        return None if wait is None or math.isinf(wait) else wait

    async def _sweep_files(self) -> None:
        """Delete expired files: those expired for every key (a key whose clock runs behind keeps
        its files; reads hide each key's expired files by its own clock anyway)."""
        for blob in await self._store.delete_expired_files(self._clock.earliest_now_us()):
            await asyncio.to_thread(self._blobs.delete, blob)

    async def _advance(self, batch: Batch) -> int | None:
        """Do the next piece of work on `batch`; return when (emulated µs) it next needs attention."""
        if batch.state.terminal:
            await self._finalize(batch)
            return None
        now = self._clock.now_us(batch.tenant)
        step = machine.next_step(batch, now, self._expiry_us, self._chunk_lines)
        previous = batch.state
        if step.kind == "wait":
            return step.at_us
        if step.kind == "start":
            if batch.request_count >= MIN_LINES:
                self._workers.warm(self._responder)  # started while the batch's first lines come due
            machine.transition(batch, BatchState.RUNNING, step.at_us)
            if await self._store.save_batch(batch, previous):
                log.info(
                    "%s PENDING→RUNNING (%d requests)",
                    batch.name,
                    batch.request_count,
                    extra={
                        "event": "batch",
                        "batch": batch.name,
                        "from": str(previous),
                        "state": str(batch.state),
                        "requestCount": batch.request_count,
                    },
                )
        elif step.kind == "answer":
            await self._answer(batch, step.lines)
        elif step.kind == "finish":
            machine.transition(batch, BatchState.SUCCEEDED, step.at_us)
            await self._finalize(batch, expect=previous)
        elif step.kind == "expire":
            machine.transition(batch, BatchState.EXPIRED, step.at_us)
            batch.output_offset = batch.lines_done = 0  # an expired batch has no results
            await self._finalize(batch, expect=previous)
        else:  # a job fault strikes
            assert batch.fate is not None
            state = machine.fate_state(batch)
            machine.transition(batch, state, step.at_us)
            code = Code.CANCELLED if state is BatchState.CANCELLED else batch.fate.code
            batch.error = error_for(code, batch.fate.message).status()
            if state is not BatchState.CANCELLED:
                batch.output_offset = batch.lines_done = 0
            await self._finalize(batch, expect=previous)
        return now

    async def _answer(self, batch: Batch, lines: int) -> None:
        source, target = self._blobs.path(batch.input_blob), self._blobs.path(batch.output_blob)
        durable = self._settings.data_dir is not None  # an ephemeral emulator has nothing to keep
        ctx = await self._context(batch)
        digest = self._digest_so_far(batch)
        try:
            answers = None
            packed = self._workers.packed(ctx, lines)
            if packed is not None:
                answers = await self._workers.answer(source, batch.input_offset, lines, batch.lines_done, packed)
                if answers is not None and not answers.at_end:
                    self._prefetch(batch, answers.input_offset, batch.lines_done + answers.count, source, packed)
            if answers is not None:
                result = await asyncio.to_thread(write_answers, answers, target, batch.output_offset, durable, digest)
                self.lines_in_workers += result.lines
            else:
                result = await asyncio.to_thread(
                    answer_chunk,
                    source,
                    batch.input_offset,
                    target,
                    batch.output_offset,
                    lines,
                    batch.lines_done,
                    ctx,
                    durable,
                    digest,
                )
        except FileNotFoundError:  # deleted under us; the next step will not see it again
            self._digests.pop(batch.id, None)
            return
        if digest is not None:
            self._digests[batch.id] = (result.output_offset, digest)
        batch.input_offset, batch.output_offset = result.input_offset, result.output_offset
        batch.lines_done += result.lines
        batch.success_count += result.successes
        batch.failure_count += result.lines - result.successes
        self.lines_answered += result.lines  # for metrics: every line answered, checkpointed or not
        if result.at_end:  # fewer request lines than counted at creation: the file was shorter
            batch.request_count = batch.lines_done
        await self._store.save_batch(batch, BatchState.RUNNING)

    def _digest_so_far(self, batch: Batch) -> Hash | None:
        """The running digest of the batch's output, if it covers exactly what has been written."""
        kept = self._digests.pop(batch.id, None)
        if kept is not None and kept[0] == batch.output_offset:
            return kept[1]
        return hashlib.sha256() if batch.output_offset == 0 else None

    def _prefetch(self, batch: Batch, input_offset: int, lines_done: int, source: Path, packed: bytes) -> None:
        """Start the batch's next chunk in the workers, if one is due right after this one (asked
        of the state machine, as the next step will be)."""
        after = dataclasses.replace(batch, input_offset=input_offset, lines_done=lines_done)
        step = machine.next_step(after, self._clock.now_us(batch.tenant), self._expiry_us, self._chunk_lines)
        if step.kind == "answer" and step.lines >= MIN_LINES:
            self._workers.prefetch(source, input_offset, step.lines, lines_done, packed)

    async def _context(self, batch: Batch) -> LineContext:
        """What answering this batch's lines depends on, the tenant's files included (the responder
        reads `fileData` parts against them; it is synchronous, so they are fetched here)."""
        now = self._clock.now_us(batch.tenant)
        video, audio = self._settings.video_processing, self._settings.audio_processing
        files = {
            f.name: FileInfo(
                name=f.name,
                mime_type=f.mime_type,
                size_bytes=f.size_bytes,
                active=f.shown_at(now, video=video, audio=audio).state is FileState.ACTIVE,
            )
            for f in await self._store.all_files(batch.tenant)
            if f.expire_us > now
        }
        return LineContext(
            kind=batch.kind,
            model=batch.model,
            inline=batch.inline,
            batch_id=batch.id,
            seed=self._settings.seed,
            responder=self._responder,
            faults=self._faults.line_faults(batch.tenant),
            files=FileIndex(files),
            max_line_bytes=self._settings.max_line_bytes,
            validator=self._validator() if self._validator is not None else None,
        )

    async def _finalize(self, batch: Batch, expect: BatchState | None = None) -> None:
        """Publish a terminal batch's results: the output as checkpointed, as a generated file (file
        batches) or as the inline output blob. A cancelled batch keeps what it answered before."""
        output: File | None = None
        await asyncio.to_thread(truncate, self._blobs.path(batch.output_blob), batch.output_offset)
        if batch.state not in (BatchState.SUCCEEDED, BatchState.CANCELLED):
            batch.success_count = batch.failure_count = 0  # no results: none succeeded, none failed
        kept = self._digests.pop(batch.id, None)
        if not batch.inline and batch.lines_done > 0 and not quirks.inline_output_instead_of_file(batch):
            if kept is not None and kept[0] == batch.output_offset:
                digest = kept[1].hexdigest()
            else:
                digest = await asyncio.to_thread(sha256_hex, self._blobs.path(batch.output_blob))
            now = batch.end_us or self._clock.now_us(batch.tenant)
            output = File.made(
                batch.output_file_id,
                batch.tenant,
                display_name=batch.output_file_id,
                mime_type=OUTPUT_MIME_TYPE,
                size_bytes=batch.output_offset,
                sha256_hex=digest,
                source=FileSource.GENERATED,
                now_us=now,
                expire_us=now + (quirks.output_age_limit_us(batch) or self._retention_us),
                blob=batch.output_blob,
            )
            batch.output_file = output.name
        batch.finalized = True
        if await self._store.finalize_batch(batch, expect or batch.state, output):
            log.info(
                "%s %s (%d ok, %d failed)",
                batch.name,
                batch.state.name,
                batch.success_count,
                batch.failure_count,
                extra={
                    "event": "batch",
                    "batch": batch.name,
                    "state": str(batch.state),
                    "successfulRequestCount": batch.success_count,
                    "failedRequestCount": batch.failure_count,
                },
            )
            if self.on_finished is not None:
                await self.on_finished(batch)
