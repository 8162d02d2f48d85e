from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from emulator.config import Settings
from emulator.emulator import Emulator
from emulator.webhooks.receiver import WebhookReceiver


@dataclass
class Served:
    url: str
    emulator: Emulator


class _Attached(Emulator):  # TEMPORARY until the composition root builds the webhooks itself
    @contextlib.asynccontextmanager
    async def running(self):  # type: ignore[no-untyped-def,override]
        import asyncio

        from emulator.storage.webhooks import WebhookStore
        from emulator.webhooks.models import WebhookOptions
        from emulator.webhooks.service import WebhookService

        async with super().running():
            store = await WebhookStore.open(self.store)
            self.webhook_rules: list[object] = []
            self.webhooks = WebhookService(
                store,
                self.store,
                self.clock,
                self.settings.seed,
                WebhookOptions(timeout=2),
                fault_rules=lambda: tuple(self.webhook_rules),
            )
            finalize = self.runner._finalize

            async def hooked(batch, expect=None):  # type: ignore[no-untyped-def]
                await finalize(batch, expect)
                if batch.finalized:
                    await self.webhooks.batch_finished(batch)

            self.runner._finalize = hooked  # type: ignore[method-assign]
            await self.webhooks.start()
            task = asyncio.create_task(self.webhooks.dispatcher.run_forever())
            try:
                yield self
            finally:
                task.cancel()
                await self.webhooks.dispatcher.close()


@contextlib.contextmanager
def serve(settings: Settings) -> Iterator[Served]:
    """An emulator on a free loopback port, in a thread (as `serve_in_thread`, with this emulator)."""
    import uvicorn

    from emulator.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    from emulator.webhooks.routes import control_routes, routes

    emulator = _Attached(settings)
    app = create_app(emulator=emulator)
    from starlette.routing import Mount

    api, top = [r for r in routes if r.path.startswith("/webhooks")], [r for r in routes if r.path.startswith("/.")]
    for mount in app.router.routes:
        if isinstance(mount, Mount) and mount.path in ("/v1", "/v1beta", "/v1alpha"):
            mount.routes[0:0] = api
        elif isinstance(mount, Mount) and mount.path == "/_emulator":
            mount.routes[0:0] = control_routes
    app.router.routes[0:0] = top
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the emulator did not start"
        time.sleep(0.005)
    try:
        yield Served(f"http://127.0.0.1:{port}", emulator)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    with serve(Settings(data_dir=None, port=0, queue_delay=0.0, request_latency=0.0)) as served:
        yield served


@pytest.fixture
def receiver(server: Served) -> Iterator[WebhookReceiver]:
    with WebhookReceiver(jwks_url=server.url + "/.well-known/jwks.json") as r:
        yield r
