"""The dispatcher: sends due deliveries, off the request path, and records every attempt.

Deliveries are queued in SQLite (durable) and mirrored here in memory, so deciding what is due costs
no query. A delivery is due when its tenant's emulated clock reaches its `next_us`; attempts of one
delivery never overlap, at most `concurrency` attempts are in flight, and at most `PER_HOST` to one
host, so a receiver that hangs (until the timeout) holds up only its own deliveries.

Outbound safety: http and https only, the `allow` list, a timeout per attempt, no redirects followed
(a 3xx is a failed attempt), and at most `max_response_bytes` of an answer read.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import ipaddress
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from emulator.clock import MICROS, Clock, wall_us
from emulator.storage.webhooks import WebhookStore
from emulator.webhooks import schedule, signing
from emulator.webhooks.models import Attempt, Delivery, DeliveryState, Mode, Webhook, WebhookOptions, WebhookState
from emulator.webhooks.receiver_faults import Plan, ReceiverFaults

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("emulator.webhooks")

PER_HOST = 4
RECHECK = 0.5  # real seconds
USER_AGENT = "gemini-batch-emulator-webhooks"
KeySource = Callable[[], Awaitable[signing.RsaKey]]


def allowed(url: str, patterns: tuple[str, ...]) -> bool:
    """Whether the allow-list lets deliveries go to `url` (http or https only). `loopback` allows
    `localhost` and loopback addresses (127.0.0.0/8, ::1) written as such, never a name that merely
    starts with 127; `*` allows anywhere; a pattern with `://` is matched against the whole URL, any
    other against the host and `host:port` (globs, e.g. `*.internal:8080`)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # an unparseable URL (a bad IPv6 literal, a port out of range)
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    for pattern in patterns:
        if pattern == "loopback":
            if _loopback(host):
                return True
        elif "://" in pattern:
            if fnmatch.fnmatchcase(url, pattern):
                return True
        elif fnmatch.fnmatchcase(host, pattern) or fnmatch.fnmatchcase(f"{host}:{port}", pattern):
            return True
    return False


def _netloc(url: str) -> str:
    try:
        return urlsplit(url).netloc
    except ValueError:
        return url


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Dispatcher:
    def __init__(
        self,
        store: WebhookStore,
        clock: Clock,
        options: WebhookOptions,
        key: KeySource,
        faults: ReceiverFaults,
    ) -> None:
        self._store = store
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
        self._client: httpx.AsyncClient | None = None  # made on the first attempt (httpx is imported then)

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
        if self._client is not None:
            await self._client.aclose()

    async def run_forever(self) -> None:
        while True:
            self._wake.clear()
            try:
                started, wait = self._start_due()
            except Exception:  # the dispatcher must outlive any one bad step
                log.exception("webhook dispatch failed")
                started, wait = 0, 1.0
            if not started and not self._in_flight:
                self._quiet.set()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
            except TimeoutError:
                pass

    def _start_due(self) -> tuple[int, float | None]:
        """Start every due attempt there is room for. Returns how many started, and the real seconds
        until the next one is due (at most `RECHECK` while one waits for a manual clock: moving
        it wakes the dispatcher, and this is the net under any move that does not)."""
        started = 0
        room = self.options.concurrency - len(self._in_flight)
        if room > 0:
            later = []
            for delivery in self._queue.take_due(self._clock.now_us, limit=4 * self.options.concurrency):
                host = _netloc(delivery.url)
                if delivery.id in self._in_flight:
                    continue  # put back by its attempt when it ends
                if started >= room or self._hosts[host] >= PER_HOST:
                    later.append(delivery)  # started when an attempt in flight ends (it wakes the loop)
                    continue
                self._in_flight.add(delivery.id)
                self._hosts[host] += 1
                started += 1
                task = asyncio.create_task(self._attempt(delivery, host), name=f"webhook {delivery.id}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            for delivery in later:
                self._queue.put(delivery)
        wait: float | None = None
        for tenant, due in self._queue.next_due():
            seconds = self._clock.real_seconds_until(due, tenant)
            wait = min(wait if wait is not None else RECHECK, seconds)
        return started, wait

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
                await self._store.save_delivery(delivery)
                self._queue.remove(delivery.id)
                return
        n = delivery.attempts + 1
        scheduled = delivery.next_us or 0
        plan = self._faults.plan(delivery, n)
        if plan.hold_us:
            delivery.next_us = scheduled + plan.hold_us  # a delayed delivery: not sent, not counted
            await self._store.save_delivery(delivery)
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
        await self._store.record_attempt(delivery, attempt)
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
            await self._store.record_attempt(delivery, again)
        held = self._faults.released_by(delivery)
        waiting = self._queue.get(held) if held is not None else None
        if waiting is not None:  # a reordered event goes right after this one
            waiting.next_us = self._clock.now_us(waiting.tenant)
            await self._store.save_delivery(waiting)
            self._queue.put(waiting)

    async def _post(self, delivery: Delivery, n: int, scheduled: int, plan: Plan, webhook: Webhook | None) -> Attempt:
        now_us = self._clock.now_us(delivery.tenant)
        real_us = wall_us()
        stamp = real_us // MICROS - plan.stale_s
        headers = {
            "content-type": "application/json",
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
        if not allowed(delivery.url, self.options.allow):
            return replace(base, error="blocked: not in this emulator's --webhook-allow list (never sent)")
        if plan.drop:
            return replace(base, error="dropped by a fault: never sent")
        import httpx

        started = time.perf_counter()
        try:
            status, text = await asyncio.wait_for(
                self._send(delivery.url, headers, delivery.body), self.options.timeout
            )
        except TimeoutError:
            error = f"no answer within {self.options.timeout:g} s"
            return replace(base, latency_ms=_ms(started), error=error)
        except httpx.HTTPError as exc:
            return replace(base, latency_ms=_ms(started), error=f"{type(exc).__name__}: {exc}")
        return replace(base, status=status, latency_ms=_ms(started), response=text or None)

    async def _send(self, url: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        """POST, and read at most `max_response_bytes` of the answer."""
        cap = self.options.max_response_bytes
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                follow_redirects=False, trust_env=False, headers={"user-agent": USER_AGENT}
            )
        async with self._client.stream("POST", url, content=body, headers=headers) as response:
            kept = bytearray()
            async for chunk in response.aiter_raw():
                kept += chunk[: cap - len(kept)]
                if len(kept) >= cap:
                    break
            return response.status_code, kept[:1024].decode(errors="replace")


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
