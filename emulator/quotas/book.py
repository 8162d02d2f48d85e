"""The QuotaBook: the limits in force per API key ("project") and model, what the fixed windows have
counted, and the decision to admit a batch create or a synchronous call. Pure: the time, and the
batches holding enqueued tokens, are passed in, so what the store holds stays the truth (enqueued
tokens are worked out from the unfinished batches, which survive a restart; a batch that ends, is
cancelled or deleted stops holding its tokens without anyone telling the book).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from emulator.batches.models import Batch, QuirkName
from emulator.errors import ResourceExhausted
from emulator.quotas.errors import Violation, batch_quota_exceeded, rate_quota_exceeded
from emulator.quotas.limits import BATCH_METRICS, SYNC_METRICS, Metric, Override, check_tier, limit_for
from emulator.quotas.windows import MICROS, Window


@dataclass(frozen=True, slots=True)
class Held:
    """A batch that holds enqueued tokens of its model."""

    batch: str  # its id
    tenant: str
    model: str  # without `models/`
    tokens: int


@dataclass(frozen=True, slots=True)
class Usage:
    metric: Metric
    used: int
    limit: int | None
    resets_us: int | None = None  # the end of its window (None for enqueued tokens)


@dataclass(frozen=True, slots=True)
class ModelUsage:
    tenant: str
    model: str
    usage: tuple[Usage, ...]


@dataclass(frozen=True, slots=True)
class QuotaReport:
    """What `/_emulator/quotas` shows: the limits in force and the usage per key and model."""

    enabled: bool
    tier: str | None
    overrides: tuple[Override, ...]  # everyone's
    own: tuple[Override, ...]  # the key's own (when one key was asked for)
    usage: tuple[ModelUsage, ...]


def holds_tokens(batch: Batch, now_us: int) -> bool:
    """Whether a batch still holds its enqueued tokens: until it ends, or (the `enqueued-tokens-linger`
    quirk) until `seconds` after it ended. A deleted batch holds nothing: it is no longer stored."""
    if not batch.state.terminal:
        return True
    linger = batch.quirk(QuirkName.ENQUEUED_TOKENS_LINGER)
    end = batch.end_us if batch.end_us is not None else batch.update_us
    return linger is not None and now_us < end + round(float(linger["seconds"]) * MICROS)


class QuotaBook:
    """One emulator's quotas: built from the settings' tier and overrides; the control plane adds
    overrides for everyone or one key. Refusals are counted by (metric, model) for the metrics."""

    def __init__(self, tier: str | None = None, overrides: Iterable[Override] = ()) -> None:
        self.tier = check_tier(tier)
        self.overrides = tuple(overrides)
        self._base = (self.tier, self.overrides)
        self._own: dict[str, tuple[Override, ...]] = {}  # per API key
        self._windows: dict[tuple[str, str, Metric], Window] = {}
        self._tokens: dict[str, int] = {}  # batch id -> its input tokens (worked out once)
        self._inflight: dict[str, Held] = {}  # admitted, not yet stored
        self.refusals: Counter[tuple[str, str]] = Counter()

    # -- configuration ------------------------------------------------------------------------
    def set_tier(self, tier: str | None) -> None:
        self.tier = check_tier(tier)

    def add(self, overrides: Iterable[Override], tenant: str | None = None) -> None:
        if tenant is None:
            self.overrides = (*self.overrides, *overrides)
        else:
            self._own[tenant] = (*self._own.get(tenant, ()), *overrides)

    def reset(self, tenant: str | None = None) -> None:
        """Forget a key's own limits and counts (or everyone's, and the run-time changes)."""
        if tenant is None:
            self.tier, self.overrides = self._base
            self._own.clear()
            self._windows.clear()
            self.refusals.clear()
            return
        self._own.pop(tenant, None)
        for key in [k for k in self._windows if k[0] == tenant]:
            del self._windows[key]

    @property
    def enabled(self) -> bool:
        """Whether any limit can apply (a tier, or an override that sets a limit)."""
        every = (*self.overrides, *(o for own in self._own.values() for o in own))
        return self.tier is not None or any(o.limit is not None for o in every)

    def limit(self, tenant: str, model: str, metric: Metric) -> int | None:
        return limit_for(self.tier, (*self.overrides, *self._own.get(tenant, ())), model, metric)

    def own_overrides(self, tenant: str) -> tuple[Override, ...]:
        return self._own.get(tenant, ())

    # -- enqueued tokens ----------------------------------------------------------------------
    def tokens_of(self, batch_id: str) -> int | None:
        return self._tokens.get(batch_id)

    def remember(self, batch_id: str, tokens: int) -> None:
        self._tokens[batch_id] = tokens

    def enqueued(self, tenant: str, model: str, holding: Iterable[Held]) -> int:
        """Tokens held by the tenant's batches of a model (the stored ones and those being created)."""
        held = {h.batch: h for h in holding if h.tenant == tenant and h.model == model}
        for h in self._inflight.values():
            if h.tenant == tenant and h.model == model:
                held.setdefault(h.batch, h)
        return sum(h.tokens for h in held.values())

    # -- admission ----------------------------------------------------------------------------
    def admit_batch(self, new: Held, holding: Iterable[Held], now_us: int) -> None:
        """Admit a batch create or raise the real 429. Admitted, it counts in the creation windows and
        holds its tokens until `settle` (by then it is stored, or was not created)."""
        over = self._over(new.tenant, new.model, {Metric.BATCH_RPM: 1, Metric.BATCH_RPD: 1}, now_us)
        limit = self.limit(new.tenant, new.model, Metric.ENQUEUED_TOKENS)
        if limit is not None and self.enqueued(new.tenant, new.model, holding) + new.tokens > limit:
            over.append(Violation(Metric.ENQUEUED_TOKENS, new.model, limit, self.tier))
        if over:
            self._refused(over)
            raise batch_quota_exceeded()
        self._count(new.tenant, new.model, {Metric.BATCH_RPM: 1, Metric.BATCH_RPD: 1}, now_us)
        self._inflight[new.batch] = new
        self._tokens[new.batch] = new.tokens

    def settle(self, batch_id: str) -> None:
        self._inflight.pop(batch_id, None)

    def refused(self, reason: str, model: str) -> ResourceExhausted:
        """A batch create refused outside the book's own limits (`active_batches`, the `spurious` quirk):
        counted like a refusal; the real 429 to raise."""
        self.refusals[(reason, model.removeprefix("models/"))] += 1
        return batch_quota_exceeded()

    def admit_request(self, tenant: str, model: str, tokens: int, now_us: int) -> None:
        """Admit a synchronous call with `tokens` input tokens, or raise the real (retryable) 429."""
        model = model.removeprefix("models/")
        amounts = {Metric.RPM: 1, Metric.TPM: tokens, Metric.RPD: 1}
        over = self._over(tenant, model, amounts, now_us)
        if over:
            self._refused(over)
            retry = max(self._window(tenant, model, v.metric, now_us).end_us - now_us for v in over) / MICROS
            raise rate_quota_exceeded(over, retry)
        self._count(tenant, model, amounts, now_us)

    # -- the view -----------------------------------------------------------------------------
    def usage(self, tenant: str, holding: Iterable[Held], now_us: int, models: Iterable[str] = ()) -> list[ModelUsage]:
        """Usage and limits of one key, per model: the models it used, named, or set limits for."""
        holding = list(holding)
        names = {m.removeprefix("models/") for m in models}
        names |= {h.model for h in holding if h.tenant == tenant}
        names |= {model for (who, model, _), w in self._windows.items() if who == tenant and w.end_us > now_us}
        names |= {o.model for o in (*self.overrides, *self.own_overrides(tenant)) if not _is_glob(o.model)}
        out = []
        for model in sorted(names):
            rows = [
                Usage(
                    Metric.ENQUEUED_TOKENS,
                    self.enqueued(tenant, model, holding),
                    self.limit(tenant, model, Metric.ENQUEUED_TOKENS),
                )
            ]
            for metric in (*SYNC_METRICS, *BATCH_METRICS):
                window = self._window(tenant, model, metric, now_us)
                rows.append(Usage(metric, window.used, self.limit(tenant, model, metric), window.end_us))
            out.append(ModelUsage(tenant, model, tuple(rows)))
        return out

    def report(self, usage: Iterable[ModelUsage], tenant: str | None = None) -> QuotaReport:
        own = self.own_overrides(tenant) if tenant is not None else ()
        return QuotaReport(self.enabled, self.tier, self.overrides, own, tuple(usage))

    def tenants(self, now_us: int) -> set[str]:
        """The keys with counts in a current window or limits of their own."""
        return {who for (who, _, _), w in self._windows.items() if w.end_us > now_us} | set(self._own)

    # -- windows ------------------------------------------------------------------------------
    def _window(self, tenant: str, model: str, metric: Metric, now_us: int) -> Window:
        key = (tenant, model, metric)
        window = self._windows.get(key)
        assert metric.window is not None
        return window.current(metric.window, now_us) if window is not None else Window.at(metric.window, now_us)

    def _over(self, tenant: str, model: str, amounts: dict[Metric, int], now_us: int) -> list[Violation]:
        over = []
        for metric, amount in amounts.items():
            limit = self.limit(tenant, model, metric)
            if limit is not None and self._window(tenant, model, metric, now_us).used + amount > limit:
                over.append(Violation(metric, model, limit, self.tier))
        return over

    def _count(self, tenant: str, model: str, amounts: dict[Metric, int], now_us: int) -> None:
        """Count in every window, limited or not (the view shows usage without limits too)."""
        for metric, amount in amounts.items():
            window = self._window(tenant, model, metric, now_us)
            window.used += amount
            self._windows[(tenant, model, metric)] = window

    def _refused(self, over: list[Violation]) -> None:
        for violation in over:
            self.refusals[(violation.metric.value, violation.model)] += 1


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")
