"""Batch Mode: create, get, list, cancel and delete batches, per tenant (API key)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from emulator.batches import machine, quirks
from emulator.batches.lines import model_name
from emulator.batches.models import STUCK_FATE, Batch, BatchState, BatchView, CreateBatch, Fate, Outcome, QuirkName
from emulator.batches.pipeline import count_requests
from emulator.batches.runner import JobRunner
from emulator.clock import MICROS, VirtualClock
from emulator.config import Settings
from emulator.errors import (
    Cancelled,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    file_not_found,
)
from emulator.faults.book import FaultBook, fate_of
from emulator.faults.rules import JOB_TIMING
from emulator.files.models import file_id_from_name
from emulator.ids import derive_rng, resource_id
from emulator.paging import Page, paginate
from emulator.storage.blobs import BlobStore
from emulator.storage.port import Store

if TYPE_CHECKING:
    from emulator.quotas import Held, ModelUsage, QuotaBook

BATCH_ID_LENGTH = 24


class BatchesService:
    def __init__(
        self,
        store: Store,
        blobs: BlobStore,
        clock: VirtualClock,
        runner: JobRunner,
        faults: FaultBook,
        settings: Settings,
    ) -> None:
        self._quotas = _configured_quotas(settings)  # None: no tier, no limits (`quotas` makes one if asked)
        self._store = store
        self._blobs = blobs
        self._clock = clock
        self._runner = runner
        self._faults = faults
        self._settings = settings

    @property
    def quotas(self) -> QuotaBook:
        """The quota book: made at start-up with a tier or limits configured, else an empty one made on
        first use (limits set through the control plane, a look at the quotas, a refusal to count),
        the quota modules imported then."""
        if self._quotas is None:
            from emulator.quotas import QuotaBook

            self._quotas = QuotaBook()
        return self._quotas

    @property
    def quotas_made(self) -> QuotaBook | None:
        """The quota book if there is one yet (None: no tier and no limit, nothing refused or looked at)."""
        return self._quotas

    def use(self, settings: Settings) -> None:
        """Take new settings (the control plane changed latency or limits)."""
        self._settings = settings

    async def create(self, tenant: str, command: CreateBatch, *, batch_id: str | None = None) -> BatchView:
        admitted: list[str] = []  # a batch the quotas admitted holds its tokens until stored, or not created
        try:
            return await self._create(tenant, command, batch_id, admitted)
        finally:
            for admitted_id in admitted:
                self.quotas.settle(admitted_id)

    async def _create(self, tenant: str, command: CreateBatch, batch_id: str | None, admitted: list[str]) -> BatchView:
        active = await self._store.count_active_batches(tenant)
        model = model_name(command.model)
        if active >= self._settings.max_active_batches:
            raise self.quotas.refused("active_batches", model)  # the real quota 429 (docs/quotas.md)
        if batch_id is None:
            n = await self._store.next_counter("batch")
            batch_id = resource_id(self._settings.seed, "batch", n, BATCH_ID_LENGTH)
        name = f"batches/{batch_id}"
        batch_quirks = self._faults.quirks_for(
            display_name=command.display_name, model=model, batch=name, tenant=tenant
        )
        if quirks.refuses_create(batch_quirks, seed=self._settings.seed, batch_id=batch_id):
            raise self.quotas.refused("spurious", model)
        now = self._clock.now_us(tenant)
        input_blob = f"batches/{batch_id}.input.jsonl"
        if command.input_file is not None:
            file_id = file_id_from_name(command.input_file)
            file = await self._store.get_file(tenant, file_id, alive_at=now)
            if file is None:
                raise file_not_found(file_id)
            if not file.is_jsonl:
                raise InvalidArgument(
                    f"Batch input file {file.name} has MIME type {file.mime_type}; a batch reads "
                    "JSON Lines: upload it with mime_type 'jsonl' or 'application/jsonl'."
                )
            await asyncio.to_thread(self._blobs.link, file.blob, input_blob)
            input_file: str | None = file.name
        else:
            lines = command.inline_lines or []
            size = sum(len(line) for line in lines)
            if size > self._settings.max_inline_bytes:
                raise InvalidArgument(
                    f"The inline batch is {size} bytes; inline requests are limited to "
                    f"{self._settings.max_inline_bytes} bytes. Upload a JSONL file instead."
                )
            await asyncio.to_thread(self._blobs.write, input_blob, b"".join(line + b"\n" for line in lines))
            input_file = None
        count = await asyncio.to_thread(count_requests, self._blobs.path(input_blob))
        limit = self._settings.max_batch_requests
        if limit is not None and count > limit:
            self._blobs.delete(input_blob)
            raise InvalidArgument(f"The batch has {count} requests; at most {limit} are allowed in one batch.")
        if count == 0:
            self._blobs.delete(input_blob)
            source = input_file or "inputConfig.requests"
            raise InvalidArgument(f"The batch has no requests: {source} is empty.")
        if (book := self._quotas) is not None and book.enabled:
            from emulator.quotas import Held  # only with quotas on: not at start-up
            from emulator.quotas.tokens import file_tokens

            tokens = await asyncio.to_thread(file_tokens, self._blobs.path(input_blob))
            try:
                book.admit_batch(
                    Held(batch_id, tenant, model.removeprefix("models/"), tokens), await self.holding(tenant), now
                )
            except ResourceExhausted:
                self._blobs.delete(input_blob)
                raise
            admitted.append(batch_id)
        output_blob = f"files/batch-{batch_id}" if input_file else f"batches/{batch_id}.output.jsonl"
        self._blobs.write(output_blob, b"")
        timing = derive_rng(self._settings.seed, "timing", batch_id)
        spans = self._faults.timing(tenant, {name: self._settings.span(name) for name in JOB_TIMING})
        rule = self._faults.job_rule(display_name=command.display_name, model=model, batch=name, tenant=tenant)
        if rule is not None:
            spans = {**spans, **rule.timing}  # a job rule may give matching batches their own latency
        batch = Batch(
            id=batch_id,
            tenant=tenant,
            kind=command.kind,
            model=model,
            display_name=command.display_name,
            state=BatchState.PENDING,
            input_file=input_file,
            input_blob=input_blob,
            output_blob=output_blob,
            request_count=count,
            create_us=now,
            update_us=now,
            priority=command.priority,
            webhook=command.webhook,
            extra=command.extra,
            queue_us=_us(spans["queue_delay"].pick(timing.random())),
            latency_us=_us(spans["request_latency"].pick(timing.random())),
            overhead_us=_us(spans["batch_overhead"].pick(timing.random())),
            fate=fate_of(rule),
            quirks=batch_quirks,
        )
        if batch.fate is None and quirks.starts_stuck(batch.quirks or []):
            batch.fate = STUCK_FATE
        await self._store.insert_batch(batch)
        self._runner.wake()
        return BatchView(batch)

    async def holding(self, tenant: str | None = None) -> list[Held]:
        """The batches holding enqueued tokens (one key's, or everyone's): the unfinished ones, and the
        ended ones the `enqueued-tokens-linger` quirk keeps; each one's tokens are worked out once."""
        from emulator.quotas import Held, holds_tokens  # only with quotas on or asked: not at start-up
        from emulator.quotas.tokens import file_tokens

        if any(rule.name is QuirkName.ENQUEUED_TOKENS_LINGER for rule in self._faults.policy.quirk):
            batches = await self._store.all_batches(tenant)
        else:
            batches = await self._store.unfinished_batches()
        held = []
        for batch in batches:
            if (tenant is not None and batch.tenant != tenant) or not holds_tokens(
                batch, self._clock.now_us(batch.tenant)
            ):
                continue
            tokens = self.quotas.tokens_of(batch.id)
            if tokens is None:  # not worked out since the start
                path = self._blobs.path(batch.input_blob)
                tokens = await asyncio.to_thread(file_tokens, path) if path.exists() else 0
                self.quotas.remember(batch.id, tokens)
            held.append(Held(batch.id, batch.tenant, batch.model.removeprefix("models/"), tokens))
        return held

    async def quota_usage(self, tenant: str | None = None, models: tuple[str, ...] = ()) -> list[ModelUsage]:
        """Usage and limits per key and model (one key's, or every key's that has any)."""
        holding = await self.holding(tenant)
        if tenant is not None:
            tenants = {tenant}
        else:
            tenants = {h.tenant for h in holding} | self.quotas.tenants(self._clock.now_us())
        return [
            usage
            for who in sorted(tenants)
            for usage in self.quotas.usage(who, holding, self._clock.now_us(who), models)
        ]

    async def get(self, tenant: str, name: str) -> BatchView:
        return await self._view(await self._load(tenant, name), poll=True)

    async def list(self, tenant: str, page_size: int, token: int | None) -> Page[BatchView]:
        """The real list omits inline results (`metadata.output` is absent for an inline batch; the
        cookbook's saved list shows no `dest` for one): clients call `get` for them."""
        page = paginate(await self._store.list_batches(tenant, token, page_size + 1), page_size)
        return Page([await self._view(batch, inline=False) for batch in page.items], page.next_position)

    async def cancel(self, tenant: str, name: str) -> None:
        """PENDING or RUNNING → CANCELLED. Cancelling a finished batch changes nothing (lenient: the
        real service's answer there is not documented)."""
        while True:
            batch = await self._load(tenant, name)
            if batch.tenant != tenant:  # a shared (seeded) batch: every key reads it, none changes it
                raise _batch_not_found(name)
            if batch.state.terminal:
                return
            if quirks.swallows_cancel(batch):  # shown as CANCELLED, but it goes on and finishes
                late = batch.quirk(QuirkName.LATE_COMPLETION_AFTER_CANCEL)
                assert late is not None
                late.setdefault("cancelled_us", self._clock.now_us(tenant))
                await self._store.save_quirks(batch)
                return
            previous = batch.state
            machine.transition(batch, BatchState.CANCELLED, self._clock.now_us(tenant))
            error = Cancelled(f"Batch {batch.name} was cancelled.").status()
            if await self._store.mark_terminal(batch, previous, error):
                self._runner.wake()
                return

    async def delete(self, tenant: str, name: str) -> None:
        batch = await self._store.delete_batch(tenant, _batch_id(name))
        if batch is None:
            raise _batch_not_found(name)
        self._blobs.delete(batch.input_blob)
        if batch.output_file is None:
            self._blobs.delete(batch.output_blob)
        self._runner.wake()

    async def force(self, name: str, state: BatchState) -> BatchView:
        """Make a batch reach `state` now (the control plane's override; any API key's batch).
        SUCCEEDED answers every remaining line first; FAILED, EXPIRED and CANCELLED strike at once."""
        batch = await self._store.find_batch(_batch_id(name))
        if batch is None:
            raise _batch_not_found(name)
        if batch.state.terminal:
            if batch.state is state:
                return await self._view(batch)
            raise FailedPrecondition(f"Batch {batch.name} is already {batch.state}; it cannot become {state}.")
        expected = batch.state
        batch.queue_us = 0
        if state is BatchState.SUCCEEDED:
            batch.latency_us = batch.overhead_us = 0
            batch.fate = None
        elif state is BatchState.RUNNING:
            batch.fate = Fate(Outcome.HANG, 1.0, rule="forced")
        elif state in (BatchState.FAILED, BatchState.EXPIRED, BatchState.CANCELLED):
            done = batch.lines_done / batch.request_count if batch.request_count else 0.0
            batch.latency_us = 0
            outcome = Outcome(state.removeprefix("BATCH_STATE_"))
            batch.fate = Fate(outcome, done, message=f"The batch was forced to {outcome}.", rule="forced")
        else:
            raise InvalidArgument(f"A batch cannot be forced back to {state}.")
        if not await self._store.save_batch(batch, expected):
            return await self.force(name, state)  # the runner moved it meanwhile: decide again
        await self._runner.settle()
        found = await self._store.find_batch(batch.id)
        return await self._view(found or batch)

    async def _load(self, tenant: str, name: str) -> Batch:
        batch = await self._store.get_batch(tenant, _batch_id(name))
        if batch is None:
            raise _batch_not_found(name)
        return batch

    async def _view(self, batch: Batch, *, poll: bool = False, inline: bool = True) -> BatchView:
        """The batch as a client sees it: its inline results read back (unless `inline` is False),
        production quirks applied."""
        data = None
        wants_inline = batch.inline or quirks.inline_output_instead_of_file(batch)
        if inline and wants_inline and batch.finalized and batch.lines_done:
            try:
                data = (await asyncio.to_thread(self._blobs.path(batch.output_blob).read_bytes))[: batch.output_offset]
            except FileNotFoundError:
                data = None
        if not batch.quirks:
            return BatchView(batch, data)
        polls = self._faults.count_poll(batch.name) if poll and batch.state.terminal else 0
        now = self._clock.now_us(batch.tenant)
        shown, data = quirks.shown(batch, data, now_us=now, polls=polls, seed=self._settings.seed)
        return BatchView(shown, data)


def _configured_quotas(settings: Settings) -> QuotaBook | None:
    """The quotas the settings configure (a tier, limits), or None without: then no quota module is
    imported until something needs one (docs/quotas.md: off by default, nothing changes)."""
    if settings.tier is None and not settings.quotas:
        return None
    from emulator.quotas import QuotaBook, parse_overrides

    return QuotaBook(settings.tier, parse_overrides(settings.quotas))


def _us(seconds: float) -> int:
    return round(seconds * MICROS)


def _batch_id(name: str) -> str:
    batch_id = name.removeprefix("batches/")
    if not batch_id or "/" in batch_id:
        raise InvalidArgument(f"Invalid batch name {name!r}: expected batches/<id>.")
    return batch_id


def _batch_not_found(name: str) -> NotFound:
    return NotFound(f"Batch batches/{name.removeprefix('batches/')} was not found.")
