"""The dispatcher: sends due deliveries, off the request path, and records every attempt.

Deliveries are queued in SQLite (durable) and mirrored here in memory, so deciding what is due costs
no query. A delivery is due when its tenant's emulated clock reaches its `next_us`; attempts of one
delivery never overlap, at most `concurrency` attempts are in flight, and at most `PER_HOST` to one
host, so a receiver that hangs (until the timeout) holds up only its own deliveries.

Deliveries give way to the API: while it is in use (it answered a request in the last `IN_USE`
seconds), attempts start one at a time, at least `options.pace` seconds apart (`--webhook-pace`),
so that a thousand events going out at once never slow the requests of the test that waits for
them. The bounds on attempts in flight stay as they are, so a receiver that hangs still holds up
only its own deliveries.

The requests themselves are made by the webhook sender process (`sender.py`), off the event loop
that answers the API. Outbound safety (`outbound.py`): http and https only, the `allow` list, a
timeout per attempt, no redirects followed (a 3xx is a failed attempt), and at most
`max_response_bytes` of an answer read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Any

from emulator.clock import MICROS, Clock, wall_us
from emulator.storage.webhooks import WebhookStore
from emulator.webhooks import outbound, schedule, signing
from emulator.webhooks.models import Attempt, Delivery, DeliveryState, Mode, Webhook, WebhookOptions, WebhookState
from emulator.webhooks.receiver_faults import Plan, ReceiverFaults
from emulator.webhooks.sender import Sender

log = logging.getLogger("emulator.webhooks")

PER_HOST = 4
IN_USE = 0.05  # real seconds after the API's last answer during which it counts as in use
SAVE_EVERY = 0.05  # real seconds an attempt's record may wait to be written with others
SAVE_BATCH = 64
RECHECK = 0.5  # real seconds
USER_AGENT = "gemini-batch-emulator-webhooks"
KeySource = Callable[[], Awaitable[signing.RsaKey]]


class Dispatcher:
    def __init__(
        self,
        store: WebhookStore,
        clock: Clock,
        options: WebhookOptions,
        key: KeySource,
        faults: ReceiverFaults,
        api_busy: Callable[[float], bool] = lambda seconds: False,
    ) -> None:
        self._store = store
        self._api_busy = api_busy
        self._last_start = 0.0  # monotonic time the last attempt started
        self._clock = clock
        self.options = options
        self._key = key
        self._faults = faults
        self._queue = schedule.DueQueue()
        self._in_flight: set[str] = set()
        self._hosts: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._quiet = asyncio.Event()
        self._sender = Sender()
        self._unsaved: list[tuple[Delivery, Attempt | None]] = []
        self._saving = asyncio.Lock()
        self._flushing: asyncio.TimerHandle | None = None

    # -- the queue -------------------------------------------------------------------------------
    async def load(self) -> None:
        """Mirror the stored queue (at start-up, after a reset)."""
        self._queue = schedule.DueQueue()
        for delivery in await self._store.pending(1_000_000):
            self._queue.put(delivery)
        self.wake()

    def add(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            if delivery.state is DeliveryState.PENDING:
                self._queue.put(delivery)
        self.wake()

    def wake(self) -> None:
        self._quiet.clear()
        self._wake.set()

    async def settle(self) -> None:
        """Return once every attempt due at the current emulated time has been made."""
        self.wake()
        await self._quiet.wait()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._sender.close()
        await self.flush()

    async def run_forever(self) -> None:
        while True:
            self._wake.clear()
            try:
                started, wait, held = self._start_due()
            except Exception:  # the dispatcher must outlive any one bad step
                log.exception("webhook dispatch failed")
                started, wait, held = 0, 1.0, False
            if not started and not held and not self._in_flight:
                self._quiet.set()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
            except TimeoutError:
                pass

    def _start_due(self) -> tuple[int, float | None, bool]:
        """Start every due attempt there is room for (at most `concurrency` in flight, `PER_HOST` per
        host; one at a time, `options.pace` apart, while the API is in use). Returns how many
        started, the real seconds until the loop should look again (until the next delivery not yet
        due is due, at most `RECHECK` while one waits for a manual clock: moving it wakes the
        dispatcher, and this is the net under any move that does not), and whether a due delivery
        is held back by the pace. Deliveries due but waiting for room need no timer: an attempt
        ending wakes the loop."""
        now = time.monotonic()
        pace = self.options.pace
        paced = pace > 0 and self._api_busy(IN_USE)
        room = self.options.concurrency - len(self._in_flight)
        pause = self._last_start + pace - now if paced else 0.0
        started = 0
        if room > 0 and pause <= 0:
            for delivery in self._queue.take_due(self._clock.now_us, self._room, limit=1 if paced else room):
                if delivery.id in self._in_flight:
                    continue  # put back by its attempt when it ends
                self._in_flight.add(delivery.id)
                self._hosts[delivery.host] += 1
                started += 1
                self._last_start = now
                self._start(self._attempt(delivery, delivery.host), f"webhook {delivery.id}")
        wait: float | None = None
        held = False
        room -= started
        for tenant, host, due in self._queue.next_due():
            seconds = self._clock.real_seconds_until(due, tenant)
            if seconds <= 0 and paced and room > 0 and self._room(host) > 0:  # due now, held back by the pace
                held, seconds = True, max(self._last_start + pace - now, 0.001)
            if seconds > 0:  # one due now waits for room: an attempt ending wakes the loop
                wait = min(wait if wait is not None else RECHECK, seconds)
        return started, wait, held

    def _room(self, host: str) -> int:
        return PER_HOST - self._hosts[host]

    # -- recording: attempts are written a few at a time ----------------------------------------
    def _save(self, delivery: Delivery, attempt: Attempt | None = None) -> None:
        """Record an attempt (or a change of the delivery alone), written with the others of the next
        `SAVE_EVERY` seconds in one transaction: one commit per attempt would keep the database (and
        the event loop, which serves the API) busy while many events go out. A crash in between loses
        only the record: the delivery is attempted again after the restart, with the same webhook-id."""
        self._unsaved.append((replace(delivery), attempt))
        if len(self._unsaved) >= SAVE_BATCH:
            self._start(self.flush(), "webhook records")
        elif self._flushing is None:
            self._flushing = asyncio.get_running_loop().call_later(
                SAVE_EVERY, lambda: self._start(self.flush(), "webhook records")
            )

    async def flush(self) -> None:
        """Write every record made so far (before reading deliveries back, and on close)."""
        if self._flushing is not None:
            self._flushing.cancel()
            self._flushing = None
        async with self._saving:
            records, self._unsaved = self._unsaved, []
            if records:
                await self._store.record_attempts(records)

    def _start(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- one attempt -----------------------------------------------------------------------------
    async def _attempt(self, delivery: Delivery, host: str) -> None:
        try:
            await self._deliver(delivery)
        except Exception:
            log.exception("webhook delivery %s failed", delivery.id)
            if delivery.state is DeliveryState.PENDING:  # try again in a while, rather than never
                delivery.next_us = self._clock.now_us(delivery.tenant) + MICROS
                self._queue.put(delivery)
        finally:
            self._in_flight.discard(delivery.id)
            self._hosts[host] -= 1
            self.wake()

    async def _deliver(self, delivery: Delivery) -> None:
        webhook = None
        if delivery.mode is Mode.STATIC:
            assert delivery.webhook_id is not None
            webhook = await self._store.get_webhook(delivery.tenant, delivery.webhook_id)
            if webhook is None or (webhook.state is not WebhookState.ENABLED and delivery.event_type != "webhook.ping"):
                delivery.state, delivery.next_us = DeliveryState.CANCELLED, None
                delivery.last_error = (
                    "the webhook was deleted" if webhook is None else f"the webhook is {webhook.state}"
                )
                self._save(delivery)
                self._queue.remove(delivery.id)
                return
        n = delivery.attempts + 1
        scheduled = delivery.next_us or 0
        plan = self._faults.plan(delivery, n)
        if plan.hold_us:
            delivery.next_us = scheduled + plan.hold_us  # a delayed delivery: not sent, not counted
            self._save(delivery)
            self._queue.put(delivery)
            return
        attempt = await self._post(delivery, n, scheduled, plan, webhook)
        delivery.attempts = n
        delivery.last_status, delivery.last_error = attempt.status, attempt.error
        exhausted = False
        if attempt.ok:
            delivery.state, delivery.next_us = DeliveryState.DELIVERED, None
        elif attempt.error and attempt.error.startswith("blocked"):
            delivery.state, delivery.next_us = DeliveryState.FAILED, None
        else:
            delivery.next_us = schedule.due_us(delivery.event_us, n + 1)
            if delivery.next_us is None:
                delivery.state, exhausted = DeliveryState.FAILED, n == schedule.MAX_ATTEMPTS
        self._save(delivery, attempt)
        if delivery.state is DeliveryState.PENDING:
            self._queue.put(delivery)
        else:
            self._queue.remove(delivery.id)
        if webhook is not None and delivery.event_type != "webhook.ping" and (attempt.ok or exhausted):
            await self._store.record_outcome(
                delivery.tenant, webhook.id, exhausted=exhausted, disable_after=self.options.disable_after
            )
        log.info(
            "webhook %s %s attempt %d -> %s",
            delivery.event_type,
            delivery.url,
            n,
            attempt.status or attempt.error,
            extra={
                "event": "webhook",
                "delivery": delivery.id,
                "type": delivery.event_type,
                "subject": delivery.subject,
                "attempt": n,
                "status": attempt.status,
                "error": attempt.error,
            },
        )
        if attempt.ok and plan.duplicate:  # the receiver sees the same event twice
            again = await self._post(delivery, n, scheduled, Plan(labels=("duplicate",)), webhook)
            self._save(delivery, again)
        held = self._faults.released_by(delivery)
        waiting = self._queue.get(held) if held is not None else None
        if waiting is not None:  # a reordered event goes right after this one
            waiting.next_us = self._clock.now_us(waiting.tenant)
            self._save(waiting)
            self._queue.put(waiting)

    async def _post(self, delivery: Delivery, n: int, scheduled: int, plan: Plan, webhook: Webhook | None) -> Attempt:
        now_us = self._clock.now_us(delivery.tenant)
        real_us = wall_us()
        stamp = real_us // MICROS - plan.stale_s
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": delivery.id,
            "webhook-timestamp": str(stamp),
        }
        if webhook is not None:
            live = [s.value for s in webhook.live_secrets(now_us)]
            secrets = plan.secrets(live, [s.value for s in webhook.secrets], self._faults.seed)
            headers["webhook-signature"] = signing.signature_header(
                secrets, delivery.id, stamp, delivery.body, raw=self.options.raw_key
            )
        else:
            key = await self._key()
            claims = {
                "iss": self.options.issuer,
                "aud": delivery.url,
                "sub": delivery.subject,
                "iat": stamp,
                "exp": stamp + 300,
                "jti": delivery.id,
                "sha256": signing.body_hash(delivery.body),
            }
            token = signing.jwt(key, claims)
            headers["webhook-signature"] = plan.tamper(token)
        base = Attempt(
            delivery_id=delivery.id,
            n=n,
            scheduled_us=scheduled,
            sent_us=now_us,
            wall_us=real_us,
            url=delivery.url,
            headers=headers,
            body=delivery.body,
            status=None,
            latency_ms=0.0,
            faults=plan.labels,
        )
        if not outbound.allowed(delivery.url, self.options.allow):
            return replace(base, error="blocked: not in this emulator's --webhook-allow list (never sent)")
        if plan.drop:
            return replace(base, error="dropped by a fault: never sent")
        cap = self.options.max_response_bytes
        answer = await self._sender.post(delivery.url, headers, delivery.body, cap=cap, timeout=self.options.timeout)
        text = answer.body[: outbound.KEPT_BYTES].decode(errors="replace") or None
        return replace(base, status=answer.status, latency_ms=answer.latency_ms, error=answer.error, response=text)
