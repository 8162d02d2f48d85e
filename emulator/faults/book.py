"""The fault book: the active fault rules, their call counters and per-key timing overrides.
Owned by the `Emulator`, changed through the control plane, cleared by reset.
"""

from __future__ import annotations

import collections
from typing import Any

from emulator.batches.models import Fate, Outcome
from emulator.errors import Code
from emulator.faults.rules import FaultPolicy, HttpFault, JobFault, LineFault, Span
from emulator.ids import derive_rng


def error_rate_rule(rate: float) -> LineFault:
    """`--request-error-rate P` as the line rule it is shorthand for."""
    return LineFault(id="request-error-rate", rate=rate, code=Code.INTERNAL, message="Internal error encountered.")


class FaultBook:
    """The active fault rules, their call counters and per-key timing: what the running emulator consults."""

    def __init__(self, seed: int, faults: FaultPolicy, request_error_rate: float) -> None:
        self.seed = seed
        self._initial = faults
        if request_error_rate > 0:
            self._initial = faults.adding(FaultPolicy(line=(error_rate_rule(request_error_rate),)))
        self.policy = self._initial
        self._counters: collections.Counter[tuple[str, str]] = collections.Counter()
        self._next_rule = 1
        self._timing: dict[str, dict[str, Span]] = {}  # per-tenant latency overrides

    # -- rules ---------------------------------------------------------------------------------
    def new_rule_id(self, kind: str) -> str:
        while True:
            rule_id = f"{kind}-r{self._next_rule}"
            self._next_rule += 1
            if rule_id not in self.policy.rule_ids():
                return rule_id

    def add(self, policy: FaultPolicy) -> None:
        clash = policy.rule_ids() & self.policy.rule_ids()
        if clash:
            self.policy = self.policy.without(sorted(clash)[0])
        self.policy = self.policy.adding(policy)

    def remove(self, rule_id: str) -> bool:
        before = self.policy.rule_ids()
        self.policy = self.policy.without(rule_id)
        return rule_id in before

    def clear(self, tenant: str | None = None) -> None:
        """Forget the rules (a tenant's own, or all) and their counters; back to the configured ones."""
        if tenant is None:
            self.policy = self._initial
            self._counters.clear()
            return
        self.policy = self.policy.keeping(lambda rule: rule.api_key != tenant)
        for counter_key in [k for k in self._counters if k[1] == tenant]:
            del self._counters[counter_key]

    def set_error_rate(self, rate: float) -> None:
        """Replace the `--request-error-rate` rule (configured and active alike)."""
        rule = error_rate_rule(rate)
        self._initial = self._initial.without(rule.id)
        self.policy = self.policy.without(rule.id)
        if rate > 0:
            self._initial = self._initial.adding(FaultPolicy(line=(rule,)))
            self.policy = self.policy.adding(FaultPolicy(line=(rule,)))

    def reset(self, tenant: str | None = None) -> None:
        self.clear(tenant)
        if tenant is None:
            self._timing.clear()
        else:
            self._timing.pop(tenant, None)

    def set_tenant_timing(self, tenant: str, spans: dict[str, Span]) -> None:
        self._timing.setdefault(tenant, {}).update(spans)

    def timing(self, tenant: str, defaults: dict[str, Span]) -> dict[str, Span]:
        """queue_delay, request_latency and batch_overhead for a tenant's new batches."""
        return {**defaults, **self._timing.get(tenant, {})}

    # -- decisions -----------------------------------------------------------------------------
    def http_fault(self, operation: str, tenant: str) -> HttpFault | None:
        """The first HTTP rule that matches this call and fires on it (counting it either way)."""
        for rule in self.policy.http:
            if not rule.matches(operation, tenant):
                continue
            self._counters[(rule.id, tenant)] += 1
            call = self._counters[(rule.id, tenant)]
            draw = derive_rng(self.seed, "http", rule.id, tenant, str(call)).random()
            if rule.when.fires(call, draw):
                return rule
        return None

    def job_rule(self, *, display_name: str | None, model: str, batch: str, tenant: str) -> JobFault | None:
        """The job rule a new batch falls under (counting it against `next_n`), if any."""
        for rule in self.policy.job:
            if not rule.matches(display_name=display_name, model=model, batch=batch, tenant=tenant):
                continue
            if rule.next_n is not None:
                used = self._counters[(rule.id, tenant)]
                if used >= rule.next_n:
                    continue
                self._counters[(rule.id, tenant)] += 1
            return rule
        return None

    def quirks_for(self, *, display_name: str | None, model: str, batch: str, tenant: str) -> list[dict[str, Any]]:
        """The production quirks a new batch gets, recorded on it (name and parameters)."""
        return [
            {"name": rule.name, **rule.params}
            for rule in self.policy.quirk
            if rule.matches(display_name=display_name, model=model, batch=batch, tenant=tenant)
        ]

    def count(self, rule_id: str, tenant: str) -> int:
        """One more matching call of a rule for a tenant (webhook faults count their attempts here, so
        `clear` and `reset` start them again like the others); returns how many so far."""
        self._counters[(rule_id, tenant)] += 1
        return self._counters[(rule_id, tenant)]

    def count_poll(self, batch: str) -> int:
        """How many times a batch was read since it finished (for `succeeded-before-output`)."""
        self._counters[(batch, "polls")] += 1
        return self._counters[(batch, "polls")]

    def line_faults(self, tenant: str) -> tuple[LineFault, ...]:
        return tuple(rule for rule in self.policy.line if rule.api_key in (None, tenant))


_MESSAGES = {
    Outcome.FAILED: "The batch failed: an injected job fault.",
    Outcome.CANCELLED: "The batch was cancelled.",
    Outcome.EXPIRED: "The batch expired.",
    Outcome.HANG: "",
}


def fate_of(rule: JobFault | None) -> Fate | None:
    """What a job rule decides for a batch's end, recorded on the batch so restarts keep it."""
    if rule is None or rule.outcome is Outcome.NONE:
        return None
    return Fate(rule.outcome, rule.at, rule.code, rule.message or _MESSAGES[rule.outcome], rule.id)
