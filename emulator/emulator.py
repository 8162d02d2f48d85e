"""The composition root: one `Emulator` owns the store, clock, fault book, journal, responder, runner and services.

No module-level state: a test can run many emulators in one process, each with its own settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from emulator import __version__
from emulator.batches.runner import JobRunner
from emulator.batches.service import BatchesService
from emulator.clock import VirtualClock, parse_time, rfc3339
from emulator.config import ConfigError, Settings, scenario_settings
from emulator.errors import InvalidArgument
from emulator.faults.book import FaultBook, error_rate_rule
from emulator.faults.rules import FaultPolicy, Span
from emulator.files.service import FilesService
from emulator.generation.catalogue import DEFAULT_CATALOGUE, Catalogue, load_catalogue
from emulator.observability.journal import Journal
from emulator.responder import Responder, build_responder
from emulator.storage.blobs import BlobStore
from emulator.storage.port import Store
from emulator.storage.sqlite import SqliteStore

DATABASE_FILE = "emulator.sqlite3"
CLOCK_KEY = "clock"


def clock_for(settings: Settings) -> VirtualClock:
    """A fresh clock as the settings describe it."""
    clock = VirtualClock(scale=0.0 if settings.clock == "manual" else settings.time_scale)
    if settings.clock_start is not None:
        clock.set(parse_time(settings.clock_start))
    return clock


class Emulator:
    """Build with `Emulator(settings)`, then use `async with emulator.running(): ...`.

    `store`, `files`, `batches` and `runner` exist only while running.
    """

    def __init__(self, settings: Settings, *, responder: Responder | None = None) -> None:
        self.settings = settings
        self.clock = clock_for(settings)
        self.faults = FaultBook(settings.seed, settings.faults, settings.request_error_rate)
        self.journal = Journal()
        self.responder: Responder = responder or build_responder(settings)
        self.catalogue = _catalogue(settings)
        self.data_dir: Path | None = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Emulator]:
        """Open storage, restore the clock, start the background runner; undo all of it on exit."""
        temp = None
        if self.settings.data_dir is None:
            temp = tempfile.mkdtemp(prefix="gemini-emulator-")
            data_dir = Path(temp)
        else:
            data_dir = self.settings.data_dir
            data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        store: Store = await SqliteStore.open(data_dir / DATABASE_FILE)
        blobs = BlobStore(data_dir / "blobs")
        self.store = store
        self.blobs = blobs
        await self._restore_clock()
        self.runner = JobRunner(store, blobs, self.clock, self.responder, self.settings, self.faults)
        self.files = FilesService(store, blobs, self.clock, self.settings)
        self.batches = BatchesService(store, blobs, self.clock, self.runner, self.faults, self.settings)
        task = asyncio.create_task(self.runner.run_forever(), name="gemini-emulator-runner")
        try:
            if self.settings.seed_file is not None:
                from emulator.control.seeding import load_seed_file

                await load_seed_file(self, self.settings.seed_file)
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self.runner.close()
            await store.close()
            if temp is not None:
                shutil.rmtree(temp, ignore_errors=True)

    # -- the clock survives restarts: an emulator advanced a day stays a day ahead --------------
    async def _restore_clock(self) -> None:
        saved: dict[str, Any] | None = await self.store.get_meta(CLOCK_KEY)
        if not saved:
            await self.save_clock()
            return
        shared = int(saved["now_us"])
        if self.clock.scale == 0 or shared > self.clock.now_us():
            self.clock.set(shared)
        self.clock.offsets = {str(k): int(v) for k, v in saved.get("offsets", {}).items()}
        self.clock.frozen = {str(k): int(v) for k, v in saved.get("frozen", {}).items()}

    async def save_clock(self) -> None:
        state = {"now_us": self.clock.now_us(), "offsets": self.clock.offsets, "frozen": self.clock.frozen}
        await self.store.set_meta(CLOCK_KEY, state)

    async def reset(self, tenant: str | None = None) -> None:
        """Forget a tenant's state (or everything): files, batches, faults, journal, its clock offset.
        The clock goes back to its configured start (its own offset, for a tenant)."""
        for blob in await self.store.reset(tenant):
            await asyncio.to_thread(self.blobs.delete, blob)
        self.faults.reset(tenant)
        self.journal.reset(tenant)
        if tenant is None:
            reset_rules = getattr(self.responder, "reset", None)
            if callable(reset_rules):
                reset_rules()  # scripted answers back to the --responses file's
            fresh = clock_for(self.settings)
            self.clock.scale, self.clock.base_us, self.clock.real_base_us = (
                fresh.scale,
                fresh.base_us,
                fresh.real_base_us,
            )
        self.clock.reset(tenant)
        await self.save_clock()
        self.runner.wake()

    # -- run-time configuration -----------------------------------------------------------------
    def reconfigure(self, changes: dict[str, Any], tenant: str | None = None) -> None:
        """Apply scenario-format changes (latency, limits, request_error_rate, faults) while running.
        Batches keep the timing they were created with; new batches get the new one. With a tenant,
        the changes (latency, error rate, faults, clock mode) apply to that API key alone."""
        if tenant is not None:
            self._reconfigure_tenant(changes, tenant)
            return
        try:
            values = scenario_settings(changes)
            faults = values.pop("faults", None)
            unknown = set(values) - RUNTIME_FIELDS
            if unknown:
                raise ConfigError(f"{sorted(unknown)[0]} can only be set at start-up.")
            settings = self.settings.replace(**values)
        except ConfigError as exc:
            raise InvalidArgument(str(exc)) from None
        self.settings = settings
        for part in (self.files, self.batches, self.runner):
            part.use(settings)
        if "request_error_rate" in values:
            self.faults.set_error_rate(settings.request_error_rate)
        if faults is not None:
            self.faults.add(faults)

    def _reconfigure_tenant(self, changes: dict[str, Any], tenant: str) -> None:
        try:
            values = scenario_settings(changes)
        except ConfigError as exc:
            raise InvalidArgument(str(exc)) from None
        faults: FaultPolicy = values.pop("faults", FaultPolicy())
        clock_mode, clock_start = values.pop("clock", None), values.pop("clock_start", None)
        error_rate = values.pop("request_error_rate", None)
        unknown = set(values) - TENANT_TIMING
        if unknown:
            raise InvalidArgument(f"{sorted(unknown)[0]} cannot be set for one API key; set it for the emulator.")
        self.faults.set_tenant_timing(tenant, {k: Span.parse(v, k) for k, v in values.items()})
        mine = FaultPolicy(
            tuple(dataclasses.replace(r, id=self.faults.new_rule_id("http"), api_key=tenant) for r in faults.http),
            tuple(dataclasses.replace(r, id=self.faults.new_rule_id("job"), api_key=tenant) for r in faults.job),
            tuple(dataclasses.replace(r, id=self.faults.new_rule_id("line"), api_key=tenant) for r in faults.line),
            tuple(dataclasses.replace(r, id=self.faults.new_rule_id("quirk"), api_key=tenant) for r in faults.quirk),
        )
        if error_rate is not None:
            rule = dataclasses.replace(
                error_rate_rule(float(error_rate)), id=f"request-error-rate@{tenant}", api_key=tenant
            )
            self.faults.remove(rule.id)
            mine = mine.adding(FaultPolicy(line=(rule,)))
        self.faults.add(mine)
        if clock_mode is not None:
            if clock_mode not in ("manual", "real"):
                raise InvalidArgument(f"clock must be manual or real, not {clock_mode!r}.")
            self.clock.freeze(tenant, manual=clock_mode == "manual")
        if clock_start is not None:
            self.clock.set(parse_time(str(clock_start)), tenant)

    def effective_config(self) -> dict[str, Any]:
        s = self.settings
        return {
            "version": __version__,
            "seed": s.seed,
            "dataDir": str(self.data_dir) if s.data_dir is not None else None,
            "ephemeral": s.data_dir is None,
            "clock": {"mode": self.clock.mode, "timeScale": self.clock.scale, "now": rfc3339(self.clock.now_us())},
            "latency": {
                "queueDelay": str(s.queue_delay),
                "requestLatency": str(s.request_latency),
                "batchOverhead": str(s.batch_overhead),
                "http": s.http_latency,
            },
            "limits": {
                "maxActiveBatches": s.max_active_batches,
                "maxFileBytes": s.max_file_bytes,
                "maxStorageBytes": s.max_storage_bytes,
                "maxInlineBytes": s.max_inline_bytes,
                "fileRetention": s.file_retention,
                "batchExpiry": s.batch_expiry,
            },
            "requestErrorRate": s.request_error_rate,
            "faults": self.faults.policy.to_wire(),
            "responder": s.responder,
        }


TENANT_TIMING = frozenset({"queue_delay", "request_latency", "batch_overhead"})
RUNTIME_FIELDS = frozenset(
    {
        "queue_delay",
        "request_latency",
        "batch_overhead",
        "http_latency",
        "request_error_rate",
        "max_active_batches",
        "max_file_bytes",
        "max_storage_bytes",
        "max_inline_bytes",
        "file_retention",
        "batch_expiry",
    }
)


def _catalogue(settings: Settings) -> Catalogue:
    if settings.models is None:
        return DEFAULT_CATALOGUE
    try:
        return load_catalogue(settings.models)
    except (OSError, ValueError, InvalidArgument) as exc:
        message = exc.message if isinstance(exc, InvalidArgument) else str(exc)
        raise ConfigError(f"models: {message}") from None
