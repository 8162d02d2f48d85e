"""The webhook tables' schema, made ready at start-up without the webhook modules: `prepare` creates
the tables (`CREATE ... IF NOT EXISTS`; the first time, every batch that had already finished counts
as announced, so upgrading a database sends no old events) and says whether they hold anything the
webhook service must resume. When they do not, its modules are imported on first use.
"""

from __future__ import annotations

from emulator.batches.models import TERMINAL_STATES
from emulator.storage.sqlite import SqliteStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS webhooks (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant        TEXT NOT NULL,
    id            TEXT NOT NULL,
    name          TEXT,
    uri           TEXT NOT NULL,
    events        TEXT NOT NULL,
    state         TEXT NOT NULL,
    create_us     INTEGER NOT NULL,
    update_us     INTEGER NOT NULL,
    secrets       TEXT NOT NULL,
    failed_events INTEGER NOT NULL DEFAULT 0,
    UNIQUE (tenant, id)
);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    tenant      TEXT NOT NULL,
    webhook_id  TEXT,
    event_type  TEXT NOT NULL,
    subject     TEXT NOT NULL,
    url         TEXT NOT NULL,
    mode        TEXT NOT NULL,
    body        BLOB NOT NULL,
    event_us    INTEGER NOT NULL,
    create_us   INTEGER NOT NULL,
    next_us     INTEGER,
    state       TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_error  TEXT
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_pending ON webhook_deliveries (next_us) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_tenant ON webhook_deliveries (tenant, seq);
CREATE TABLE IF NOT EXISTS webhook_attempts (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id  TEXT NOT NULL,
    n            INTEGER NOT NULL,
    scheduled_us INTEGER NOT NULL,
    sent_us      INTEGER NOT NULL,
    wall_us      INTEGER NOT NULL,
    url          TEXT NOT NULL,
    headers      TEXT NOT NULL,
    body         BLOB NOT NULL,
    status       INTEGER,
    latency_ms   REAL NOT NULL,
    error        TEXT,
    response     TEXT,
    faults       TEXT
);
CREATE INDEX IF NOT EXISTS webhook_attempts_by_delivery ON webhook_attempts (delivery_id, seq);
"""
ANNOUNCED = "CREATE TABLE webhook_announced (batch_id TEXT PRIMARY KEY)"
TERMINAL = tuple(str(s) for s in TERMINAL_STATES)
# Finished batches whose events were never queued (the server stopped in between).
UNANNOUNCED = (
    "finalized = 1 AND state IN (?, ?, ?, ?) AND "
    "NOT EXISTS (SELECT 1 FROM webhook_announced a WHERE a.batch_id = batches.id)"
)
_ANYTHING = (
    "SELECT EXISTS (SELECT 1 FROM webhooks) OR EXISTS (SELECT 1 FROM webhook_deliveries) "
    f"OR EXISTS (SELECT 1 FROM batches WHERE {UNANNOUNCED})"
)


async def prepare(store: SqliteStore) -> bool:
    """Create the webhook tables if missing; whether they hold a webhook, a delivery, or a finished
    batch whose events were never queued."""
    db = store._db
    async with store._lock:
        await db.executescript(SCHEMA)
        exists = await store._one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'webhook_announced'")
        if exists is None:
            await db.execute("BEGIN IMMEDIATE")
            await db.execute(ANNOUNCED)
            await db.execute("INSERT INTO webhook_announced (batch_id) SELECT id FROM batches WHERE finalized = 1")
            await db.execute("COMMIT")
        row = await store._one(_ANYTHING, TERMINAL)
    return bool(row[0])
