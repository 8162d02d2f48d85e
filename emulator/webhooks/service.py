"""The WebhookService (static webhooks per API key) and the events of finished batches.

`batch_finished` is called by the runner once a batch is terminal and its outputs are published;
it queues one durable delivery per target (the batch's own `webhookConfig.uris` if it has any, else
every enabled webhook of its key subscribed to the event). Batches that finished while the server
was stopping are found and announced at start-up (`recover`).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from emulator.batches.models import Batch
from emulator.clock import MICROS, Clock
from emulator.config import Settings
from emulator.errors import AlreadyExists, NotFound
from emulator.faults.rules import WebhookFault
from emulator.ids import base36, derive_rng, resource_id, stable_digest
from emulator.paging import Page, paginate
from emulator.storage.port import Store
from emulator.storage.webhooks import WebhookStore
from emulator.webhooks import events, signing
from emulator.webhooks.delivery import Dispatcher
from emulator.webhooks.models import (
    PING_EVENT,
    Attempt,
    Delivery,
    DeliveryState,
    Mode,
    Secret,
    Webhook,
    WebhookOptions,
    WebhookState,
)
from emulator.webhooks.receiver_faults import ReceiverFaults
from emulator.webhooks.wire import WebhookChange, WebhookInput

WEBHOOK_ID_LENGTH = 36
GRACE_US = 24 * 3600 * MICROS
Deliveries = list[tuple[Delivery, list[Attempt]]]


class WebhookService:
    def __init__(
        self,
        store: WebhookStore,
        counters: Store,
        clock: Clock,
        seed: int,
        options: WebhookOptions,
        *,
        fault_rules: Callable[[], tuple[WebhookFault, ...]] = tuple,
        fault_count: Callable[[str, str], int] | None = None,
        api_busy: Callable[[float], bool] = lambda seconds: False,
    ) -> None:
        self._store = store
        self._counters = counters
        self._clock = clock
        self._seed = seed
        self._key_task: asyncio.Task[signing.RsaKey] | None = None
        counts: Counter[tuple[str, str]] = Counter()

        def count(rule_id: str, tenant: str) -> int:  # when the emulator does not count them itself
            counts[(rule_id, tenant)] += 1
            return counts[(rule_id, tenant)]

        self.faults = ReceiverFaults(seed, fault_rules, fault_count or count)
        self.dispatcher = Dispatcher(store, clock, options, self.signing_key, self.faults, api_busy)

    @property
    def options(self) -> WebhookOptions:
        return self.dispatcher.options

    def use(self, options: WebhookOptions) -> None:
        self.dispatcher.options = options

    async def signing_key(self) -> signing.RsaKey:
        """The RSA key of dynamic webhooks, derived from the seed once, off the event loop."""
        if self._key_task is None:
            self._key_task = asyncio.ensure_future(asyncio.to_thread(signing.derive_key, self._seed))
        return await self._key_task

    async def jwks(self) -> dict[str, Any]:
        return signing.jwks(await self.signing_key())

    async def start(self) -> None:
        """Announce what finished while the server was down, then load the queue."""
        await self.recover()
        await self.dispatcher.load()

    async def recover(self) -> None:
        for batch in await self._store.unannounced_batches():
            await self.batch_finished(batch)

    # -- the API ---------------------------------------------------------------------------------
    async def create(self, tenant: str, given: WebhookInput, webhook_id: str | None = None) -> tuple[Webhook, str]:
        if webhook_id is None:
            n = await self._counters.next_counter("webhook")
            webhook_id = resource_id(self._seed, "webhook", n, WEBHOOK_ID_LENGTH)
        now = self._clock.now_us(tenant)
        secret = self._new_secret(tenant, webhook_id, now)
        webhook = Webhook(
            tenant=tenant,
            id=webhook_id,
            uri=given.uri,
            events=given.events,
            state=WebhookState.ENABLED,
            create_us=now,
            update_us=now,
            secrets=[Secret(secret, now)],
            name=given.name,
        )
        if not await self._store.insert_webhook(webhook):
            raise AlreadyExists(f"Webhook {webhook_id} already exists.")
        return webhook, secret

    async def get(self, tenant: str, webhook_id: str) -> Webhook:
        webhook = await self._store.get_webhook(tenant, webhook_id)
        if webhook is None:
            raise NotFound(f"Webhook {webhook_id} was not found.")
        return webhook

    async def list(self, tenant: str, page_size: int, token: int | None) -> Page[Webhook]:
        return paginate(await self._store.list_webhooks(tenant, token, page_size + 1), page_size)

    async def update(self, tenant: str, webhook_id: str, change: WebhookChange) -> Webhook:
        webhook = await self.get(tenant, webhook_id)
        if change.uri is not None:
            webhook.uri = change.uri
        if change.events is not None:
            webhook.events = change.events
        if change.name is not None:
            webhook.name = change.name or None
        if change.state is not None:
            webhook.state = change.state
            if change.state is WebhookState.ENABLED:
                webhook.failed_events = 0
        webhook.update_us = self._clock.now_us(tenant)
        if not await self._store.save_webhook(webhook):
            raise NotFound(f"Webhook {webhook_id} was not found.")
        return webhook

    async def delete(self, tenant: str, webhook_id: str) -> None:
        await self.dispatcher.flush()
        if not await self._store.delete_webhook(tenant, webhook_id):
            raise NotFound(f"Webhook {webhook_id} was not found.")
        self.dispatcher.wake()

    async def rotate(self, tenant: str, webhook_id: str, revocation: str) -> str:
        """A new secret; the previous ones stop signing now, or in 24 hours (both sign meanwhile)."""
        webhook = await self.get(tenant, webhook_id)
        now = self._clock.now_us(tenant)
        expire = now if revocation.endswith("immediately") else now + GRACE_US
        kept = [
            s if s.expire_us is not None and s.expire_us <= expire else Secret(s.value, s.create_us, expire)
            for s in webhook.secrets
        ]
        secret = self._new_secret(tenant, webhook_id, now, len(webhook.secrets))
        webhook.secrets = [*kept[-4:], Secret(secret, now)]
        webhook.update_us = now
        await self._store.save_webhook(webhook)
        return secret

    async def ping(self, tenant: str, webhook_id: str) -> None:
        """Send the webhook a `webhook.ping` event (the emulator's choice of what a ping delivers)."""
        webhook = await self.get(tenant, webhook_id)
        now = self._clock.now_us(tenant)
        n = await self._counters.next_counter("webhook-ping")
        delivery = self._delivery(
            tenant,
            PING_EVENT,
            webhook.id,
            f"ping-{n}",
            webhook.uri,
            Mode.STATIC,
            events.ping_payload(webhook.id, now),
            now,
            webhook_id=webhook.id,
        )
        await self._store.insert_delivery(delivery)
        self.dispatcher.add([delivery])

    # -- events ----------------------------------------------------------------------------------
    async def batch_finished(self, batch: Batch) -> None:
        event_type = events.batch_event_type(batch, cancelled_events=self.options.cancelled_events)
        deliveries: list[Delivery] = []
        # The retry schedule counts from when the emulator learns of the end (after a clock jump,
        # the batch may have ended hours of emulated time before): the first attempt goes at once.
        event_us = self._clock.now_us(batch.tenant)
        if event_type is not None:
            targets = events.dynamic_targets(batch)
            if targets is not None:
                body = events.payload(event_type, batch, user_metadata=targets.user_metadata)
                for uri in targets.uris:
                    deliveries.append(
                        self._delivery(batch.tenant, event_type, batch.name, uri, uri, Mode.DYNAMIC, body, event_us)
                    )
            else:
                body = events.payload(event_type, batch)
                for webhook in await self._store.all_webhooks(batch.tenant):
                    if webhook.state is WebhookState.ENABLED and event_type in webhook.events:
                        deliveries.append(
                            self._delivery(
                                batch.tenant,
                                event_type,
                                batch.name,
                                webhook.id,
                                webhook.uri,
                                Mode.STATIC,
                                body,
                                event_us,
                                webhook_id=webhook.id,
                            )
                        )
        if await self._store.announce(batch.id, deliveries):
            self.dispatcher.add(deliveries)

    # -- seeing it -------------------------------------------------------------------------------
    async def deliveries(self, filters: dict[str, str], limit: int = 100) -> Deliveries:
        await self.dispatcher.flush()  # attempts made are recorded a few at a time
        found = await self._store.list_deliveries(filters, limit)
        attempts = await self._store.attempts_of([d.id for d in found])
        return [(d, attempts[d.id]) for d in found]

    async def delivery(self, delivery_id: str) -> tuple[Delivery, Sequence[Attempt]]:
        await self.dispatcher.flush()
        found = await self._store.get_delivery(delivery_id)
        if found is None:
            raise NotFound(f"Delivery {delivery_id} was not found.")
        return found, (await self._store.attempts_of([found.id]))[found.id]

    async def redeliver(self, delivery_id: str) -> Delivery:
        """One more attempt now, with the same `webhook-id` (whatever the delivery's state)."""
        delivery, _ = await self.delivery(delivery_id)
        delivery.state = DeliveryState.PENDING
        delivery.next_us = self._clock.now_us(delivery.tenant)
        await self._store.save_delivery(delivery)
        self.dispatcher.add([delivery])
        return delivery

    async def signing_secrets(self, tenant: str, uri: str | None = None) -> Sequence[str]:
        """The secrets that sign now for a key's webhooks (those sending to `uri`): for test receivers,
        which may then verify deliveries to webhooks a test created through an SDK."""
        now = self._clock.now_us(tenant)
        return [
            s.value
            for webhook in await self._store.all_webhooks(tenant)
            if uri is None or webhook.uri == uri
            for s in webhook.live_secrets(now)
        ]

    async def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Deliveries by state (every state, zeros too) and attempts by outcome, for metrics."""
        await self.dispatcher.flush()
        states, outcomes = await self._store.counts()
        return {str(s): states.get(str(s), 0) for s in DeliveryState}, outcomes

    async def reset(self, tenant: str | None) -> None:
        await self.dispatcher.flush()
        await self._store.reset(tenant)
        if tenant is None:
            self.faults.reset()
        await self.dispatcher.load()

    async def settle(self) -> None:
        await self.dispatcher.settle()

    # -- helpers ---------------------------------------------------------------------------------
    def _new_secret(self, tenant: str, webhook_id: str, now_us: int, n: int = 0) -> str:
        return signing.new_secret(derive_rng(self._seed, "webhook-secret", tenant, webhook_id, str(now_us), str(n)))

    def _delivery(
        self,
        tenant: str,
        event_type: str,
        subject: str,
        target: str,
        url: str,
        mode: Mode,
        body: bytes,
        event_us: int,
        *,
        webhook_id: str | None = None,
    ) -> Delivery:
        digest = stable_digest(str(self._seed), tenant, event_type, subject, target)
        return Delivery(
            id="msg_" + base36(digest, 26),
            tenant=tenant,
            event_type=event_type,
            subject=subject,
            url=url,
            mode=mode,
            body=body,
            event_us=event_us,
            create_us=self._clock.now_us(tenant),
            next_us=event_us,
            webhook_id=webhook_id,
        )


def options_from(settings: Settings) -> WebhookOptions:
    """The settings' webhook options (`webhook_*`)."""
    return WebhookOptions(
        allow=settings.webhook_allow,
        cancelled_events=settings.webhook_cancelled_events,
        timeout=settings.webhook_timeout,
        pace=settings.webhook_pace,
        disable_after=settings.webhook_disable_after,
        issuer=settings.webhook_issuer,
        raw_key=settings.webhook_raw_key,
    )
