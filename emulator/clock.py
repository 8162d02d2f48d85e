"""Time, from one injectable source.

Every timestamp the API returns comes from a `Clock`; nothing else in the code base reads the system
time. Times are integer microseconds since the Unix epoch (they sort, compare and store exactly) and
are formatted to RFC 3339 only on the wire.

`VirtualClock` covers the three modes users ask for: `real` (wall-clock time), a time scale (F
emulated seconds per real second) and `manual` (time moves only when told). On top of the shared time,
each tenant (API key) may carry its own offset, so parallel test workers sharing one emulator can
each jump ahead a day without moving the others.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

MICROS = 1_000_000


class Clock(Protocol):
    def now_us(self, tenant: str | None = None) -> int:
        """Emulated time, in microseconds since the epoch, as `tenant` sees it."""

    def real_seconds_until(self, when_us: int, tenant: str | None = None) -> float:
        """Real seconds until `tenant`'s emulated time reaches `when_us`: 0 if past, inf if never
        on its own (a manual clock)."""

    def earliest_now_us(self) -> int:
        """The earliest time any tenant sees: what has expired for everyone has expired by then."""


_LATEST_US = 253402300799 * 1_000_000  # 9999-12-31T23:59:59Z, the last time RFC 3339 can show


def wall_us() -> int:
    """Real time, in microseconds: for measuring, never for what the API shows."""
    return time.time_ns() // 1000


_wall_us = wall_us


@dataclass
class VirtualClock:
    """Emulated time = `base_us` + (real time since `real_base_us`) * `scale`, plus a tenant's offset.

    scale 1 is wall-clock time; 0 is a manual clock.
    """

    scale: float = 1.0
    base_us: int = field(default_factory=_wall_us)
    real_base_us: int = field(default_factory=_wall_us)
    offsets: dict[str, int] = field(default_factory=dict)
    frozen: dict[str, int] = field(default_factory=dict)  # tenants on a manual clock of their own

    @property
    def mode(self) -> str:
        return "manual" if self.scale == 0 else "real" if self.scale == 1 else "scaled"

    def _shared_us(self) -> int:
        if self.scale == 0:
            return self.base_us
        return self.base_us + int((_wall_us() - self.real_base_us) * self.scale)

    def now_us(self, tenant: str | None = None) -> int:
        if tenant and tenant in self.frozen:
            return self.frozen[tenant]
        if tenant and tenant in self.offsets:
            # a key's offset may outlive a later move of the shared clock: keep its time in the calendar
            return min(max(self._shared_us() + self.offsets[tenant], 0), _LATEST_US)
        return self._shared_us()

    def real_seconds_until(self, when_us: int, tenant: str | None = None) -> float:
        gap = when_us - self.now_us(tenant)
        if gap <= 0:
            return 0.0
        manual = self.scale == 0 or bool(tenant and tenant in self.frozen)
        return math.inf if manual else gap / MICROS / self.scale

    def earliest_now_us(self) -> int:
        return min([self.now_us(), *(self.now_us(t) for t in [*self.offsets, *self.frozen])])

    def advance(self, seconds: float, tenant: str | None = None) -> None:
        """Move time forward (for one tenant, or for everyone)."""
        delta = round(seconds * MICROS)
        if tenant and tenant in self.frozen:
            self.frozen[tenant] += delta
        elif tenant:
            self.offsets[tenant] = self.offsets.get(tenant, 0) + delta
        else:
            self.base_us += delta

    def set(self, when_us: int, tenant: str | None = None) -> None:
        """Jump to an absolute time (for one tenant, or for everyone)."""
        if tenant and tenant in self.frozen:
            self.frozen[tenant] = when_us
        elif tenant:
            self.offsets[tenant] = when_us - self._shared_us()
        else:
            self.base_us, self.real_base_us = when_us, _wall_us()

    def freeze(self, tenant: str, manual: bool) -> None:
        """Give a tenant a manual clock of its own (time stops for it until advanced), or let its
        time flow again from where it stands."""
        now = self.now_us(tenant)
        if manual:
            self.frozen[tenant] = now
        else:
            self.frozen.pop(tenant, None)
            self.offsets[tenant] = now - self._shared_us()

    def tenant_mode(self, tenant: str | None) -> str:
        return "manual" if tenant and tenant in self.frozen else self.mode

    def reset(self, tenant: str | None = None) -> None:
        """Forget a tenant's offset (or every offset) and manual clock."""
        if tenant:
            self.offsets.pop(tenant, None)
            self.frozen.pop(tenant, None)
        else:
            self.offsets.clear()
            self.frozen.clear()


def rfc3339(us: int) -> str:
    """`2026-01-01T10:00:00.123456Z`: the form the SDKs parse (0-9 fractional digits, `Z`)."""
    seconds, micros = divmod(us, MICROS)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{micros:06d}Z"


# Times on the wire repeat (every `get` of a batch renders the same three), so they are remembered.
wire_time = functools.lru_cache(maxsize=4096)(rfc3339)


def parse_time(value: str) -> int:
    """RFC 3339 (`Z` or an offset) to microseconds; a naive time is taken as UTC."""
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) * MICROS + moment.microsecond
