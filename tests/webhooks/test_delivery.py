"""Delivery through real receivers: retries on the emulator's clock, auto-disable, dynamic webhooks
(JWT checked by PyJWT against the emulator's JWKS), rotation, and a receiver that hangs."""

from __future__ import annotations

import httpx
import jwt
import pytest
from standardwebhooks import Webhook as StandardWebhook

from emulator.clock import parse_time
from emulator.control import EmulatorControl
from emulator.webhooks import schedule
from emulator.webhooks.receiver import WebhookReceiver
from tests.webhooks.conftest import INLINE, Key, Served


def test_500_twice_then_200_three_attempts_same_id_spaced_by_the_backoff(key: Key, receiver: WebhookReceiver) -> None:
    hook = key.client.webhooks.create(uri=receiver.url, subscribed_events=["batch.succeeded"])
    receiver.secret = hook.new_signing_secret
    receiver.respond(500, 500)
    name = key.batch()
    key.advance(1)  # the batch finishes; the first attempt is made at once
    assert [r.status for r in receiver.requests] == [500]
    key.advance(600)  # one move of the clock: the 5 s and 5 min 5 s retries are both due
    event = receiver.wait_for("batch.succeeded")
    assert [r.status for r in receiver.requests] == [500, 500, 200]
    assert len({r.webhook_id for r in receiver.requests}) == 1
    StandardWebhook(hook.new_signing_secret or "").verify(event.body, event.headers)
    (delivery,) = key.deliveries(batch=name)
    assert delivery["state"] == "delivered" and delivery["webhook"] == hook.id
    scheduled = [parse_time(a["scheduledTime"]) for a in delivery["attempts"]]
    assert [(b - scheduled[0]) // 1_000_000 for b in scheduled] == list(schedule.OFFSETS_S[:3])


def test_a_receiver_that_always_fails_disables_the_webhook(key: Key, receiver: WebhookReceiver) -> None:
    hook = key.client.webhooks.create(uri=receiver.url, subscribed_events=["batch.succeeded"])
    receiver.respond(*[503] * schedule.MAX_ATTEMPTS)
    key.batch()
    key.advance(1)
    assert key.client.webhooks.get(hook.id).state == "enabled"
    key.advance(25 * 3600)
    assert len(receiver.requests) == schedule.MAX_ATTEMPTS
    (delivery,) = key.deliveries()
    assert delivery["state"] == "failed" and delivery["attemptCount"] == schedule.MAX_ATTEMPTS
    assert key.client.webhooks.get(hook.id).state == "disabled_due_to_failed_deliveries"
    key.batch()  # a disabled webhook gets nothing
    key.advance(1)
    assert len(receiver.requests) == schedule.MAX_ATTEMPTS
    key.client.webhooks.update(hook.id, update_mask="state", state="enabled")
    assert key.client.webhooks.get(hook.id).state == "enabled"


def test_dynamic_webhook_config_is_signed_as_a_jwt_and_echoes_user_metadata(
    key: Key, receiver: WebhookReceiver, server: Served
) -> None:
    static = key.client.webhooks.create(uri=receiver.url + "?static", subscribed_events=["batch.succeeded"])
    assert static.id
    name = key.batch(webhook_config={"uris": [receiver.url], "user_metadata": {"job": "nightly", "n": 3}})
    key.advance(1)
    event = receiver.wait_for("batch.succeeded")
    assert len(receiver.requests) == 1  # the batch's own URIs replace the registered webhooks
    token = event.headers["webhook-signature"]
    signing_key = jwt.PyJWKClient(server.url + "/.well-known/jwks.json").get_signing_key_from_jwt(token)
    claims = jwt.decode(token, signing_key.key, algorithms=["RS256"], audience=receiver.url)
    assert claims["sub"] == name and claims["exp"] > claims["iat"]
    body = event.json
    assert body["type"] == "batch.succeeded" and body["data"]["id"] == name
    assert body["data"]["user_metadata"] == {"job": "nightly", "n": 3}
    assert event.headers["webhook-id"].startswith("msg_")


def test_camel_case_user_metadata_from_the_js_sdk(key: Key, receiver: WebhookReceiver) -> None:
    response = httpx.post(
        f"{key.server.url}/v1beta/models/gemini-2.5-flash:batchGenerateContent",
        headers={"x-goog-api-key": key.key},
        json={
            "batch": {
                "inputConfig": {"requests": {"requests": [{"request": INLINE[0]}]}},
                "webhookConfig": {"uris": [receiver.url], "userMetadata": {"from": "js"}},
            }
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    key.advance(1)
    assert receiver.wait_for("batch.succeeded").json["data"]["user_metadata"] == {"from": "js"}


def test_failed_and_expired_batches(key: Key, receiver: WebhookReceiver) -> None:
    hook = key.client.webhooks.create(uri=receiver.url, subscribed_events=["batch.failed", "batch.expired"])
    receiver.secret = hook.new_signing_secret
    key.control("/faults", {"job": [{"outcome": "FAILED", "nextN": 1, "apiKey": key.key, "message": "boom"}]})
    failed = key.batch()
    key.advance(1)
    event = receiver.wait_for("batch.failed").json
    assert event["data"] == {"id": failed, "error_code": "INTERNAL", "error_message": "boom"}
    key.control("/faults", {"job": [{"outcome": "EXPIRED", "nextN": 1, "apiKey": key.key}]})
    expired = key.batch()
    key.advance(1)
    assert receiver.wait_for("batch.expired").json["data"] == {"id": expired}
    cancelled = key.batch()
    key.client.batches.cancel(name=cancelled)
    key.advance(1)
    assert not key.deliveries(batch=cancelled)  # batch.cancelled is off unless configured


def test_rotation_with_a_grace_period_signs_with_both_secrets(key: Key, receiver: WebhookReceiver) -> None:
    hook = key.client.webhooks.create(uri=receiver.url, subscribed_events=["batch.succeeded"])
    old = hook.new_signing_secret or ""
    new = key.client.webhooks.rotate_signing_secret(hook.id or "").secret or ""
    receiver.secret = old
    key.batch()
    key.advance(1)
    event = receiver.wait_for("batch.succeeded")
    for secret in (old, new):
        StandardWebhook(secret).verify(event.body, event.headers)
    key.advance(25 * 3600)  # the grace is over: only the new secret signs
    receiver.secret = new
    key.batch()
    key.advance(1)
    later = receiver.wait_for("batch.succeeded", count=2)
    StandardWebhook(new).verify(later.body, later.headers)
    with pytest.raises(Exception, match="signature"):
        StandardWebhook(old).verify(later.body, later.headers)


def test_a_hanging_receiver_does_not_hold_up_another(key: Key, receiver: WebhookReceiver, server: Served) -> None:
    with WebhookReceiver() as stuck:
        stuck.hang = True
        key.client.webhooks.create(uri=stuck.url, subscribed_events=["batch.succeeded"])
        good = key.client.webhooks.create(uri=receiver.url, subscribed_events=["batch.succeeded"])
        receiver.secret = good.new_signing_secret
        key.batch()
        key.control("/clock:advance", {"apiKey": key.key, "seconds": 1})
        receiver.wait_for("batch.succeeded")
        assert stuck.hang and len(stuck.requests) == 1  # still waiting on the hanging one
        stuck.hang = False


def test_ping_sends_a_signed_ping(key: Key, receiver: WebhookReceiver) -> None:
    hook = key.client.webhooks.create(uri=receiver.url, subscribed_events=["batch.succeeded"])
    receiver.secret = hook.new_signing_secret
    key.client.webhooks.ping(hook.id or "")
    assert receiver.wait_for("webhook.ping").json["data"] == {"id": hook.id}


def test_redeliver_sends_the_same_event_again(key: Key, receiver: WebhookReceiver) -> None:
    hook = key.client.webhooks.create(uri=receiver.url, subscribed_events=["batch.succeeded"])
    receiver.secret = hook.new_signing_secret
    key.batch()
    key.advance(1)
    first = receiver.wait_for("batch.succeeded")
    (delivery,) = key.deliveries()
    with EmulatorControl(key.server.url) as control:
        again = control.redeliver(delivery["id"])
    assert again["id"] == delivery["id"]
    second = receiver.wait_for("batch.succeeded", count=2)
    assert second.webhook_id == first.webhook_id and second.body == first.body


def test_the_receiver_finds_the_secret_of_a_webhook_the_test_created(key: Key, server: Served) -> None:
    with WebhookReceiver(emulator_url=server.url, api_key=key.key) as receiver:
        key.client.webhooks.create(uri=receiver.url, subscribed_events=["batch.succeeded"])  # secret not kept
        name = key.batch()
        key.advance(1)
        assert receiver.wait_for("batch.succeeded").json["data"]["id"] == name
    with WebhookReceiver(emulator_url=server.url, api_key=key.key) as subscribed:
        hook = subscribed.subscribe("batch.failed")
        assert subscribed.secret == hook["new_signing_secret"] and hook["subscribed_events"] == ["batch.failed"]


def test_expiry_on_the_virtual_clock(key: Key, receiver: WebhookReceiver) -> None:
    hook = key.client.webhooks.create(uri=receiver.url, subscribed_events=["batch.expired"])
    receiver.secret = hook.new_signing_secret
    response = httpx.patch(
        f"{key.server.url}/_emulator/config", json={"apiKey": key.key, "latency": {"queue_delay": 10**6}}, timeout=30
    )
    assert response.status_code == 200, response.text
    name = key.batch()
    key.advance(47 * 3600)
    assert receiver.requests == []
    key.advance(2 * 3600)  # past the 48-hour expiry
    assert receiver.wait_for("batch.expired").json["data"] == {"id": name}


def test_metrics_count_deliveries_and_attempts(key: Key, receiver: WebhookReceiver) -> None:
    receiver.secret = key.client.webhooks.create(
        uri=receiver.url, subscribed_events=["batch.succeeded"]
    ).new_signing_secret
    receiver.respond(502)
    key.batch()
    key.advance(1)
    key.advance(10)
    receiver.wait_for("batch.succeeded")
    text = httpx.get(f"{key.server.url}/_emulator/metrics", timeout=30).text
    values = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in text.splitlines()
        if line.startswith("gemini_emulator_webhook")
    }
    assert values['gemini_emulator_webhook_attempts_total{outcome="5xx"}'] >= 1
    assert values['gemini_emulator_webhook_attempts_total{outcome="2xx"}'] >= 1
    assert values['gemini_emulator_webhook_deliveries{state="delivered"}'] >= 1
