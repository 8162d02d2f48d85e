"""Time, from one injectable source.

Every timestamp the API returns comes from a `Clock`; nothing else in the code base reads the system
time. Times are integer microseconds since the Unix epoch (they sort, compare and store exactly) and
are formatted to RFC 3339 only on the wire.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol

MICROS = 1_000_000


class Clock(Protocol):
    def now_us(self) -> int:
        """Emulated time, in microseconds since the epoch."""

    def real_seconds_until(self, when_us: int) -> float:
        """How long, in real seconds, until emulated time reaches `when_us` (0 if already past)."""


class SystemClock:
    """Emulated time is wall-clock time."""

    def now_us(self) -> int:
        return time.time_ns() // 1000

    def real_seconds_until(self, when_us: int) -> float:
        return max(0.0, (when_us - self.now_us()) / MICROS)


def rfc3339(us: int) -> str:
    """`2026-01-01T10:00:00.123456Z`: the form the SDKs parse (0-9 fractional digits, `Z`)."""
    seconds, micros = divmod(us, MICROS)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{micros:06d}Z"
