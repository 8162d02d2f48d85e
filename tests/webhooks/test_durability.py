"""Deliveries survive the server: `kill -9` while an attempt is in flight (the event comes again after
the restart, same `webhook-id`), and a stop with a retry still due (made after the restart)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest
from google import genai

from emulator.webhooks.receiver import WebhookReceiver
from tests.servers import ProcessServer

pytestmark = pytest.mark.slow

INLINE = [{"contents": [{"parts": [{"text": "hi"}], "role": "user"}]}]


def _wait(what: str, probe: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not probe():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_kill_9_with_an_attempt_in_flight(tmp_path: Path) -> None:
    key = f"durable-{uuid.uuid4().hex}"
    with WebhookReceiver() as receiver:
        receiver.hang = True  # the first attempt is still waiting for an answer when the server dies
        server = ProcessServer(tmp_path / "data", "--queue-delay", "0", "--webhook-timeout", "120").start()
        try:
            receiver.emulator_url, receiver.api_key = server.url, key
            receiver.subscribe("batch.succeeded")
            client = genai.Client(api_key=key, http_options={"base_url": server.url})
            job = client.batches.create(model="gemini-2.5-flash", src=INLINE)
            _wait("the first attempt", lambda: len(receiver.requests) == 1)
            server.kill()
        finally:
            server.stop()
        receiver.hang = False
        with ProcessServer(tmp_path / "data", "--queue-delay", "0", port=server.port):
            event = receiver.wait_for("batch.succeeded", timeout=60)
        assert event.json["data"]["id"] == job.name
        assert event.webhook_id == receiver.requests[0].webhook_id  # a duplicate, as the real service allows


def test_a_retry_due_after_a_restart_is_made(tmp_path: Path) -> None:
    key = f"durable-{uuid.uuid4().hex}"
    with WebhookReceiver() as receiver:
        receiver.respond(503)
        with ProcessServer(tmp_path / "data", "--queue-delay", "0", "--clock", "manual") as server:
            receiver.emulator_url, receiver.api_key = server.url, key
            receiver.subscribe("batch.succeeded")
            client = genai.Client(api_key=key, http_options={"base_url": server.url})
            client.batches.create(model="gemini-2.5-flash", src=INLINE)
            httpx.post(f"{server.url}/_emulator/clock:advance", json={"seconds": 1}, timeout=30)
            _wait("the first attempt", lambda: len(receiver.requests) == 1)
        with ProcessServer(tmp_path / "data", "--queue-delay", "0", "--clock", "manual", port=server.port) as again:
            httpx.post(f"{again.url}/_emulator/clock:advance", json={"seconds": 10}, timeout=30)
            event = receiver.wait_for("batch.succeeded", timeout=60)
        assert [r.status for r in receiver.requests] == [503, 200]
        assert event.webhook_id == receiver.requests[0].webhook_id
