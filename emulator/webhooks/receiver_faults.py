"""Faults for webhook receivers: what a delivery attempt does wrong, decided per attempt from the
rules in force, deterministically (counted per rule, drawn from the seed).

Effects: `duplicate` (a delivered event is sent again, same `webhook-id`), `delay` (the first
attempt waits `seconds` more, emulated), `reorder` (the event waits until the next event to the same
URL has gone, at most `seconds`), `drop` (the attempt is never sent; the retry schedule goes on),
`bad-signature`, `stale-signature` (a `webhook-timestamp` `seconds` old, default 600, correctly
signed) and `previous-secret` (signed with the secret before the newest one, even once revoked).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.clock import MICROS
from emulator.faults.rules import WebhookFault
from emulator.ids import derive_rng
from emulator.webhooks.models import Delivery
from emulator.webhooks.signing import new_secret

# Effects decided once per delivery (on its first attempt), the others on every attempt.
_ONCE = ("duplicate", "delay", "reorder")


@dataclass(frozen=True, slots=True)
class Plan:
    """What an attempt does differently; `labels` name the faults, recorded with the attempt."""

    hold_us: int = 0
    drop: bool = False
    duplicate: bool = False
    stale_s: int = 0
    bad_signature: bool = False
    previous_secret: bool = False
    labels: tuple[str, ...] = ()

    def secrets(self, live: list[str], every: list[str], seed: int) -> list[str]:
        """The secrets the attempt is signed with: the live ones, or the fault's choice."""
        if self.bad_signature:
            return [new_secret(derive_rng(seed, "webhooks", "bad-secret"))]
        if self.previous_secret and len(every) > 1:
            return [every[-2]]
        return live

    def tamper(self, token: str) -> str:
        """A JWT whose signature no longer matches (bad-signature on a dynamic webhook)."""
        if not self.bad_signature:
            return token
        head, _, sig = token.rpartition(".")
        return head + "." + ("B" if sig[:1] == "A" else "A") + sig[1:]


@dataclass
class ReceiverFaults:
    """The receiver fault rules of the emulator (`rules()` gives those in force; `count(rule id,
    tenant)` counts one more matching attempt and says how many so far) and their state."""

    seed: int
    rules: Callable[[], tuple[WebhookFault, ...]]
    count: Callable[[str, str], int]
    _decided: set[str] = field(default_factory=set)  # deliveries whose once-per-delivery faults were decided
    _reordered: dict[str, str] = field(default_factory=dict)  # url -> the delivery waiting for the next one

    def plan(self, delivery: Delivery, attempt: int) -> Plan:
        hold = 0
        flags: dict[str, bool] = {}
        stale = 0
        labels: list[str] = []
        first = delivery.id not in self._decided
        self._decided.add(delivery.id)
        for rule in self.rules():
            if rule.effect in _ONCE and not first:
                continue
            if not _matches(rule, delivery):
                continue
            calls = self.count(rule.id, delivery.tenant)
            draw = derive_rng(self.seed, "webhook-fault", rule.id, delivery.id, str(attempt)).random()
            if not rule.when.fires(calls, draw):
                continue
            if rule.effect != "duplicate":  # recorded on the extra attempt it makes
                labels.append(rule.effect)
            if rule.effect in ("delay", "reorder"):
                hold = max(hold, round((rule.seconds if rule.seconds is not None else 60.0) * MICROS))
                if rule.effect == "reorder":
                    self._reordered[delivery.url] = delivery.id
            elif rule.effect == "stale-signature":
                stale = int(rule.seconds if rule.seconds is not None else 600)
            else:
                flags[rule.effect.replace("-", "_")] = True
        return Plan(
            hold_us=hold,
            drop=flags.get("drop", False),
            duplicate=flags.get("duplicate", False),
            stale_s=stale,
            bad_signature=flags.get("bad_signature", False),
            previous_secret=flags.get("previous_secret", False),
            labels=tuple(labels),
        )

    def released_by(self, delivery: Delivery) -> str | None:
        """A delivery sent to a URL frees the event held back (reordered) for that URL."""
        waiting = self._reordered.get(delivery.url)
        if waiting is None or waiting == delivery.id:
            return None
        del self._reordered[delivery.url]
        return waiting

    def reset(self) -> None:
        self._decided.clear()
        self._reordered.clear()


def _matches(rule: WebhookFault, delivery: Delivery) -> bool:
    return (
        rule.api_key in (None, delivery.tenant)
        and fnmatch.fnmatchcase(delivery.event_type, rule.event)
        and fnmatch.fnmatchcase(delivery.url, rule.url)
        and rule.mode in (None, str(delivery.mode))
    )
