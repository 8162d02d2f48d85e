"""Fault rules and timing spans: pure data, parsed leniently from TOML/JSON, decided deterministically.

Three kinds of fault, each a list of rules (first match wins):
- `http`: answer an API operation with an error status, slowly, or not at all;
- `job`: make a batch end FAILED, EXPIRED or CANCELLED, or hang in RUNNING, at a chosen point;
- `line`: answer some requests of a batch with an error, a finish reason, or a blocked prompt.

Probabilities are decided with `derive_rng(seed, ...)` keyed by the rule and the call or line, never
with the global random module: the same seed and the same calls give the same faults.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from emulator.batches.models import Outcome, QuirkName
from emulator.casing import to_camel
from emulator.errors import Code, InvalidArgument


@dataclass(frozen=True, slots=True)
class Span:
    """A duration in seconds: fixed (`0.5`) or a range (`"0.1..2"`), drawn per batch from the seed."""

    low: float
    high: float

    @classmethod
    def parse(cls, value: object, what: str) -> Span:
        if isinstance(value, Span):
            return value
        if isinstance(value, bool):
            raise InvalidArgument(f"{what}: expected seconds, not {value!r}.")
        text = str(value).strip()
        low_text, _, high_text = text.partition("..")
        try:
            low = float(low_text)
            high = float(high_text) if high_text else low
        except ValueError:
            raise InvalidArgument(
                f"{what}: expected seconds such as 0.5 or a range such as 0.1..2, not {text!r}."
            ) from None
        if low < 0 or high < low:
            raise InvalidArgument(f"{what}: {text!r} must be >= 0, and a range low..high with low <= high.")
        return cls(low, high)

    def pick(self, fraction: float) -> float:
        """The value at `fraction` (0..1) of the span."""
        return self.low + (self.high - self.low) * fraction

    def __str__(self) -> str:
        return f"{self.low:g}" if self.low == self.high else f"{self.low:g}..{self.high:g}"


# --- rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class When:
    """Which matching calls a rule fires on. With several conditions, all must hold."""

    probability: float | None = None
    first_n: int | None = None
    every_nth: int | None = None
    after_n: int | None = None

    def fires(self, call: int, draw: float) -> bool:
        """`call` counts matching calls from 1; `draw` is a seeded uniform number in [0, 1)."""
        if self.first_n is not None and call > self.first_n:
            return False
        if self.after_n is not None and call <= self.after_n:
            return False
        if self.every_nth is not None and call % self.every_nth:
            return False
        return self.probability is None or draw < self.probability


@dataclass(frozen=True, slots=True)
class HttpFault:
    """Answer matching API calls (by operation glob and key) with an error, a delay or a drop."""

    id: str
    operation: str = "*"
    api_key: str | None = None  # a tenant fingerprint once parsed
    status: int | None = None
    code: Code | None = None
    message: str | None = None
    retry_after: float | None = None
    delay: float = 0.0
    drop: bool = False
    when: When = field(default_factory=When)

    def matches(self, operation: str, tenant: str) -> bool:
        return fnmatch.fnmatchcase(operation, self.operation) and self.api_key in (None, tenant)


# What a job rule may ask for (NONE: only the rule's timing applies); STUCK comes from a quirk only.
JOB_OUTCOMES = tuple(outcome for outcome in Outcome if outcome is not Outcome.STUCK)
JOB_TIMING = ("queue_delay", "request_latency", "batch_overhead")


@dataclass(frozen=True, slots=True)
class JobFault:
    """End matching new batches FAILED, EXPIRED or CANCELLED, or hang them, and/or time them."""

    id: str
    outcome: Outcome = Outcome.FAILED
    at: float = 0.0  # fraction of the lines answered first; 0 means before the batch starts
    display_name: str | None = None
    model: str | None = None
    batch: str | None = None
    next_n: int | None = None
    api_key: str | None = None
    code: Code = Code.INTERNAL
    message: str | None = None
    timing: dict[str, Span] = field(default_factory=dict)  # queue_delay / request_latency / batch_overhead

    def matches(self, *, display_name: str | None, model: str, batch: str, tenant: str) -> bool:
        return _matches_batch(self, display_name=display_name, model=model, batch=batch, tenant=tenant)


LINE_FINISH_REASONS = ("SAFETY", "MAX_TOKENS", "RECITATION", "OTHER", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII")


@dataclass(frozen=True, slots=True)
class LineFault:
    """Answer matching request lines (by key glob or prompt regex) with an error or finish reason."""

    id: str
    key: str | None = None
    prompt: str | None = None  # a regular expression searched in the request's text
    rate: float | None = None
    api_key: str | None = None
    code: Code = Code.INTERNAL
    message: str | None = None
    finish_reason: str | None = None
    blocked: str | None = None  # a promptFeedback.blockReason, e.g. SAFETY

    def matches(self, key: str | None, prompt_text: str) -> bool:
        """Whether the rule applies to a request (the tenant was checked when the rules were chosen)."""
        if self.key is not None and (key is None or not fnmatch.fnmatchcase(key, self.key)):
            return False
        return self.prompt is None or re.search(self.prompt, prompt_text) is not None


# The production behaviours of docs/wire.md §6, on demand (see docs/production.md), with their parameters.
QUIRKS: dict[QuirkName, dict[str, float]] = {
    QuirkName.STUCK_THEN_EXPIRED: {},
    QuirkName.INLINE_OUT_OF_ORDER: {"min_requests": 0},
    QuirkName.INLINE_METADATA_DROPPED: {},
    QuirkName.SUCCEEDED_BEFORE_OUTPUT: {"polls": 3, "seconds": 0},
    QuirkName.LATE_COMPLETION_AFTER_CANCEL: {},
    QuirkName.OUTPUT_DISCARDED_AFTER: {"seconds": 48 * 3600},
    QuirkName.SMALL_FILE_BATCH_INLINE_OUTPUT: {"max_requests": 10},
    QuirkName.SPURIOUS_429_ON_CREATE: {"rate": 1.0},  # docs/quotas.md
    QuirkName.ENQUEUED_TOKENS_LINGER: {"seconds": 900},
}


@dataclass(frozen=True, slots=True)
class QuirkRule:
    """A production quirk for the batches it matches (by model, display name, batch name, key)."""

    id: str
    name: QuirkName
    display_name: str | None = None
    model: str | None = None
    batch: str | None = None
    api_key: str | None = None
    params: dict[str, float] = field(default_factory=dict)

    def matches(self, *, display_name: str | None, model: str, batch: str, tenant: str) -> bool:
        return _matches_batch(self, display_name=display_name, model=model, batch=batch, tenant=tenant)


WEBHOOK_EFFECTS = ("duplicate", "delay", "reorder", "drop", "bad-signature", "stale-signature", "previous-secret")


@dataclass(frozen=True, slots=True)
class WebhookFault:
    """Make matching webhook delivery attempts (by event glob, URL glob, mode, key) misbehave: see
    docs/webhooks.md for each effect."""

    id: str
    effect: str
    event: str = "*"
    url: str = "*"
    mode: str | None = None  # static or dynamic
    seconds: float | None = None  # delay, reorder: how long; stale-signature: how old
    api_key: str | None = None
    when: When = field(default_factory=When)


Rule = HttpFault | JobFault | LineFault | QuirkRule | WebhookFault
KINDS = ("http", "job", "line", "quirk", "webhook")


@dataclass(frozen=True, slots=True)
class FaultPolicy:
    """Every rule in force, by kind, each list in the order rules are tried."""

    http: tuple[HttpFault, ...] = ()
    job: tuple[JobFault, ...] = ()
    line: tuple[LineFault, ...] = ()
    quirk: tuple[QuirkRule, ...] = ()
    webhook: tuple[WebhookFault, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.http or self.job or self.line or self.quirk or self.webhook)

    def _rules(self) -> tuple[Rule, ...]:
        return (*self.http, *self.job, *self.line, *self.quirk, *self.webhook)

    def adding(self, other: FaultPolicy) -> FaultPolicy:
        return FaultPolicy(
            self.http + other.http,
            self.job + other.job,
            self.line + other.line,
            self.quirk + other.quirk,
            self.webhook + other.webhook,
        )

    def without(self, rule_id: str) -> FaultPolicy:
        return self.keeping(lambda rule: rule.id != rule_id)

    def for_tenant(self, tenant: str) -> FaultPolicy:
        return self.keeping(lambda rule: rule.api_key in (None, tenant))

    def keeping(self, keep: Callable[[Rule], bool]) -> FaultPolicy:
        return FaultPolicy(
            tuple(r for r in self.http if keep(r)),
            tuple(r for r in self.job if keep(r)),
            tuple(r for r in self.line if keep(r)),
            tuple(r for r in self.quirk if keep(r)),
            tuple(r for r in self.webhook if keep(r)),
        )

    def rule_ids(self) -> set[str]:
        return {r.id for r in self._rules()}

    def to_wire(self) -> dict[str, list[dict[str, Any]]]:
        return {kind: [_rule_to_wire(r) for r in getattr(self, kind)] for kind in KINDS}


def _matches_batch(
    rule: JobFault | QuirkRule, *, display_name: str | None, model: str, batch: str, tenant: str
) -> bool:
    """Whether a batch-level rule (a job fault or a quirk) applies to a new batch."""
    return (
        rule.api_key in (None, tenant)
        and _glob(rule.display_name, display_name or "")
        and _glob(rule.model, model, model.removeprefix("models/"))
        and _glob(rule.batch, batch, batch.removeprefix("batches/"))
    )


def _glob(pattern: str | None, *values: str) -> bool:
    return pattern is None or any(fnmatch.fnmatchcase(v, pattern) for v in values)


def _rule_to_wire(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in asdict(rule).items():
        if value is None or value == {} or (name == "api_key"):
            continue
        if isinstance(value, Code):
            value = value.name
        if name == "when":
            value = {to_camel(k): v for k, v in value.items() if v is not None}
            if not value:
                continue
        out[to_camel(name)] = value
    if rule.api_key is not None:
        out["apiKey"] = "(set)"
    return out
