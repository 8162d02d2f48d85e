"""`/_emulator/quotas` on the wire: what a change asks for, and the report back (lowerCamelCase).

A change: `{"tier": "1" | null, "limits": {"gemini-2.5-flash": {"enqueuedTokens": 1000, "rpm": 5}},
"quota": ["gemini-2.5-flash:enqueued_tokens=1000"], "apiKey": ...}` (every part optional; `null` or
`"none"` lifts a limit; with an API key the limits are that key's alone, and a tier cannot be given).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emulator.casing import to_camel
from emulator.clock import rfc3339
from emulator.errors import InvalidArgument
from emulator.quotas.book import ModelUsage, QuotaReport
from emulator.quotas.limits import Metric, Override

_UNSET = "unset"


@dataclass(frozen=True, slots=True)
class QuotaChange:
    tier: str | None
    tier_given: bool
    overrides: tuple[Override, ...]


def quota_change(body: Mapping[str, Any], *, for_key: bool) -> QuotaChange:
    unknown = set(body) - {"tier", "limits", "quota", "apiKey", "api_key"}
    if unknown:
        raise InvalidArgument(f"quotas: unknown field {sorted(unknown)[0]!r}; expected tier, limits or quota.")
    overrides: list[Override] = []
    limits = body.get("limits") or {}
    if not isinstance(limits, Mapping) or not all(isinstance(v, Mapping) for v in limits.values()):
        raise InvalidArgument('quotas.limits: expected {"<model>": {"<limit>": N, ...}, ...}.')
    for model, values in limits.items():
        overrides += [Override.of(str(model), _snake(str(metric)), n) for metric, n in values.items()]
    texts = body.get("quota") or []
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list):
        raise InvalidArgument("quotas.quota: expected a list of MODEL:METRIC=N.")
    overrides += [Override.parse(str(text)) for text in texts]
    tier = body.get("tier", _UNSET)
    if tier is not _UNSET and for_key:
        raise InvalidArgument(
            "quotas: the tier is the emulator's (a project's), not one API key's; set limits instead."
        )
    return QuotaChange(None if tier in (_UNSET, None) else str(tier), tier is not _UNSET, tuple(overrides))


def usage_query(query: Mapping[str, Any]) -> tuple[str, ...]:
    """The models asked for by `?model=` (repeated, or comma-separated)."""
    getter = getattr(query, "getlist", None)
    values = getter("model") if callable(getter) else [query.get("model") or ""]
    return tuple(m for value in values for m in str(value).split(",") if m)


def report_to_wire(report: QuotaReport) -> dict[str, Any]:
    return {
        "enabled": report.enabled,
        "tier": report.tier,
        "limits": [str(o) for o in report.overrides],
        "keyLimits": [str(o) for o in report.own],
        "quotas": [usage_to_wire(u) for u in report.usage],
    }


def usage_to_wire(usage: ModelUsage) -> dict[str, Any]:
    out: dict[str, Any] = {"tenant": usage.tenant, "model": usage.model}
    for row in usage.usage:
        entry: dict[str, Any] = {"used": row.used, "limit": row.limit}
        if row.resets_us is not None:
            entry["resetTime"] = rfc3339(row.resets_us)
        out[to_camel(row.metric.value)] = entry
    return out


def _snake(name: str) -> str:
    snake = "".join("_" + c.lower() if c.isupper() else c for c in name)
    return snake if snake in Metric.__members__.values() else name
