"""`GET /_emulator/metrics`: the emulator's counters in Prometheus text format (version 0.0.4).

Request counters are kept, on the emulator, as requests are served (the per-operation middleware
calls `emulator.metrics.observe_request`); everything about batches is read from the store when
scraped, so it is right after a restart too:

- `gemini_emulator_requests_total{operation,status}` and `..._request_duration_seconds` (a summary):
  API requests by Google method id (`batches.create`) and HTTP status (`dropped` for an injected
  dropped connection). The control plane is not counted.
- `gemini_emulator_batches{state}`: batches in the store by state (every state listed, zeros too).
- `gemini_emulator_queue_depth_batches` / `..._requests`: batches not yet finished (PENDING or
  RUNNING) and the request lines they still have to answer.
- `gemini_emulator_lines_processed_total{result}`: request lines answered (`succeeded`/`failed`),
  from the batches' own counters; a batch deleted after a scrape keeps its share.
- `gemini_emulator_lines_per_second`: lines answered per second between this scrape and the oldest
  one of the last minute (0 on the first scrape). With Prometheus, prefer
  `rate(gemini_emulator_lines_processed_total[1m])`.
- With a quota tier or limit set (docs/quotas.md): `gemini_emulator_quota_used{tenant,model,limit}` and
  `..._quota_limit{...}` (enqueued tokens, rpm, tpm, rpd, batch_rpm, batch_rpd; the limit only where
  one applies), `..._quota_refusals_total{model,limit}` (429s answered, by the limit that refused).
- `gemini_emulator_webhook_deliveries{state}` (pending, delivered, failed, cancelled) and
  `..._webhook_attempts_total{outcome}` (2xx, 4xx, 5xx, error), from the store (docs/webhooks.md).
"""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from emulator import __version__
from emulator.asgi.requests import emulator_of
from emulator.batches.models import BatchState
from emulator.storage.port import Store

if TYPE_CHECKING:
    from emulator.quotas import ModelUsage

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
RATE_WINDOW = 60.0  # seconds of scrapes the processing rate is measured over
PREFIX = "gemini_emulator_"


@dataclass
class Metrics:
    """One emulator's counters (`emulator.metrics`)."""

    started: float = field(default_factory=time.time)
    requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    durations: dict[str, list[float]] = field(default_factory=dict)  # operation -> [sum, count]
    _lines: dict[str, tuple[int, int]] = field(default_factory=dict)  # batch -> most (ok, failed) seen
    _samples: deque[tuple[float, int]] = field(default_factory=deque)  # (monotonic time, lines total)
    last_answer: float = 0.0  # monotonic time the API last answered a request

    def observe_request(self, operation: str, status: int, seconds: float) -> None:
        self.requests[(operation, str(status) if status else "dropped")] += 1
        self.last_answer = time.monotonic()
        total = self.durations.setdefault(operation, [0.0, 0])
        total[0] += seconds
        total[1] += 1

    def answered_within(self, seconds: float) -> bool:
        """Whether the API answered a request in the last `seconds` real seconds (it is in use)."""
        return time.monotonic() - self.last_answer < seconds

    async def render(self, store: Store) -> str:
        batches = await store.all_batches(None)
        by_state = Counter(b.state for b in batches)
        for b in batches:
            key = f"{b.tenant}/{b.id}"
            ok, failed = self._lines.get(key, (0, 0))
            # FAILED and EXPIRED batches drop their counters: keep the most ever seen.
            self._lines[key] = (max(ok, b.success_count), max(failed, b.failure_count))
        succeeded = sum(ok for ok, _ in self._lines.values())
        failed = sum(f for _, f in self._lines.values())
        rate = self._rate(succeeded + failed)
        waiting = [b for b in batches if not b.state.terminal]

        out = _Writer()
        out.metric("info", "gauge", "The emulator's version.", [({"version": __version__}, 1)])
        out.metric("start_time_seconds", "gauge", "When this server started (Unix time).", [({}, self.started)])
        out.metric(
            "requests_total",
            "counter",
            "API requests answered, by operation and HTTP status.",
            [({"operation": op, "status": status}, n) for (op, status), n in sorted(self.requests.items())],
        )
        out.summary(
            "request_duration_seconds",
            "Time to answer an API request, by operation.",
            [({"operation": op}, s, int(n)) for op, (s, n) in sorted(self.durations.items())],
        )
        out.metric(
            "batches",
            "gauge",
            "Batches in the store, by state.",
            [({"state": state.value}, by_state.get(state, 0)) for state in BatchState],
        )
        out.metric("queue_depth_batches", "gauge", "Batches PENDING or RUNNING.", [({}, len(waiting))])
        out.metric(
            "queue_depth_requests",
            "gauge",
            "Request lines that PENDING and RUNNING batches have still to answer.",
            [({}, sum(b.pending_count for b in waiting))],
        )
        out.metric(
            "lines_processed_total",
            "counter",
            "Batch request lines answered, by result.",
            [({"result": "succeeded"}, succeeded), ({"result": "failed"}, failed)],
        )
        out.metric(
            "lines_per_second",
            "gauge",
            f"Request lines answered per second, measured between scrapes over the last {RATE_WINDOW:g} s.",
            [({}, rate)],
        )
        return out.text()

    @staticmethod
    def render_quotas(usage: list[ModelUsage], refusals: Counter[tuple[str, str]]) -> str:
        """The quota gauges and refusal counters (only scraped while quotas are on)."""
        used: list[tuple[dict[str, str], float]] = []
        limits: list[tuple[dict[str, str], float]] = []
        for row in usage:
            for u in row.usage:
                labels = {"tenant": row.tenant, "model": row.model, "limit": u.metric.value}
                used.append((labels, u.used))
                if u.limit is not None:
                    limits.append((labels, u.limit))
        out = _Writer()
        out.metric("quota_used", "gauge", "Quota used per key, model and limit (in its current window).", used)
        out.metric("quota_limit", "gauge", "The limit in force per key, model and limit.", limits)
        out.metric(
            "quota_refusals_total",
            "counter",
            "Calls answered 429 RESOURCE_EXHAUSTED for a quota, by model and the limit that refused.",
            [({"model": model, "limit": limit}, n) for (limit, model), n in sorted(refusals.items())],
        )
        return out.text()

    @staticmethod
    def render_webhooks(deliveries: dict[str, int], attempts: dict[str, int]) -> str:
        """Webhook deliveries by state and attempts by outcome, read from the store (docs/webhooks.md)."""
        out = _Writer()
        out.metric(
            "webhook_deliveries",
            "gauge",
            "Webhook deliveries (one event to one URL), by state.",
            [({"state": state}, n) for state, n in sorted(deliveries.items())],
        )
        out.metric(
            "webhook_attempts_total",
            "counter",
            "Webhook delivery attempts, by outcome (2xx, 4xx, 5xx, or error: no answer).",
            [({"outcome": outcome}, n) for outcome, n in sorted(attempts.items())],
        )
        return out.text()

    def _rate(self, total: int) -> float:
        now = time.monotonic()
        base: tuple[float, int] | None = None
        while self._samples and now - self._samples[0][0] > RATE_WINDOW:
            base = self._samples.popleft()  # the newest of the old ones stays the base if none is newer
        if self._samples:
            base = self._samples[0]
        self._samples.append((now, total))
        if base is None or now <= base[0]:
            return 0.0
        return max(0.0, (total - base[1]) / (now - base[0]))


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def metric(self, name: str, kind: str, help: str, samples: list[tuple[dict[str, str], float]]) -> None:
        self.lines += [f"# HELP {PREFIX}{name} {help}", f"# TYPE {PREFIX}{name} {kind}"]
        self.lines += [f"{PREFIX}{name}{_labels(labels)} {_number(value)}" for labels, value in samples]

    def summary(self, name: str, help: str, samples: list[tuple[dict[str, str], float, int]]) -> None:
        self.lines += [f"# HELP {PREFIX}{name} {help}", f"# TYPE {PREFIX}{name} summary"]
        for labels, total, count in samples:
            self.lines.append(f"{PREFIX}{name}_sum{_labels(labels)} {_number(total)}")
            self.lines.append(f"{PREFIX}{name}_count{_labels(labels)} {count}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    return repr(round(value, 6)) if value == value else "NaN"


async def metrics(request: Request) -> Response:
    """Prometheus text format; see this module's docstring for what each metric means."""
    emulator = emulator_of(request)
    text = await emulator.metrics.render(emulator.store)
    if (book := emulator.batches.quotas_made) is not None and (book.enabled or book.refusals):
        text += emulator.metrics.render_quotas(await emulator.batches.quota_usage(), book.refusals)
    text += emulator.metrics.render_webhooks(*await emulator.webhooks.counts())
    return Response(text, media_type=CONTENT_TYPE)
