"""What is limited (`Metric`), single-limit overrides (`Override`, "gemini-2.5-flash:enqueued_tokens=1000")
and the limit in force for a model: the last matching override, else the tier's table, else none."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from emulator.errors import InvalidArgument
from emulator.quotas.tables import TIERS, row_for


class Metric(StrEnum):
    """One limit of a project and model. The per-minute ones count in fixed clock minutes, the per-day
    ones in Pacific days (docs/quotas.md says why)."""

    ENQUEUED_TOKENS = "enqueued_tokens"  # input tokens of the batches not yet finished
    RPM = "rpm"  # synchronous requests per minute
    TPM = "tpm"  # synchronous input tokens per minute
    RPD = "rpd"  # synchronous requests per day
    BATCH_RPM = "batch_rpm"  # batch creations per minute (no published value: overrides only)
    BATCH_RPD = "batch_rpd"  # batch creations per day (likewise)

    @property
    def window(self) -> str | None:
        """ "minute", "day", or None for a level (enqueued tokens)."""
        return _WINDOWS.get(self)


_WINDOWS = {
    Metric.RPM: "minute",
    Metric.TPM: "minute",
    Metric.BATCH_RPM: "minute",
    Metric.RPD: "day",
    Metric.BATCH_RPD: "day",
}
# Which column of a tier row each metric reads (the batch-creation ones have none).
_COLUMN = {Metric.RPM: 0, Metric.TPM: 1, Metric.RPD: 2, Metric.ENQUEUED_TOKENS: 3}
SYNC_METRICS = (Metric.RPM, Metric.TPM, Metric.RPD)
BATCH_METRICS = (Metric.BATCH_RPM, Metric.BATCH_RPD)
OFF = ("none", "off", "unlimited")


@dataclass(frozen=True, slots=True)
class Override:
    """One limit set by hand: `model` is a model id or a glob (`*`, `gemini-2.5-*`); `limit` None
    lifts the limit (`=none`)."""

    model: str
    metric: Metric
    limit: int | None

    @classmethod
    def parse(cls, text: str) -> Override:
        """`MODEL:METRIC=N` (`gemini-2.5-flash:enqueued_tokens=1000`, `*:rpm=5`, `...=none`)."""
        head, sep, value = text.partition("=")
        model, colon, metric = head.strip().rpartition(":")
        if not sep or not colon or not model:
            raise InvalidArgument(
                f"quota {text!r}: expected MODEL:METRIC=N, e.g. gemini-2.5-flash:enqueued_tokens=1000."
            )
        return cls.of(model.strip(), metric.strip(), value.strip())

    @classmethod
    def of(cls, model: str, metric: str, limit: object) -> Override:
        name = metric.replace("-", "_").lower()
        if name not in Metric.__members__.values():
            known = ", ".join(m.value for m in Metric)
            raise InvalidArgument(f"quota for {model}: unknown limit {metric!r} (known: {known}).")
        if limit is None or (isinstance(limit, str) and limit.lower() in OFF):
            return cls(model.removeprefix("models/"), Metric(name), None)
        try:
            if isinstance(limit, bool) or not isinstance(limit, int | float | str):
                raise ValueError
            if isinstance(limit, float) and not limit.is_integer():
                raise ValueError
            number = int(limit.replace("_", "").replace(",", "")) if isinstance(limit, str) else int(limit)
        except ValueError:
            raise InvalidArgument(f"quota {model}:{name}: expected a whole number or none, not {limit!r}.") from None
        if number < 0:
            raise InvalidArgument(f"quota {model}:{name}: must be >= 0, not {number}.")
        return cls(model.removeprefix("models/"), Metric(name), number)

    def matches(self, model: str) -> bool:
        return fnmatch.fnmatchcase(model.removeprefix("models/"), self.model)

    def __str__(self) -> str:
        return f"{self.model}:{self.metric}={'none' if self.limit is None else self.limit}"


def check_tier(tier: str | None) -> str | None:
    if tier is not None and tier not in TIERS:
        raise InvalidArgument(f"tier must be one of {', '.join(TIERS)}, not {tier!r}.")
    return tier


def parse_overrides(texts: Iterable[str]) -> tuple[Override, ...]:
    return tuple(Override.parse(text) for text in texts)


def limit_for(tier: str | None, overrides: Iterable[Override], model: str, metric: Metric) -> int | None:
    """The limit in force: the last override matching the model and metric, else the tier's value."""
    chosen: Override | None = None
    for override in overrides:
        if override.metric is metric and override.matches(model):
            chosen = override
    if chosen is not None:
        return chosen.limit
    if tier is None or metric not in _COLUMN:
        return None
    row = row_for(tier, model)
    return row[_COLUMN[metric]] if row is not None else None
