"""The SQLite backend of the `Store` port. One aiosqlite connection, one lock, explicit transactions.

A shared aiosqlite connection is one transaction context, so every operation runs under
`self._lock`. Rows map to the domain dataclasses in `rows.py` and nowhere else.

Point reads by key (`get_batch`, `get_file`, ...: what clients poll) take a second connection,
read-only and synchronous, on the event loop's thread. In WAL mode a reader never waits for the
writer and sees only committed transactions; a lookup by key takes microseconds, less than the
three thread hops (and the wait for the lock) of the same query through aiosqlite. The reader has
no busy timeout: should it ever find the database busy (recovery after a crash), the read is made
through aiosqlite instead, so the loop is never blocked waiting.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from emulator.batches.models import Batch, BatchState
from emulator.files.models import File, UploadSession
from emulator.ids import SHARED
from emulator.storage.rows import (
    INSERT_BATCH,
    INSERT_FILE,
    INSERT_UPLOAD,
    SELECT_BATCH,
    SELECT_FILE,
    SELECT_FILE_SEQ,
    SELECT_UPLOAD,
    UPDATE_BATCH,
    batch_of,
    batch_row,
    file_of,
    file_row,
    upload_of,
    upload_row,
)

SCHEMA_VERSION = 1
MEMORY = ":memory:"


class SqliteStore:
    """Async access to the emulator's tables (the `Store` port). Open with `await SqliteStore.open(path)`."""

    def __init__(self, db: aiosqlite.Connection, reader: sqlite3.Connection | None = None) -> None:
        self._db = db
        self._reader = reader
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> SqliteStore:
        """A store in the database file at `path`, or in memory with `":memory:"` (gone when closed;
        without the second reader, which would open a database of its own)."""
        db = await aiosqlite.connect(path, isolation_level=None)
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA foreign_keys=ON")
        store = cls(db)
        await store._migrate()
        if str(path) == MEMORY:
            return store
        reader = sqlite3.connect(path, isolation_level=None, timeout=0)
        reader.execute("PRAGMA query_only=ON")
        store._reader = reader
        return store

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        await self._db.close()

    async def _migrate(self) -> None:
        async with self._lock:
            (version,) = await self._one("PRAGMA user_version")
            if version == 0:
                schema = resources.files("emulator.storage").joinpath("schema.sql").read_text()
                await self._db.executescript(schema)
                await self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif version > SCHEMA_VERSION:
                raise RuntimeError(f"database schema {version} is newer than this emulator ({SCHEMA_VERSION})")

    async def _one(self, sql: str, params: Any = ()) -> Any:
        async with self._db.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def _all(self, sql: str, params: Any = ()) -> list[Any]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _read_one(self, sql: str, params: Any = ()) -> Any:
        """One row by key, through the reader (see the module's docstring)."""
        if self._reader is not None:
            try:
                rows = self._reader.execute(sql, params).fetchall()  # to the end: no read stays open
            except sqlite3.OperationalError:
                pass  # busy: read through the writer's connection instead
            else:
                return rows[0] if rows else None
        async with self._lock:
            return await self._one(sql, params)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    # -- counters -------------------------------------------------------------------------------
    async def next_counter(self, kind: str) -> int:
        async with self._transaction():
            row = await self._one(
                "INSERT INTO counters (kind, value) VALUES (?, 1) "
                "ON CONFLICT (kind) DO UPDATE SET value = value + 1 RETURNING value",
                (kind,),
            )
            return int(row[0])

    # -- files ----------------------------------------------------------------------------------
    async def file_id_taken(self, tenant: str, file_id: str) -> bool:
        """File names are unique per tenant; an upload in progress holds its name too."""
        async with self._lock:
            taken_file = await self._one("SELECT 1 FROM files WHERE tenant = ? AND id = ?", (tenant, file_id))
            taken_upload = await self._one("SELECT 1 FROM uploads WHERE tenant = ? AND file_id = ?", (tenant, file_id))
            return taken_file is not None or taken_upload is not None

    async def insert_file(self, file: File) -> None:
        async with self._lock:
            await self._db.execute(INSERT_FILE, file_row(file))

    async def get_file(self, tenant: str, file_id: str, alive_at: int | None = None) -> File | None:
        """A tenant's file, or a shared one of that id (the tenant's own first); with `alive_at`, only if
        it has not expired by then."""
        row = await self._read_one(
            SELECT_FILE + " WHERE id = ? AND tenant IN (?, ?) AND expire_us > ? ORDER BY tenant = ? LIMIT 1",
            (file_id, tenant, SHARED, -1 if alive_at is None else alive_at, SHARED),
        )
        return file_of(row) if row else None

    async def list_files(
        self, tenant: str, before_seq: int | None, limit: int, alive_at: int | None = None
    ) -> list[tuple[int, File]]:
        """Newest first, `limit` rows with `seq < before_seq` (the tenant's and the shared ones)."""
        async with self._lock:
            rows = await self._all(
                SELECT_FILE_SEQ + " WHERE tenant IN (?, ?) AND seq < ? AND expire_us > ? ORDER BY seq DESC LIMIT ?",
                (
                    tenant,
                    SHARED,
                    before_seq if before_seq is not None else 2**62,
                    -1 if alive_at is None else alive_at,
                    limit,
                ),
            )
        return [(row[-1], file_of(row[:-1])) for row in rows]

    async def storage_used(self, tenant: str, alive_at: int) -> int:
        """Bytes held by a tenant: its live files and the announced size of its uploads in progress."""
        async with self._lock:
            (files,) = await self._one(
                "SELECT COALESCE(SUM(size_bytes), 0) FROM files WHERE tenant = ? AND expire_us > ?", (tenant, alive_at)
            )
            (uploads,) = await self._one(
                "SELECT COALESCE(SUM(COALESCE(total_bytes, received_bytes)), 0) FROM uploads WHERE tenant = ?",
                (tenant,),
            )
        return int(files) + int(uploads)

    async def delete_expired_files(self, before_us: int) -> list[str]:
        """Remove files that expired before `before_us`; returns their blob keys."""
        async with self._transaction():
            rows = await self._all("SELECT blob FROM files WHERE expire_us <= ?", (before_us,))
            await self._db.execute("DELETE FROM files WHERE expire_us <= ?", (before_us,))
        return [row[0] for row in rows]

    async def delete_file(self, tenant: str, file_id: str) -> File | None:
        async with self._transaction():
            row = await self._one(SELECT_FILE + " WHERE id = ? AND tenant = ?", (file_id, tenant))
            if row is None:
                return None
            await self._db.execute("DELETE FROM files WHERE tenant = ? AND id = ?", (tenant, file_id))
            return file_of(row)

    # -- uploads --------------------------------------------------------------------------------
    async def insert_upload(self, upload: UploadSession) -> None:
        async with self._lock:
            await self._db.execute(INSERT_UPLOAD, upload_row(upload))

    async def get_upload(self, upload_id: str) -> UploadSession | None:
        row = await self._read_one(SELECT_UPLOAD + " WHERE id = ?", (upload_id,))
        return upload_of(row) if row else None

    async def set_upload_received(self, upload_id: str, received: int) -> None:
        async with self._lock:
            await self._db.execute("UPDATE uploads SET received_bytes = ? WHERE id = ?", (received, upload_id))

    async def delete_upload(self, upload_id: str) -> None:
        async with self._lock:
            await self._db.execute("DELETE FROM uploads WHERE id = ?", (upload_id,))

    async def complete_upload(self, upload_id: str, file: File) -> None:
        """The upload session becomes a file, atomically."""
        async with self._transaction():
            await self._db.execute("DELETE FROM uploads WHERE id = ?", (upload_id,))
            await self._db.execute(INSERT_FILE, file_row(file))

    # -- batches --------------------------------------------------------------------------------
    async def insert_batch(self, batch: Batch) -> None:
        async with self._lock:
            await self._db.execute(INSERT_BATCH, batch_row(batch))

    async def get_batch(self, tenant: str, batch_id: str) -> Batch | None:
        """A tenant's batch, or a shared one (batch names are global)."""
        row = await self._read_one(SELECT_BATCH + " WHERE id = ? AND tenant IN (?, ?)", (batch_id, tenant, SHARED))
        return batch_of(row)[1] if row else None

    async def find_batch(self, batch_id: str) -> Batch | None:
        """A batch whatever its tenant (for the control plane)."""
        row = await self._read_one(SELECT_BATCH + " WHERE id = ?", (batch_id,))
        return batch_of(row)[1] if row else None

    async def list_batches(self, tenant: str, before_seq: int | None, limit: int) -> list[tuple[int, Batch]]:
        """Newest first, as the real service lists them."""
        async with self._lock:
            rows = await self._all(
                SELECT_BATCH + " WHERE tenant IN (?, ?) AND seq < ? ORDER BY seq DESC LIMIT ?",
                (tenant, SHARED, before_seq if before_seq is not None else 2**62, limit),
            )
        return [batch_of(row) for row in rows]

    async def delete_batch(self, tenant: str, batch_id: str) -> Batch | None:
        async with self._transaction():
            row = await self._one(SELECT_BATCH + " WHERE id = ? AND tenant = ?", (batch_id, tenant))
            if row is None:
                return None
            await self._db.execute("DELETE FROM batches WHERE id = ?", (batch_id,))
            return batch_of(row)[1]

    async def count_active_batches(self, tenant: str) -> int:
        async with self._lock:
            (count,) = await self._one(
                "SELECT COUNT(*) FROM batches WHERE tenant = ? AND state IN (?, ?)",
                (tenant, str(BatchState.PENDING), str(BatchState.RUNNING)),
            )
        return int(count)

    async def all_files(self, tenant: str | None) -> list[File]:
        async with self._lock:
            where, params = (" WHERE tenant = ?", (tenant,)) if tenant else ("", ())
            rows = await self._all(SELECT_FILE + where + " ORDER BY seq", params)
        return [file_of(row) for row in rows]

    async def all_batches(self, tenant: str | None) -> list[Batch]:
        async with self._lock:
            where, params = (" WHERE tenant = ?", (tenant,)) if tenant else ("", ())
            rows = await self._all(SELECT_BATCH + where + " ORDER BY seq", params)
        return [batch_of(row)[1] for row in rows]

    async def reset(self, tenant: str | None) -> list[str]:
        """Delete a tenant's files, uploads and batches (everything, counters too, without a tenant).
        Returns the blob keys that are no longer referenced."""
        async with self._transaction():
            where, params = (" WHERE tenant = ?", (tenant,)) if tenant else ("", ())
            blobs = [r[0] for r in await self._all("SELECT blob FROM files" + where, params)]
            blobs += [r[0] for r in await self._all("SELECT blob FROM uploads" + where, params)]
            for row in await self._all("SELECT input_blob, output_blob, output_file FROM batches" + where, params):
                blobs.append(row[0])
                if row[2] is None:
                    blobs.append(row[1])
            for table in ("files", "uploads", "batches"):
                await self._db.execute(f"DELETE FROM {table}" + where, params)
            if tenant is None:
                await self._db.execute("DELETE FROM counters")
        return blobs

    async def get_meta(self, key: str) -> Any:
        async with self._lock:
            row = await self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(row[0]) if row else None

    async def set_meta(self, key: str, value: Any) -> None:
        async with self._lock:
            await self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    async def unfinished_batches(self) -> list[Batch]:
        """Batches the runner still owes work: not yet terminal, or terminal with outputs to write."""
        async with self._lock:
            rows = await self._all(SELECT_BATCH + " WHERE finalized = 0 ORDER BY seq")
        return [batch_of(row)[1] for row in rows]

    async def save_batch(self, batch: Batch, expect_state: BatchState) -> bool:
        """Write the batch's mutable fields if it is still in `expect_state` (and not deleted)."""
        async with self._lock:
            cursor = await self._db.execute(UPDATE_BATCH, {**batch_row(batch), "expect_state": str(expect_state)})
            return cursor.rowcount == 1

    async def mark_terminal(self, batch: Batch, expect_state: BatchState, error: dict[str, Any] | None) -> bool:
        """Move a batch to a terminal state without touching the runner's checkpoint columns."""
        async with self._lock:
            cursor = await self._db.execute(
                "UPDATE batches SET state = ?, update_us = ?, end_us = ?, error = ? WHERE id = ? AND state = ?",
                (
                    str(batch.state),
                    batch.update_us,
                    batch.end_us,
                    json.dumps(error) if error else None,
                    batch.id,
                    str(expect_state),
                ),
            )
            return cursor.rowcount == 1

    async def save_quirks(self, batch: Batch) -> bool:
        """Record a change in a batch's quirk state (e.g. a cancel the quirk swallowed)."""
        async with self._lock:
            cursor = await self._db.execute(
                "UPDATE batches SET quirks = ? WHERE id = ?", (json.dumps(batch.quirks or []), batch.id)
            )
            return cursor.rowcount == 1

    async def finalize_batch(self, batch: Batch, expect_state: BatchState, output: File | None) -> bool:
        """Record a batch's outputs (and its output file, if any) in one transaction."""
        async with self._transaction():
            cursor = await self._db.execute(UPDATE_BATCH, {**batch_row(batch), "expect_state": str(expect_state)})
            if cursor.rowcount != 1:
                return False
            if output is not None:
                await self._db.execute("DELETE FROM files WHERE tenant = ? AND id = ?", (output.tenant, output.id))
                await self._db.execute(INSERT_FILE, file_row(output))
            return True
