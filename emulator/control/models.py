"""The control plane's values: what its wire parses requests into and its service answers with."""

from __future__ import annotations

from dataclasses import dataclass

MAX_ADVANCE_SECONDS = 100 * 365.25 * 86400
LATEST_US = 253402300799 * 1_000_000  # 9999-12-31T23:59:59Z
MODE_NEEDS_KEY = 'mode takes "manual" or "real", with the apiKey whose clock it sets.'


@dataclass(frozen=True, slots=True)
class ClockChange:
    """One move of the clock: forward `by_seconds`, then to `to_us` if given, and (for one API key)
    into `mode` ("manual": its own clock, stopped; "real": flowing again from where it stands)."""

    by_seconds: float | None = None
    to_us: int | None = None
    mode: str | None = None


@dataclass(frozen=True, slots=True)
class ClockView:
    """The time as one API key (or, with `tenant` None, everyone) sees it."""

    tenant: str | None
    now_us: int
    mode: str
    scale: float


@dataclass(frozen=True, slots=True)
class JournalQuery:
    """Which journal entries to list: `operation` is a glob; `since` a sequence number."""

    operation: str | None = None
    tenant: str | None = None
    status: int | None = None
    since: int = 0
