from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.config import Settings
from emulator.testing import RunningServer, serve_in_thread
from emulator.webhooks.receiver import WebhookReceiver

Served = RunningServer


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    with serve_in_thread(Settings(data_dir=None, port=0, queue_delay=0.0, request_latency=0.0, webhook_timeout=2)) as s:
        yield s


@pytest.fixture
def receiver(server: Served) -> Iterator[WebhookReceiver]:
    with WebhookReceiver(jwks_url=server.url + "/.well-known/jwks.json") as r:
        yield r
