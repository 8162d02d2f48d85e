"""The composition root: one `Emulator` owns the store, clock, responder, runner and services.

No module-level state: a test can run many emulators in one process, each with its own settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from emulator.batches.runner import JobRunner
from emulator.batches.service import BatchesService
from emulator.clock import Clock, SystemClock
from emulator.config import Settings
from emulator.files.service import FilesService
from emulator.responder import Responder, build_responder
from emulator.storage.blobs import BlobStore
from emulator.storage.sqlite import SqliteStore

DATABASE_FILE = "emulator.sqlite3"


class Emulator:
    """Build with `Emulator(settings)`, then use `async with emulator.running(): ...`.

    `files`, `batches` and `runner` exist only while running.
    """

    def __init__(self, settings: Settings, *, clock: Clock | None = None, responder: Responder | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.responder: Responder = responder or build_responder(settings)
        self.data_dir: Path | None = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Emulator]:
        """Open storage, start the background runner; undo both on exit."""
        temp = None
        if self.settings.data_dir is None:
            temp = tempfile.mkdtemp(prefix="gemini-emulator-")
            data_dir = Path(temp)
        else:
            data_dir = self.settings.data_dir
            data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        store = await SqliteStore.open(data_dir / DATABASE_FILE)
        blobs = BlobStore(data_dir / "blobs")
        self.store = store
        self.runner = JobRunner(store, blobs, self.clock, self.responder, self.settings)
        self.files = FilesService(store, blobs, self.clock, self.settings)
        self.batches = BatchesService(store, blobs, self.clock, self.runner, self.settings)
        task = asyncio.create_task(self.runner.run_forever(), name="gemini-emulator-runner")
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await store.close()
            if temp is not None:
                shutil.rmtree(temp, ignore_errors=True)
