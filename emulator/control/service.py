"""The control plane's service: every operation `/_emulator/*` offers, in one place.

Reset, run-time configuration (for everyone or one API key), the clock, forced batch states, fault
rules, the request journal, waiting for idle, scripted answers, seeding. No HTTP here: the routes
parse a request, make one call, render its answer; the dashboard reads through the same calls.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator import __version__
from emulator.batches.models import BatchState, BatchView
from emulator.batches.runner import JobRunner
from emulator.batches.service import BatchesService
from emulator.clock import VirtualClock, parse_time, rfc3339
from emulator.config import LIVE, PER_KEY, ConfigError, Settings, live_view, scenario_settings
from emulator.control.models import LATEST_US, MODE_NEEDS_KEY, ClockChange, ClockView, JournalQuery
from emulator.errors import InvalidArgument, NotFound
from emulator.faults.book import FaultBook, error_rate_rule
from emulator.faults.rules import FaultPolicy, Span
from emulator.files.service import FilesService
from emulator.ids import tenant_for_key
from emulator.observability.journal import Journal, JournalEntry
from emulator.responder import Responder
from emulator.storage.blobs import BlobStore
from emulator.storage.port import Store

if TYPE_CHECKING:
    from emulator.quotas import QuotaReport
    from emulator.quotas.wire import QuotaChange
    from emulator.webhooks.service import WebhookService

CLOCK_KEY = "clock"


def clock_for(settings: Settings) -> VirtualClock:
    """A fresh clock as the settings describe it."""
    clock = VirtualClock(scale=0.0 if settings.clock == "manual" else settings.time_scale)
    if settings.clock_start is not None:
        clock.set(parse_time(settings.clock_start))
    return clock


# -- the clock survives restarts: an emulator advanced a day stays a day ahead ------------------
async def restore_clock(store: Store, clock: VirtualClock) -> None:
    saved: dict[str, Any] | None = await store.get_meta(CLOCK_KEY)
    if not saved:
        await save_clock(store, clock)
        return
    shared = int(saved["now_us"])
    if clock.scale == 0 or shared > clock.now_us():
        clock.set(shared)
    clock.offsets = {str(k): int(v) for k, v in saved.get("offsets", {}).items()}
    clock.frozen = {str(k): int(v) for k, v in saved.get("frozen", {}).items()}


async def save_clock(store: Store, clock: VirtualClock) -> None:
    state = {"now_us": clock.now_us(), "offsets": clock.offsets, "frozen": clock.frozen}
    await store.set_meta(CLOCK_KEY, state)


@dataclasses.dataclass(kw_only=True, eq=False, repr=False)
class ControlService:
    """What the control plane does to a running emulator. `publish` hands changed settings to every
    part that reads them (the composition root knows which)."""

    settings: Settings
    data_dir: Path
    clock: VirtualClock
    faults: FaultBook
    journal: Journal
    responder: Responder
    store: Store
    blobs: BlobStore
    files: FilesService
    batches: BatchesService
    runner: JobRunner
    webhooks: Callable[[], WebhookService | None]  # the webhook service, if made yet
    publish: Callable[[Settings], None]

    async def health(self) -> dict[str, str]:
        """Serving: storage is open and the runner started."""
        return {"status": "ok", "version": __version__}

    async def wait_idle(self, timeout: float) -> bool:
        """Whether every batch ran out of work within `timeout` seconds."""
        try:
            await asyncio.wait_for(self.runner.wait_idle(), timeout=timeout)
        except TimeoutError:
            return False
        return True

    async def reset(self, tenant: str | None = None) -> None:
        """Forget a tenant's state (or everything): files, batches, faults, journal, its clock offset.
        The clock goes back to its configured start (its own offset, for a tenant)."""
        for blob in await self.store.reset(tenant):
            await asyncio.to_thread(self.blobs.delete, blob)
        self.faults.reset(tenant)
        self.journal.reset(tenant)
        if (quotas := self.batches.quotas_made) is not None:  # else there are none to forget
            quotas.reset(tenant)
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
        await save_clock(self.store, self.clock)
        if (webhooks := self.webhooks()) is not None:  # else there is none to forget
            await webhooks.reset(tenant)
        self.runner.wake()

    # -- the clock ------------------------------------------------------------------------------
    async def clock_view(self, tenant: str | None = None) -> ClockView:
        clock = self.clock
        return ClockView(tenant, clock.now_us(tenant), clock.tenant_mode(tenant), clock.scale)

    async def own_clocks(self) -> list[ClockView]:
        """The API keys with a clock of their own (an offset, or a manual clock), by key."""
        return [await self.clock_view(tenant) for tenant in sorted(set(self.clock.offsets) | set(self.clock.frozen))]

    async def move_clock(self, change: ClockChange, tenant: str | None = None) -> ClockView:
        """Switch the mode, move forward, jump; save the clock; return once every batch due by the new
        time has got there."""
        if change.by_seconds is not None and self.clock.now_us(tenant) + change.by_seconds * 1e6 > LATEST_US:
            raise InvalidArgument("That would move the clock past the year 9999.")
        if change.mode is not None:
            if change.mode not in ("manual", "real") or tenant is None:
                raise InvalidArgument(MODE_NEEDS_KEY)
            self.clock.freeze(tenant, manual=change.mode == "manual")
        if change.by_seconds is not None:
            self.clock.advance(change.by_seconds, tenant)
        if change.to_us is not None:
            self.clock.set(change.to_us, tenant)
        await save_clock(self.store, self.clock)
        await self.runner.settle()
        if (webhooks := self.webhooks()) is not None:
            webhooks.dispatcher.wake()  # deliveries (and retries) due by the new time go now
        return await self.clock_view(tenant)

    # -- batches --------------------------------------------------------------------------------
    async def force(self, batch_id: str, state: BatchState) -> BatchView:
        """Make a batch (of any API key) reach `state` now."""
        return await self.batches.force(batch_id, state)

    # -- quotas ---------------------------------------------------------------------------------
    async def quotas(self, tenant: str | None = None, models: tuple[str, ...] = ()) -> QuotaReport:
        """The limits in force and the usage per key and model (one key's, or every key's)."""
        usage = await self.batches.quota_usage(tenant, models)
        return self.batches.quotas.report(usage, tenant)

    async def set_quotas(self, change: QuotaChange, tenant: str | None = None) -> QuotaReport:
        """Choose the tier (for everyone) and add single limits (for everyone or one key)."""
        book = self.batches.quotas
        if change.tier_given:
            book.set_tier(change.tier)
        book.add(change.overrides, tenant)
        return await self.quotas(tenant)

    async def reset_quotas(self, tenant: str | None = None) -> QuotaReport:
        """Back to the start-up tier and limits, counts forgotten (one key's own limits and counts)."""
        self.batches.quotas.reset(tenant)
        return await self.quotas(tenant)

    # -- fault rules ----------------------------------------------------------------------------
    async def fault_rules(self) -> FaultPolicy:
        return self.faults.policy

    async def add_faults(self, tables: dict[str, Any]) -> tuple[FaultPolicy, FaultPolicy]:
        """Add rules (`{"http": [...], "job": [...], ...}`; a rule with `apiKey` is that key's only);
        returns the rules added and all the rules now active."""
        from emulator.faults.parsing import parse_faults  # the parsers load only when rules are given

        def with_id(kind: str, rule: Any) -> Any:  # not a table: left for parse_faults to refuse
            return dict(rule, id=rule.get("id") or self.faults.new_rule_id(kind)) if isinstance(rule, dict) else rule

        raw = {k: [with_id(k, rule) for rule in v] if isinstance(v, list) else v for k, v in tables.items()}
        policy = parse_faults(raw, tenant_for_key)
        self.faults.add(policy)
        return policy, self.faults.policy

    async def remove_fault(self, rule_id: str) -> None:
        if not self.faults.remove(rule_id):
            raise NotFound(f"No fault rule {rule_id!r}.")

    async def clear_faults(self, tenant: str | None = None) -> None:
        self.faults.clear(tenant)

    # -- the request journal --------------------------------------------------------------------
    async def journal_entries(self, query: JournalQuery) -> list[JournalEntry]:
        """Oldest first."""
        return list(
            self.journal.entries(
                operation=query.operation, tenant=query.tenant, status=query.status, since_seq=query.since
            )
        )

    async def reset_journal(self, tenant: str | None = None) -> None:
        self.journal.reset(tenant)

    # -- scripted answers -----------------------------------------------------------------------
    async def set_responses(self, rules: list[Any]) -> int:
        """Replace the scripted-answer rules (all or nothing); returns how many are in force."""
        self.responder.configure(rules)
        return len(rules)

    async def responses(self) -> list[Any]:
        rules = getattr(self.responder, "rules", [])
        return list(rules() if callable(rules) else rules)

    # -- seeding (imported on first use: not at start-up) ---------------------------------------
    async def import_state(self, document: dict[str, Any]) -> dict[str, list[str]]:
        from emulator.control import seeding

        return await seeding.import_state(self, document)

    async def export_state(self, tenant: str | None = None) -> dict[str, Any]:
        from emulator.control import seeding

        return await seeding.export_state(self, tenant)

    async def load_seed_file(self, path: Path) -> None:
        from emulator.control import seeding

        await seeding.load_seed_file(self, path)

    # -- run-time configuration -----------------------------------------------------------------
    async def reconfigure(self, changes: dict[str, Any], tenant: str | None = None) -> dict[str, Any]:
        """Apply scenario-format changes (latency, limits, request_error_rate, faults) while running;
        returns the configuration now in effect. Batches keep the timing they were created with; new
        batches get the new one. With a tenant, the changes (latency, error rate, faults, clock mode)
        apply to that API key alone."""
        if tenant is not None:
            self._reconfigure_tenant(changes, tenant)
            return await self.effective_config()
        try:
            values = scenario_settings(changes)
            faults = values.pop("faults", None)
            unknown = set(values) - LIVE
            if unknown:
                raise ConfigError(f"{sorted(unknown)[0]} can only be set at start-up.")
            settings = self.settings.replace(**values)
        except ConfigError as exc:
            raise InvalidArgument(str(exc)) from None
        self.settings = settings
        self.publish(settings)
        if "request_error_rate" in values:
            self.faults.set_error_rate(settings.request_error_rate)
        if faults is not None:
            self.faults.add(faults)
        return await self.effective_config()

    def _reconfigure_tenant(self, changes: dict[str, Any], tenant: str) -> None:
        try:
            values = scenario_settings(changes)
        except ConfigError as exc:
            raise InvalidArgument(str(exc)) from None
        faults: FaultPolicy = values.pop("faults", FaultPolicy())
        clock_mode, clock_start = values.pop("clock", None), values.pop("clock_start", None)
        error_rate = values.pop("request_error_rate", None)
        unknown = set(values) - PER_KEY  # what is left of them: the timings
        if unknown:
            raise InvalidArgument(f"{sorted(unknown)[0]} cannot be set for one API key; set it for the emulator.")
        self.faults.set_tenant_timing(tenant, {k: Span.parse(v, k) for k, v in values.items()})
        mine = FaultPolicy(
            tuple(dataclasses.replace(r, id=self.faults.new_rule_id("http"), api_key=tenant) for r in faults.http),
            tuple(dataclasses.replace(r, id=self.faults.new_rule_id("job"), api_key=tenant) for r in faults.job),
            tuple(dataclasses.replace(r, id=self.faults.new_rule_id("line"), api_key=tenant) for r in faults.line),
            tuple(dataclasses.replace(r, id=self.faults.new_rule_id("quirk"), api_key=tenant) for r in faults.quirk),
            tuple(
                dataclasses.replace(r, id=self.faults.new_rule_id("webhook"), api_key=tenant) for r in faults.webhook
            ),
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

    async def effective_config(self) -> dict[str, Any]:
        s = self.settings
        return {
            "version": __version__,
            "seed": s.seed,
            "dataDir": str(self.data_dir) if s.data_dir is not None else None,
            "ephemeral": s.data_dir is None,
            "clock": {"mode": self.clock.mode, "timeScale": self.clock.scale, "now": rfc3339(self.clock.now_us())},
            **live_view(s),  # latency, limits, requestErrorRate
            "faults": self.faults.policy.to_wire(),
            "responder": s.responder,
        }
