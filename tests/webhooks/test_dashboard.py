"""The dashboard's Webhooks page: every delivery with its retry timeline, filtered by key."""

from __future__ import annotations

import httpx

from emulator.webhooks.receiver import WebhookReceiver
from tests.webhooks.conftest import Key

UI = "/_emulator/ui"


def test_the_webhooks_page_shows_each_delivery_and_its_attempts(key: Key, receiver: WebhookReceiver) -> None:
    receiver.secret = key.client.webhooks.create(
        uri=receiver.url, subscribed_events=["batch.succeeded"]
    ).new_signing_secret
    receiver.respond(503)
    name = key.batch()
    hostile = key.batch(webhook_config={"uris": ["http://127.0.0.1:9/<script>alert(1)</script>"]})
    key.advance(1)
    key.advance(10)
    event = receiver.wait_for("batch.succeeded")
    page = httpx.get(f"{key.server.url}{UI}/webhooks", params={"key": key.key}, timeout=30)
    assert page.status_code == 200 and "<h1>Webhooks</h1>" in page.text
    assert 'aria-current="page">Webhooks</a>' in page.text
    assert event.webhook_id in page.text and name in page.text and hostile in page.text
    assert "503" in page.text and "200" in page.text and "delivered" in page.text
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;" in page.text
    live = httpx.get(f"{key.server.url}{UI}/live/webhooks", params={"key": key.key, "region": "deliveries"}, timeout=30)
    assert live.status_code == 200 and event.webhook_id in live.text
    other = httpx.get(f"{key.server.url}{UI}/webhooks", params={"key": "someone-else"}, timeout=30)
    assert "No webhook deliveries yet." in other.text
