"""Quotas as the real service enforces them, per API key (the emulator's "project") and model
(docs/quotas.md): enqueued tokens of unfinished batches, per-minute requests and tokens and per-day
requests of the synchronous endpoints, batch creations per minute and day. `--tier free|1|2|3` picks
Google's published table; `--quota MODEL:METRIC=N` sets single limits. Off (no tier, no limit) nothing
is counted and nothing changes, and nothing imports this package at start-up: the batch service makes
its book (`BatchesService.quotas`) when limits are first set, looked at or a refusal is counted.

`tables` (the published limits), `limits` (metrics, overrides, the limit in force), `windows` (fixed
clock windows), `errors` (the real 429 bodies), `tokens` (a batch's input tokens), `book` (QuotaBook).
"""

from __future__ import annotations

from emulator.quotas.book import Held, ModelUsage, QuotaBook, QuotaReport, Usage, holds_tokens
from emulator.quotas.errors import batch_quota_exceeded, rate_quota_exceeded
from emulator.quotas.limits import Metric, Override, parse_overrides
from emulator.quotas.tables import TIERS

__all__ = [
    "TIERS",
    "Held",
    "Metric",
    "ModelUsage",
    "Override",
    "QuotaBook",
    "QuotaReport",
    "Usage",
    "batch_quota_exceeded",
    "holds_tokens",
    "parse_overrides",
    "rate_quota_exceeded",
]
