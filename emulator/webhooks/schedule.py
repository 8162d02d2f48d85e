"""When a delivery is attempted: a pure schedule on the emulator's clock.

Google says "exponential backoff for up to 24 hours" and nothing more, so the emulator follows the
Standard Webhooks example schedule, cut at 24 hours: attempts at 0, 5 s, 5 min, 30 min, 2 h, 5 h and
10 h after the previous one, and a last one when the 24 hours are up. Offsets count from the event,
not from when the previous attempt was actually made, so a test that moves the clock a day ahead
sees every attempt made, in order, at once; each attempt records when it was due.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from itertools import accumulate

from emulator.clock import MICROS
from emulator.webhooks.models import Delivery

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


class DueQueue:
    """Pending deliveries by when they are due: one heap per tenant and receiver host, since each
    tenant's emulated clock is its own and each host has its own limit of attempts in flight (a
    host at its limit is passed over without looking at its deliveries). A delivery has at most one
    live entry (`_scheduled`: its due time); entries left behind by a removal or a new due time are
    skipped when they come up."""

    def __init__(self) -> None:
        self._items: dict[str, Delivery] = {}
        self._scheduled: dict[str, int] = {}
        self._heaps: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
        self._order = itertools.count()
        self._turn = 0  # which heap `take_due` starts from: each in turn, so a small limit starves none

    def __len__(self) -> int:
        return len(self._items)

    def get(self, delivery_id: str) -> Delivery | None:
        return self._items.get(delivery_id)

    def put(self, delivery: Delivery) -> None:
        """Add a delivery, or schedule it again (its `next_us` changed, or it was taken)."""
        self._items[delivery.id] = delivery
        if delivery.next_us is None:
            self._scheduled.pop(delivery.id, None)
        elif self._scheduled.get(delivery.id) != delivery.next_us:
            self._scheduled[delivery.id] = delivery.next_us
            heap = self._heaps.setdefault((delivery.tenant, delivery.host), [])
            heapq.heappush(heap, (delivery.next_us, next(self._order), delivery.id))

    def remove(self, delivery_id: str) -> None:
        self._items.pop(delivery_id, None)
        self._scheduled.pop(delivery_id, None)

    def _live(self, entry: tuple[int, int, str]) -> bool:
        return self._scheduled.get(entry[2]) == entry[0]

    def take_due(self, now_us: Callable[[str], int], room: Callable[[str], int], limit: int) -> list[Delivery]:
        """Up to `limit` deliveries due by their tenant's time, and up to `room(host)` per host,
        soonest first within a tenant and host, taken off the heaps (`put` schedules one again).
        Each call starts from the next heap, so that with a small limit every tenant and host
        gets its turn."""
        taken: list[Delivery] = []
        per_host: dict[str, int] = {}
        heaps = list(self._heaps.items())
        if heaps:
            self._turn = (self._turn + 1) % len(heaps)
            heaps = heaps[self._turn :] + heaps[: self._turn]
        for (tenant, host), heap in heaps:
            free = room(host) - per_host.get(host, 0)
            if free <= 0 or not heap:
                continue
            now = now_us(tenant)
            while heap and heap[0][0] <= now and free > 0 and len(taken) < limit:
                entry = heapq.heappop(heap)
                if self._live(entry):
                    del self._scheduled[entry[2]]
                    taken.append(self._items[entry[2]])
                    free -= 1
                    per_host[host] = per_host.get(host, 0) + 1
        return taken

    def next_due(self) -> list[tuple[str, str, int]]:
        """(tenant, host, emulated µs) of the soonest delivery of each tenant and host."""
        soonest = []
        for (tenant, host), heap in list(self._heaps.items()):
            while heap and not self._live(heap[0]):
                heapq.heappop(heap)
            if heap:
                soonest.append((tenant, host, heap[0][0]))
            else:
                del self._heaps[(tenant, host)]
        return soonest
