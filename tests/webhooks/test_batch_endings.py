"""Every way a batch ends emits its event: forced states from the control plane, a production quirk,
and (with `webhook_cancelled_events`) a cancel."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.config import Settings
from emulator.control import EmulatorControl
from emulator.testing import serve_in_thread
from emulator.webhooks.receiver import WebhookReceiver
from tests.webhooks.conftest import Key, Served


@pytest.fixture(scope="module")
def cancelling() -> Iterator[Served]:
    settings = Settings(data_dir=None, queue_delay=3600, request_latency=0, webhook_cancelled_events=True)
    with serve_in_thread(settings) as server:
        yield server


def test_forced_states_and_cancels_emit_their_events(cancelling: Served) -> None:
    key = Key(cancelling)
    with WebhookReceiver(emulator_url=cancelling.url, api_key=key.key) as receiver:
        receiver.subscribe("batch.failed", "batch.expired", "batch.cancelled", "batch.succeeded")
        ended = {}
        with EmulatorControl(cancelling.url) as control:
            for state in ("FAILED", "EXPIRED", "SUCCEEDED"):
                name = key.batch()
                control.force(name, f"BATCH_STATE_{state}")
                ended[f"batch.{state.lower()}"] = name
        cancelled = key.batch()
        key.client.batches.cancel(name=cancelled)
        ended["batch.cancelled"] = cancelled
        key.advance(1)
        for event_type, name in ended.items():
            assert receiver.wait_for(event_type).json["data"]["id"] == name
        assert len(receiver.events) == 4


def test_a_quirk_that_ends_a_batch_emits_its_event(key: Key, receiver: WebhookReceiver) -> None:
    receiver.emulator_url, receiver.api_key = key.server.url, key.key
    receiver.subscribe("batch.expired")
    key.control("/faults", {"quirk": [{"name": "stuck-then-expired", "apiKey": key.key}]})
    name = key.batch()
    key.advance(49 * 3600)
    assert receiver.wait_for("batch.expired").json["data"] == {"id": name}
