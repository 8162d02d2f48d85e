from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from google import genai

from emulator.config import Settings
from emulator.control import EmulatorControl
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


INLINE = [{"contents": [{"parts": [{"text": "hi"}], "role": "user"}]}]


class Key:
    """One test's API key on the shared emulator, with a manual clock of its own."""

    def __init__(self, server: Served) -> None:
        self.server = server
        self.key = f"test-{uuid.uuid4().hex}"
        self.client = genai.Client(api_key=self.key, http_options={"base_url": server.url})
        self.control("/clock:set", {"apiKey": self.key, "mode": "manual"})

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.post(f"{self.server.url}/_emulator{path}", json=body or {}, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    def advance(self, seconds: float) -> None:
        self.control("/clock:advance", {"apiKey": self.key, "seconds": seconds})
        self.control("/webhooks/settle")

    def deliveries(self, **filters: str) -> list[dict[str, Any]]:
        with EmulatorControl(self.server.url) as control:
            return control.webhook_deliveries(api_key=self.key, **filters)

    def batch(self, **config: Any) -> str:
        job = self.client.batches.create(model="gemini-2.5-flash", src=INLINE, config=config or None)  # type: ignore[arg-type]
        assert job.name
        return job.name


@pytest.fixture
def key(server: Served) -> Key:
    return Key(server)
