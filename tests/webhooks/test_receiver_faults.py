"""Each receiver fault, shown through a real receiver: what it receives, and how the emulator goes on."""

from __future__ import annotations

from typing import Any

import pytest
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from emulator.webhooks.receiver import WebhookReceiver
from tests.webhooks.conftest import Key


def add_fault(key: Key, **rule: Any) -> None:
    """A receiver fault for this test's key, through the control plane (as any other fault rule)."""
    key.control("/faults", {"webhook": [{**rule, "apiKey": key.key}]})


def static_hook(key: Key, receiver: WebhookReceiver, *events: str) -> str:
    hook = key.client.webhooks.create(uri=receiver.url, subscribed_events=list(events or ["batch.succeeded"]))
    receiver.secret = hook.new_signing_secret
    assert hook.new_signing_secret
    return hook.new_signing_secret


def test_duplicate(key: Key, receiver: WebhookReceiver) -> None:
    static_hook(key, receiver)
    add_fault(key, effect="duplicate", first_n=1)
    key.batch()
    key.advance(1)
    first = receiver.wait_for("batch.succeeded")
    second = receiver.wait_for("batch.succeeded", count=2)
    assert second.webhook_id == first.webhook_id and second.body == first.body
    key.batch()
    key.advance(1)
    receiver.wait_for("batch.succeeded", count=3)
    assert len(receiver.requests) == 3  # first_n = 1: the second event came once
    (_latest, earlier) = key.deliveries()
    assert [a.get("faults") for a in earlier["attempts"]] == [None, ["duplicate"]]


def test_delay(key: Key, receiver: WebhookReceiver) -> None:
    static_hook(key, receiver)
    add_fault(key, effect="delay", seconds=3600)
    key.batch()
    key.advance(1)
    assert receiver.requests == []
    (delivery,) = key.deliveries()
    assert delivery["attemptCount"] == 0 and delivery["state"] == "pending"
    key.advance(3600)
    receiver.wait_for("batch.succeeded")


def test_reorder(key: Key, receiver: WebhookReceiver) -> None:
    static_hook(key, receiver)
    add_fault(key, effect="reorder", first_n=1, seconds=3600)
    first = key.batch()
    key.advance(1)
    assert receiver.requests == []
    second = key.batch()
    key.advance(1)
    receiver.wait_for("batch.succeeded", count=2)
    assert [r.json["data"]["id"] for r in receiver.requests] == [second, first]


def test_drop(key: Key, receiver: WebhookReceiver) -> None:
    static_hook(key, receiver)
    add_fault(key, effect="drop", first_n=1)
    key.batch()
    key.advance(1)
    assert receiver.requests == []
    (delivery,) = key.deliveries()
    assert delivery["attempts"][0]["error"].startswith("dropped") and delivery["state"] == "pending"
    key.advance(5)  # the retry
    receiver.wait_for("batch.succeeded")


def test_bad_signature(key: Key, receiver: WebhookReceiver) -> None:
    secret = static_hook(key, receiver)
    add_fault(key, effect="bad-signature", first_n=1)
    key.batch()
    key.advance(1)
    (bad,) = receiver.requests
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(secret).verify(bad.body, bad.headers)
    assert bad.status == 400  # the receiver refused it, so it is retried
    key.advance(5)
    good = receiver.wait_for("batch.succeeded")
    StandardWebhook(secret).verify(good.body, good.headers)


def test_bad_signature_on_a_dynamic_webhook(key: Key, receiver: WebhookReceiver) -> None:
    add_fault(key, effect="bad-signature", mode="dynamic", first_n=1)
    key.batch(webhook_config={"uris": [receiver.url]})
    key.advance(1)
    assert receiver.requests[0].error == "JWT signature does not verify"
    key.advance(5)
    receiver.wait_for("batch.succeeded")


def test_stale_signature(key: Key, receiver: WebhookReceiver) -> None:
    secret = static_hook(key, receiver)
    add_fault(key, effect="stale-signature", first_n=1, seconds=900)
    key.batch()
    key.advance(1)
    (stale,) = receiver.requests
    with pytest.raises(WebhookVerificationError, match="too old"):
        StandardWebhook(secret).verify(stale.body, stale.headers)
    key.advance(5)
    receiver.wait_for("batch.succeeded")


def test_previous_secret_after_rotation(key: Key, receiver: WebhookReceiver) -> None:
    old = static_hook(key, receiver)
    (hook,) = key.client.webhooks.list().webhooks or []
    new = key.client.webhooks.rotate_signing_secret(
        hook.id or "", revocation_behavior="revoke_previous_secrets_immediately"
    ).secret
    receiver.secret = new
    add_fault(key, effect="previous-secret", first_n=1)
    key.batch()
    key.advance(1)
    (signed_with_old,) = receiver.requests
    StandardWebhook(old).verify(signed_with_old.body, signed_with_old.headers)
    assert signed_with_old.status == 400
    key.advance(5)
    receiver.wait_for("batch.succeeded")
