"""The real service's 429 bodies for quota refusals (docs/quotas.md shows where each was seen).

- A batch create over a batch quota (enqueued tokens, concurrent batches): status RESOURCE_EXHAUSTED,
  the quota message, one `google.rpc.Help` detail with the rate-limits link; no `QuotaFailure`, no
  `RetryInfo` and no `Retry-After` header.
- A synchronous call over a per-minute or per-day limit: the same message followed by one
  `* Quota exceeded for metric: ..., limit: N, model: M` line per limit and `Please retry in Ns.`;
  details `Help`, `QuotaFailure` (metric, id, dimensions, value) and `RetryInfo` (`retryDelay`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.errors import ResourceExhausted
from emulator.quotas.limits import Metric

RATE_LIMITS_URL = "https://ai.google.dev/gemini-api/docs/rate-limits"
QUOTA_MESSAGE = (
    "You exceeded your current quota, please check your plan and billing details. For more information on this "
    f"error, head to: {RATE_LIMITS_URL}."
)
HELP: dict[str, Any] = {
    "@type": "type.googleapis.com/google.rpc.Help",
    "links": [{"description": "Learn more about Gemini API quotas", "url": RATE_LIMITS_URL}],
}
_SERVICE = "generativelanguage.googleapis.com/"


@dataclass(frozen=True, slots=True)
class Violation:
    """One limit a request went over."""

    metric: Metric
    model: str
    limit: int
    tier: str | None

    @property
    def quota_metric(self) -> str:
        return _SERVICE + _metric_name(self.metric, self.tier)

    @property
    def quota_id(self) -> str:
        return _quota_id(self.metric, self.tier)

    def to_wire(self) -> dict[str, Any]:
        return {
            "quotaMetric": self.quota_metric,
            "quotaId": self.quota_id,
            "quotaDimensions": {"location": "global", "model": self.model},
            "quotaValue": str(self.limit),
        }


def batch_quota_exceeded() -> ResourceExhausted:
    """A batch create refused for a batch quota (or by the `spurious-429-on-create` quirk)."""
    return ResourceExhausted(QUOTA_MESSAGE, details=[dict(HELP)])


def rate_quota_exceeded(violations: list[Violation], retry_seconds: float) -> ResourceExhausted:
    """A call refused for per-minute or per-day limits, retryable after `retry_seconds`."""
    lines = [f"* Quota exceeded for metric: {v.quota_metric}, limit: {v.limit}, model: {v.model}" for v in violations]
    message = "\n".join([QUOTA_MESSAGE, *lines, f"Please retry in {retry_seconds:.9g}s."])
    details = [
        dict(HELP),
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [v.to_wire() for v in violations]},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{int(retry_seconds)}s"},
    ]
    return ResourceExhausted(message, details=details)


def _tier_suffix(tier: str | None) -> str:
    return {"free": "free_tier", "2": "paid_tier_2", "3": "paid_tier_3"}.get(tier or "1", "paid_tier")


def _metric_name(metric: Metric, tier: str | None) -> str:
    if metric in (Metric.TPM, Metric.ENQUEUED_TOKENS):
        return f"generate_content_{_tier_suffix(tier)}_input_token_count"
    if tier == "free":
        return "generate_content_free_tier_requests"
    if metric in (Metric.RPD, Metric.BATCH_RPD):
        return "generate_requests_per_model_per_day"
    return "generate_requests_per_model_per_minute"


def _quota_id(metric: Metric, tier: str | None) -> str:
    if metric in (Metric.TPM, Metric.ENQUEUED_TOKENS):
        base = (
            "GenerateContentInputTokensPerModelPerMinute"
            if tier == "free"
            else "GenerateContentPaidTierInputTokensPerModelPerMinute"
        )
    elif metric in (Metric.RPD, Metric.BATCH_RPD):
        base = "GenerateRequestsPerDayPerProjectPerModel"
    else:
        base = "GenerateRequestsPerMinutePerProjectPerModel"
    suffix = {"free": "-FreeTier", "2": "-PaidTier2", "3": "-PaidTier3"}.get(tier or "1", "")
    return base + suffix
