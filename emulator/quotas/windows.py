"""Fixed windows on the emulator clock: clock minutes, and days from midnight Pacific time (when
Google's page says the per-day quotas reset)."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

MICROS = 1_000_000
MINUTE_US = 60 * MICROS
DAY_US = 86_400 * MICROS


@functools.cache
def pacific() -> ZoneInfo:
    """Google's quota day's time zone (zoneinfo is imported on the first day window: not at start-up)."""
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/Los_Angeles")


def bounds(window: str, now_us: int) -> tuple[int, int]:
    """The [start, end) of the `"minute"` or `"day"` window holding `now_us`."""
    if window == "minute":
        start = now_us - now_us % MINUTE_US
        return start, start + MINUTE_US
    try:
        zone = pacific()
        local = datetime.datetime.fromtimestamp(now_us / MICROS, zone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        following = (midnight.replace(tzinfo=None) + datetime.timedelta(days=1)).replace(tzinfo=zone)
    except (ValueError, OverflowError, OSError):  # a clock outside the calendar (years < 1 or > 9999)
        start = now_us - now_us % DAY_US
        return start, start + DAY_US
    return round(midnight.timestamp()) * MICROS, round(following.timestamp()) * MICROS


@dataclass(slots=True)
class Window:
    """What was counted in one window; a count from an earlier window no longer applies."""

    start_us: int
    end_us: int
    used: int = 0

    @classmethod
    def at(cls, window: str, now_us: int) -> Window:
        return cls(*bounds(window, now_us))

    def current(self, window: str, now_us: int) -> Window:
        """This window, or a fresh one if `now_us` is past it."""
        return self if self.start_us <= now_us < self.end_us else Window.at(window, now_us)
