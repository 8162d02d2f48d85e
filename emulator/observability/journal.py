"""The request journal: the last requests clients made (operation, status, key, timing, fault),
what `/_emulator/requests`, the dashboard and `EmulatorControl.requests()` read.
"""

from __future__ import annotations

import collections
import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from emulator.clock import wall_us

JOURNAL_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class JournalEntry:
    seq: int
    time_us: int  # emulated, as the caller's key sees it
    wall_us: int  # real time: what back-off between polls is measured in
    operation: str
    method: str
    path: str
    status: int
    tenant: str
    resource: str | None
    duration_ms: float
    fault: str | None
    warnings: tuple[str, ...] = ()  # what lenient validation let through (unknown field names)


class Journal:
    """A bounded, in-memory list of requests, newest last; cleared per key by reset."""

    def __init__(self) -> None:
        self._entries: collections.deque[JournalEntry] = collections.deque(maxlen=JOURNAL_SIZE)
        self._seq = 0

    def record(self, **fields: Any) -> None:
        self._seq += 1
        self._entries.append(JournalEntry(seq=self._seq, wall_us=wall_us(), **fields))

    def entries(
        self,
        *,
        operation: str | None = None,
        tenant: str | None = None,
        status: int | None = None,
        since_seq: int = 0,
    ) -> Iterable[JournalEntry]:
        for entry in self._entries:
            if entry.seq <= since_seq:
                continue
            if operation and not fnmatch.fnmatchcase(entry.operation, operation):
                continue
            if tenant and entry.tenant != tenant:
                continue
            if status is not None and entry.status != status:
                continue
            yield entry

    def reset(self, tenant: str | None = None) -> None:
        if tenant is None:
            self._entries.clear()
        else:
            kept = [e for e in self._entries if e.tenant != tenant]
            self._entries.clear()
            self._entries.extend(kept)
