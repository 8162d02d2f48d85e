"""The webhook tables: static webhooks, the delivery queue, every attempt, and which finished batches
have had their events queued. They live in the emulator's one SQLite database, on its connection
and under its lock (`SqliteStore`), so a delivery is durable as soon as it is queued.

The tables are created by `webhook_tables.prepare` (at start-up, or by `WebhookStore.open`).
"""

from __future__ import annotations

import json
from typing import Any

from emulator.batches.models import Batch
from emulator.storage.rows import SELECT_BATCH, batch_of
from emulator.storage.sqlite import SqliteStore
from emulator.storage.webhook_tables import TERMINAL, UNANNOUNCED, prepare
from emulator.webhooks.models import Attempt, Delivery, DeliveryState, Mode, Secret, Webhook, WebhookState

_WEBHOOK_COLS = ("tenant", "id", "name", "uri", "events", "state", "create_us", "update_us", "secrets", "failed_events")
_DELIVERY_COLS = (
    "id",
    "tenant",
    "webhook_id",
    "event_type",
    "subject",
    "url",
    "mode",
    "body",
    "event_us",
    "create_us",
    "next_us",
    "state",
    "attempts",
    "last_status",
    "last_error",
)
_ATTEMPT_COLS = (
    "delivery_id",
    "n",
    "scheduled_us",
    "sent_us",
    "wall_us",
    "url",
    "headers",
    "body",
    "status",
    "latency_ms",
    "error",
    "response",
    "faults",
)
SELECT_WEBHOOK = f"SELECT {', '.join(_WEBHOOK_COLS)}, seq FROM webhooks"
SELECT_DELIVERY = f"SELECT {', '.join(_DELIVERY_COLS)}, seq FROM webhook_deliveries"
SELECT_ATTEMPT = f"SELECT {', '.join(_ATTEMPT_COLS)} FROM webhook_attempts"
INSERT_DELIVERY = (
    f"INSERT OR IGNORE INTO webhook_deliveries ({', '.join(_DELIVERY_COLS)}) "
    f"VALUES ({', '.join(':' + c for c in _DELIVERY_COLS)})"
)


def _webhook_row(webhook: Webhook) -> dict[str, Any]:
    row = {c: getattr(webhook, c) for c in _WEBHOOK_COLS if c not in ("events", "secrets", "state")}
    row["events"] = json.dumps(list(webhook.events))
    row["state"] = str(webhook.state)
    row["secrets"] = json.dumps([[s.value, s.create_us, s.expire_us] for s in webhook.secrets])
    return row


def _webhook(row: Any) -> tuple[int, Webhook]:
    values = dict(zip(_WEBHOOK_COLS, row[:-1], strict=True))
    values["events"] = tuple(json.loads(values["events"]))
    values["state"] = WebhookState(values["state"])
    values["secrets"] = [Secret(v, c, e) for v, c, e in json.loads(values["secrets"])]
    return row[-1], Webhook(**values)


def _delivery_row(delivery: Delivery) -> dict[str, Any]:
    row = {c: getattr(delivery, c) for c in _DELIVERY_COLS}
    row["mode"], row["state"] = str(delivery.mode), str(delivery.state)
    return row


def _delivery(row: Any) -> Delivery:
    values = dict(zip(_DELIVERY_COLS, row[:-1], strict=True))
    values["mode"] = Mode(values["mode"])
    values["state"] = DeliveryState(values["state"])
    values["body"] = bytes(values["body"])
    return Delivery(**values, seq=row[-1])


_UPDATE_DELIVERY = (
    "UPDATE webhook_deliveries SET next_us = ?, state = ?, attempts = ?, last_status = ?, last_error = ? WHERE id = ?"
)


def _delivery_update(d: Delivery) -> tuple[Any, ...]:
    return (d.next_us, str(d.state), d.attempts, d.last_status, d.last_error, d.id)


def _attempt(row: Any) -> Attempt:
    values = dict(zip(_ATTEMPT_COLS, row, strict=True))
    values["headers"] = json.loads(values["headers"])
    values["body"] = bytes(values["body"])
    values["faults"] = tuple(json.loads(values["faults"] or "[]"))
    return Attempt(**values)


class WebhookStore:
    """Webhook persistence on the emulator's `SqliteStore` (its connection, its lock)."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self._db = store._db
        self._lock = store._lock

    @classmethod
    async def open(cls, store: SqliteStore) -> WebhookStore:
        await prepare(store)
        return cls(store)

    # -- webhooks --------------------------------------------------------------------------------
    async def insert_webhook(self, webhook: Webhook) -> bool:
        """False if the tenant already has a webhook with this id."""
        cols = _WEBHOOK_COLS
        async with self._lock:
            cursor = await self._db.execute(
                f"INSERT OR IGNORE INTO webhooks ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})",
                _webhook_row(webhook),
            )
            return cursor.rowcount == 1

    async def get_webhook(self, tenant: str, webhook_id: str) -> Webhook | None:
        """Through the store's reader (a point read by key: no lock, no thread hop)."""
        row = await self._store._read_one(SELECT_WEBHOOK + " WHERE tenant = ? AND id = ?", (tenant, webhook_id))
        return _webhook(row)[1] if row else None

    async def list_webhooks(self, tenant: str, before_seq: int | None, limit: int) -> list[tuple[int, Webhook]]:
        async with self._lock:
            rows = await self._store._all(
                SELECT_WEBHOOK + " WHERE tenant = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                (tenant, before_seq if before_seq is not None else 2**62, limit),
            )
        return [_webhook(row) for row in rows]

    async def all_webhooks(self, tenant: str | None) -> list[Webhook]:
        where, params = (" WHERE tenant = ?", (tenant,)) if tenant else ("", ())
        async with self._lock:
            rows = await self._store._all(SELECT_WEBHOOK + where + " ORDER BY seq", params)
        return [_webhook(row)[1] for row in rows]

    async def save_webhook(self, webhook: Webhook) -> bool:
        sets = ", ".join(f"{c} = :{c}" for c in _WEBHOOK_COLS if c not in ("tenant", "id", "create_us"))
        async with self._lock:
            cursor = await self._db.execute(
                f"UPDATE webhooks SET {sets} WHERE tenant = :tenant AND id = :id", _webhook_row(webhook)
            )
            return cursor.rowcount == 1

    async def delete_webhook(self, tenant: str, webhook_id: str) -> bool:
        """Delete it, and give up its deliveries still pending."""
        async with self._store._transaction():
            cursor = await self._db.execute("DELETE FROM webhooks WHERE tenant = ? AND id = ?", (tenant, webhook_id))
            await self._db.execute(
                "UPDATE webhook_deliveries SET state = ?, next_us = NULL "
                "WHERE tenant = ? AND webhook_id = ? AND state = ?",
                (str(DeliveryState.CANCELLED), tenant, webhook_id, str(DeliveryState.PENDING)),
            )
            return cursor.rowcount == 1

    async def record_outcome(self, tenant: str, webhook_id: str, *, exhausted: bool, disable_after: int) -> None:
        """Count an event whose deliveries ran out of retries (disabling the webhook at the
        threshold), or, after a success, start counting again."""
        async with self._lock:
            if exhausted:
                await self._db.execute(
                    "UPDATE webhooks SET failed_events = failed_events + 1, "
                    "state = CASE WHEN failed_events + 1 >= ? AND state = ? THEN ? ELSE state END "
                    "WHERE tenant = ? AND id = ?",
                    (disable_after, str(WebhookState.ENABLED), str(WebhookState.FAILING), tenant, webhook_id),
                )
            else:
                await self._db.execute(
                    "UPDATE webhooks SET failed_events = 0 WHERE tenant = ? AND id = ? AND failed_events > 0",
                    (tenant, webhook_id),
                )

    # -- events and deliveries -------------------------------------------------------------------
    async def announce(self, batch_id: str, deliveries: list[Delivery]) -> bool:
        """Queue a finished batch's deliveries, once: False if its events were queued already."""
        async with self._store._transaction():
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO webhook_announced (batch_id) VALUES (?)", (batch_id,)
            )
            if cursor.rowcount != 1:
                return False
            for delivery in deliveries:
                await self._db.execute(INSERT_DELIVERY, _delivery_row(delivery))
            return True

    async def unannounced_batches(self) -> list[Batch]:
        """Finished batches whose events were never queued (the server stopped in between)."""
        async with self._lock:
            rows = await self._store._all(SELECT_BATCH + f" WHERE {UNANNOUNCED} ORDER BY seq", TERMINAL)
        return [batch_of(row)[1] for row in rows]

    async def insert_delivery(self, delivery: Delivery) -> None:
        async with self._lock:
            await self._db.execute(INSERT_DELIVERY, _delivery_row(delivery))

    async def pending(self, limit: int) -> list[Delivery]:
        """Deliveries waiting for an attempt, soonest first."""
        async with self._lock:
            rows = await self._store._all(
                SELECT_DELIVERY + " WHERE state = ? ORDER BY next_us, seq LIMIT ?", (str(DeliveryState.PENDING), limit)
            )
        return [_delivery(row) for row in rows]

    async def get_delivery(self, delivery_id: str) -> Delivery | None:
        async with self._lock:
            row = await self._store._one(SELECT_DELIVERY + " WHERE id = ?", (delivery_id,))
        return _delivery(row) if row else None

    async def record_attempts(self, records: list[tuple[Delivery, Attempt | None]]) -> None:
        """Attempts and the deliveries' states after each (in order), in one transaction."""
        rows = []
        for _, attempt in records:
            if attempt is not None:
                row = {c: getattr(attempt, c) for c in _ATTEMPT_COLS}
                row["headers"] = json.dumps(attempt.headers)
                row["faults"] = json.dumps(list(attempt.faults)) if attempt.faults else None
                rows.append(row)
        async with self._store._transaction():
            if rows:
                await self._db.executemany(
                    f"INSERT INTO webhook_attempts ({', '.join(_ATTEMPT_COLS)}) "
                    f"VALUES ({', '.join(':' + c for c in _ATTEMPT_COLS)})",
                    rows,
                )
            await self._db.executemany(_UPDATE_DELIVERY, [_delivery_update(d) for d, _ in records])

    async def save_delivery(self, delivery: Delivery) -> None:
        async with self._lock:
            await self._update_delivery(delivery)

    async def _update_delivery(self, delivery: Delivery) -> None:
        await self._db.execute(_UPDATE_DELIVERY, _delivery_update(delivery))

    async def list_deliveries(self, filters: dict[str, str], limit: int) -> list[Delivery]:
        """Newest first; `filters` on tenant, webhook_id, event_type, subject, state, mode (exact)."""
        allowed = ("tenant", "webhook_id", "event_type", "subject", "state", "mode")
        where = [f"{c} = ?" for c in allowed if c in filters]
        params: list[Any] = [filters[c] for c in allowed if c in filters]
        sql = SELECT_DELIVERY + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq DESC LIMIT ?"
        async with self._lock:
            rows = await self._store._all(sql, (*params, limit))
        return [_delivery(row) for row in rows]

    async def attempts_of(self, delivery_ids: list[str]) -> dict[str, list[Attempt]]:
        if not delivery_ids:
            return {}
        marks = ", ".join("?" for _ in delivery_ids)
        async with self._lock:
            rows = await self._store._all(
                SELECT_ATTEMPT + f" WHERE delivery_id IN ({marks}) ORDER BY seq", delivery_ids
            )
        out: dict[str, list[Attempt]] = {d: [] for d in delivery_ids}
        for row in rows:
            attempt = _attempt(row)
            out[attempt.delivery_id].append(attempt)
        return out

    async def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Deliveries by state, and attempts by outcome (`2xx`, `4xx`, `5xx`, `error`), for metrics."""
        async with self._lock:
            states = await self._store._all("SELECT state, COUNT(*) FROM webhook_deliveries GROUP BY state")
            outcomes = await self._store._all(
                "SELECT CASE WHEN status IS NULL THEN 'error' ELSE (status / 100) || 'xx' END, COUNT(*) "
                "FROM webhook_attempts GROUP BY 1"
            )
        return {str(k): int(n) for k, n in states}, {str(k): int(n) for k, n in outcomes}

    async def reset(self, tenant: str | None) -> None:
        """Forget a tenant's webhooks and deliveries (everyone's, without a tenant)."""
        async with self._store._transaction():
            if tenant is None:
                for table in ("webhooks", "webhook_deliveries", "webhook_attempts", "webhook_announced"):
                    await self._db.execute(f"DELETE FROM {table}")
                return
            await self._db.execute(
                "DELETE FROM webhook_attempts "
                "WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE tenant = ?)",
                (tenant,),
            )
            await self._db.execute("DELETE FROM webhook_deliveries WHERE tenant = ?", (tenant,))
            await self._db.execute("DELETE FROM webhooks WHERE tenant = ?", (tenant,))
            await self._db.execute(
                "DELETE FROM webhook_announced WHERE batch_id NOT IN (SELECT id FROM batches)",
            )
