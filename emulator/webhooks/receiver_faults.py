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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.clock import MICROS
from emulator.errors import InvalidArgument
from emulator.faults.parsing import _WHEN_KEYS, _normalized, _number, parse_when
from emulator.faults.rules import When
from emulator.ids import derive_rng
from emulator.webhooks.models import Delivery
from emulator.webhooks.signing import new_secret

WEBHOOK_EFFECTS = ("duplicate", "delay", "reorder", "drop", "bad-signature", "stale-signature", "previous-secret")


@dataclass(frozen=True, slots=True)
class WebhookFault:
    """Make matching delivery attempts (by event glob, URL glob, mode, key) misbehave."""

    id: str
    effect: str
    event: str = "*"
    url: str = "*"
    mode: str | None = None  # static or dynamic
    seconds: float | None = None  # delay, reorder: how long; stale-signature: how old
    api_key: str | None = None
    when: When = field(default_factory=When)


def parse_webhook_fault(raw: dict[str, Any], rule_id: str, tenant_of_key: Any) -> WebhookFault:
    what = f"webhook fault {rule_id}"
    f = _normalized(raw, {"id", "effect", "event", "url", "mode", "seconds", "apiKey", "when", *_WHEN_KEYS}, what)
    effect = str(f.get("effect", "")).lower().replace("_", "-")
    if effect not in WEBHOOK_EFFECTS:
        raise InvalidArgument(f"{what}.effect: {effect!r} is not one of {', '.join(WEBHOOK_EFFECTS)}.")
    mode = str(f["mode"]).lower() if f.get("mode") else None
    if mode not in (None, "static", "dynamic"):
        raise InvalidArgument(f"{what}.mode: {mode!r} is not static or dynamic.")
    when_raw = dict(f.get("when") or {})
    when_raw.update({k: f[k] for k in _WHEN_KEYS if k in f})
    return WebhookFault(
        id=str(f.get("id", rule_id)),
        effect=effect,
        event=str(f.get("event", "*")),
        url=str(f.get("url", "*")),
        mode=mode,
        seconds=_number(f["seconds"], f"{what}.seconds") if "seconds" in f else None,
        api_key=tenant_of_key(f["apiKey"]) if f.get("apiKey") else None,
        when=parse_when(when_raw, f"{what}.when"),
    )


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
    """The receiver fault rules of the emulator (`rules()` gives those in force) and their state."""

    seed: int
    rules: Callable[[], tuple[WebhookFault, ...]]
    counts: Counter[str] = field(default_factory=Counter)
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
            self.counts[rule.id] += 1
            draw = derive_rng(self.seed, "webhook-fault", rule.id, delivery.id, str(attempt)).random()
            if not rule.when.fires(self.counts[rule.id], draw):
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
        self.counts.clear()
        self._decided.clear()
        self._reordered.clear()


def _matches(rule: WebhookFault, delivery: Delivery) -> bool:
    return (
        rule.api_key in (None, delivery.tenant)
        and fnmatch.fnmatchcase(delivery.event_type, rule.event)
        and fnmatch.fnmatchcase(delivery.url, rule.url)
        and rule.mode in (None, str(delivery.mode))
    )
