"""When a delivery is attempted: a pure schedule on the emulator's clock.

Google says "exponential backoff for up to 24 hours" and nothing more, so the emulator follows the
Standard Webhooks example schedule, cut at 24 hours: attempts at 0, 5 s, 5 min, 30 min, 2 h, 5 h and
10 h after the previous one, and a last one when the 24 hours are up. Offsets count from the event,
not from when the previous attempt was actually made, so a test that moves the clock a day ahead
sees every attempt made, in order, at once; each attempt records when it was due.
"""

from __future__ import annotations

from itertools import accumulate

from emulator.clock import MICROS

WINDOW_S = 24 * 3600
GAPS_S = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600)
# Seconds after the event at which attempt n (from 1) is due.
OFFSETS_S: tuple[int, ...] = (0, *(o for o in accumulate(GAPS_S) if o < WINDOW_S), WINDOW_S)
MAX_ATTEMPTS = len(OFFSETS_S)


def due_us(event_us: int, attempt: int) -> int | None:
    """When attempt number `attempt` (from 1) is due, or None past the last one."""
    if not 1 <= attempt <= MAX_ATTEMPTS:
        return None
    return event_us + OFFSETS_S[attempt - 1] * MICROS


def describe() -> str:
    """The schedule in words, for docs and error messages."""
    return ", ".join(_short(s) for s in OFFSETS_S)


def _short(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{v} {u}" for v, u in ((hours, "h"), (minutes, "min"), (secs, "s")) if v]
    return " ".join(parts) or "0 s"
