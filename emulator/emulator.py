"""The composition root: one `Emulator` owns the store, clock, fault book, journal, responder, runner and services.

No module-level state: a test can run many emulators in one process, each with its own settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from emulator.batches.runner import JobRunner
from emulator.batches.service import BatchesService
from emulator.config import ConfigError, Settings
from emulator.control.service import ControlService, clock_for, restore_clock
from emulator.errors import InvalidArgument
from emulator.faults.book import FaultBook
from emulator.files.service import FilesService
from emulator.generation.catalogue import DEFAULT_CATALOGUE, Catalogue, load_catalogue
from emulator.observability.journal import Journal
from emulator.observability.metrics import Metrics
from emulator.responder import Responder
from emulator.responder.registry import build_responder
from emulator.storage.blobs import BlobStore
from emulator.storage.port import Store
from emulator.storage.sqlite import SqliteStore
from emulator.storage.webhook_tables import prepare as prepare_webhooks

if TYPE_CHECKING:
    from emulator.batches.models import Batch
    from emulator.openai.service import OpenAIService
    from emulator.validation.validator import Validator
    from emulator.webhooks.service import WebhookService

DATABASE_FILE = "emulator.sqlite3"


class Emulator:
    """Build with `Emulator(settings)`, then use `async with emulator.running(): ...`.

    `store`, `files`, `batches`, `runner` and `control` (the control plane's service: reset, run-time
    configuration, the clock, fault rules, ...) exist only while running. The quota book is the batch
    service's (`batches.quotas`): made at start-up only with a tier or limits, else on first use.
    """

    def __init__(self, settings: Settings, *, responder: Responder | None = None) -> None:
        self.settings = settings
        self.clock = clock_for(settings)
        self.faults = FaultBook(settings.seed, settings.faults, settings.request_error_rate)
        self.journal = Journal()
        self.metrics = Metrics()
        self.catalogue = _catalogue(settings)
        self.responder: Responder = responder or build_responder(settings, self.catalogue.image_models())
        self.data_dir: Path | None = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Emulator]:
        """Open storage, restore the clock, start the background runner; undo all of it on exit."""
        temp = None
        if self.settings.data_dir is None:
            temp = tempfile.mkdtemp(prefix="gemini-emulator-")
            data_dir = Path(temp)
        else:
            data_dir = self.settings.data_dir
            data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        sqlite = await SqliteStore.open(data_dir / DATABASE_FILE)
        store: Store = sqlite
        blobs = BlobStore(data_dir / "blobs")
        self.store = store
        self.blobs = blobs
        await restore_clock(store, self.clock)
        self.runner = JobRunner(
            store, blobs, self.clock, self.responder, self.settings, self.faults, validator=lambda: self.validator
        )
        self.files = FilesService(store, blobs, self.clock, self.settings)
        self.batches = BatchesService(store, blobs, self.clock, self.runner, self.faults, self.settings)
        self._sqlite, self._started_with = sqlite, self.settings
        self._webhooks: WebhookService | None = None
        self._deliveries: asyncio.Task[None] | None = None
        self.runner.on_finished = self._batch_finished
        self.control = ControlService(
            settings=self.settings,
            data_dir=data_dir,
            clock=self.clock,
            faults=self.faults,
            journal=self.journal,
            responder=self.responder,
            store=store,
            blobs=blobs,
            files=self.files,
            batches=self.batches,
            runner=self.runner,
            webhooks=lambda: self._webhooks,
            publish=self._use,
        )
        task = asyncio.create_task(self.runner.run_forever(), name="gemini-emulator-runner")
        if await prepare_webhooks(sqlite):  # else the webhook service is made on first use
            await self.webhooks.start()  # events of batches that ended just before a stop, then the queue
        try:
            if self.settings.seed_file is not None:
                await self.control.load_seed_file(self.settings.seed_file)
            yield self
        finally:
            for running in (self._deliveries, task):
                if running is not None:
                    running.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await running
            if self._webhooks is not None:
                await self._webhooks.dispatcher.close()
            await self.runner.close()
            await store.close()
            if temp is not None:
                shutil.rmtree(temp, ignore_errors=True)

    @property
    def webhooks(self) -> WebhookService:
        """The webhook service, with its dispatcher running: made at start-up when the webhook tables
        hold anything to resume, else on first use (a webhook created, a batch finished, a look at
        the deliveries), its modules imported then. Exists only while running."""
        if self._webhooks is None:
            from emulator.storage.webhooks import WebhookStore
            from emulator.webhooks.service import WebhookService, options_from

            self._webhooks = WebhookService(
                WebhookStore(self._sqlite),  # its tables were made at start-up
                self.store,
                self.clock,
                self.settings.seed,
                options_from(self._started_with),
                fault_rules=lambda: self.faults.policy.webhook,
                fault_count=self.faults.count,
                api_busy=self.metrics.answered_within,
            )
            run = self._webhooks.dispatcher.run_forever()
            self._deliveries = asyncio.create_task(run, name="gemini-emulator-webhooks")
        return self._webhooks

    async def _batch_finished(self, batch: Batch) -> None:
        await self.webhooks.batch_finished(batch)

    @functools.cached_property
    def openai(self) -> OpenAIService:
        """The OpenAI-compatible surface's service, made (and its modules imported) on first use."""
        from emulator.openai.service import OpenAIService

        return OpenAIService(self)

    @property
    def validator(self) -> Validator:
        """What the model endpoints and batches check requests with (imported on first use: start-up
        does not pay for it)."""
        from emulator.validation.validator import Validator

        settings = self.settings
        return Validator(settings.validation, settings.allow_unknown_models, self.catalogue)

    def _use(self, settings: Settings) -> None:
        """Settings changed at run time reach every part that reads them."""
        self.settings = settings
        for part in (self.files, self.batches, self.runner):
            part.use(settings)


def _catalogue(settings: Settings) -> Catalogue:
    if settings.models is None:
        return DEFAULT_CATALOGUE
    try:
        return load_catalogue(settings.models)
    except (OSError, ValueError, InvalidArgument) as exc:
        message = exc.message if isinstance(exc, InvalidArgument) else str(exc)
        raise ConfigError(f"models: {message}") from None
