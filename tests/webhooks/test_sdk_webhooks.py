"""The WebhookService through google-genai's `client.webhooks.*`, sync and async, and the delivery of
a batch's event to a static webhook, verified by the `standardwebhooks` library."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from google import genai
from google.genai._gaos.lib.compat_errors import NotFoundError
from standardwebhooks import Webhook as StandardWebhook

from emulator.webhooks.receiver import WebhookReceiver
from tests.webhooks.conftest import Served


def client_for(server: Served, key: str, version: str | None = None) -> genai.Client:
    options: dict[str, object] = {"base_url": server.url}
    if version:
        options["api_version"] = version
    return genai.Client(api_key=key, http_options=options)  # type: ignore[arg-type]


@pytest.fixture
def key() -> str:
    return f"test-{uuid.uuid4().hex}"


@pytest.mark.parametrize("version", [None, "v1beta", "v1alpha"])
def test_crud_through_the_python_sdk(server: Served, key: str, version: str | None) -> None:
    client = client_for(server, key, version)
    created = client.webhooks.create(
        name="my hook", uri="https://example.com/hook", subscribed_events=["batch.succeeded", "batch.failed"]
    )
    assert created.id and created.new_signing_secret and created.new_signing_secret.startswith("whsec_")
    assert created.subscribed_events == ["batch.succeeded", "batch.failed"]
    assert created.state == "enabled" and created.name == "my hook"
    got = client.webhooks.get(created.id)
    assert got.new_signing_secret is None  # returned once
    assert (
        got.signing_secrets and got.signing_secrets[0].truncated_secret == "whsec_..." + created.new_signing_secret[-4:]
    )
    updated = client.webhooks.update(
        created.id, update_mask="uri,state", uri="https://example.com/v2", state="disabled"
    )
    assert updated.uri == "https://example.com/v2" and updated.state == "disabled" and updated.name == "my hook"
    assert client.webhooks.ping(created.id) is not None
    rotated = client.webhooks.rotate_signing_secret(created.id, revocation_behavior="revoke_previous_secrets_after_h24")
    assert rotated.secret and rotated.secret != created.new_signing_secret
    assert len(client.webhooks.get(created.id).signing_secrets or []) == 2
    client.webhooks.rotate_signing_secret(created.id, revocation_behavior="revoke_previous_secrets_immediately")
    assert len(client.webhooks.get(created.id).signing_secrets or []) == 1
    client.webhooks.delete(created.id)
    with pytest.raises(NotFoundError):
        client.webhooks.get(created.id)


def test_list_pages_and_client_chosen_ids(server: Served, key: str) -> None:
    client = client_for(server, key)
    for n in range(5):
        client.webhooks.create(
            uri=f"https://example.com/{n}",
            subscribed_events=["batch.succeeded"],
            extra_query={"webhook_id": f"hook-{n}"},
        )
    first = client.webhooks.list(page_size=2)
    assert [w.id for w in first.webhooks or []] == ["hook-4", "hook-3"] and first.next_page_token
    ids = []
    token = None
    while True:
        page = client.webhooks.list(page_size=2, page_token=token)
        ids += [w.id for w in page.webhooks or []]
        token = page.next_page_token
        if not token:
            break
    assert ids == [f"hook-{n}" for n in range(4, -1, -1)]
    other = client_for(server, f"other-{key}")
    assert not other.webhooks.list().webhooks  # state is per API key


def test_async_client(server: Served, key: str) -> None:
    async def run() -> None:
        client = client_for(server, key).aio
        created = await client.webhooks.create(uri="https://example.com/a", subscribed_events=["batch.expired"])
        assert created.id
        assert (await client.webhooks.get(created.id)).uri == "https://example.com/a"
        await client.webhooks.delete(created.id)

    asyncio.run(run())


def test_a_batch_delivers_batch_succeeded_to_its_static_webhook(
    server: Served, key: str, receiver: WebhookReceiver
) -> None:
    client = client_for(server, key)
    hook = client.webhooks.create(uri=receiver.url, subscribed_events=["batch.succeeded"])
    assert hook.new_signing_secret
    receiver.secret = hook.new_signing_secret
    job = client.batches.create(
        model="gemini-2.5-flash", src=[{"contents": [{"parts": [{"text": "hi"}], "role": "user"}]}]
    )
    event = receiver.wait_for("batch.succeeded", timeout=20)
    payload = StandardWebhook(hook.new_signing_secret).verify(event.body, event.headers)
    assert payload["type"] == "batch.succeeded" and payload["version"] == "v1"
    assert payload["data"]["id"] == job.name
    assert "output_file_uri" not in payload["data"]  # an inline batch has no output file
    assert len(receiver.requests) == 1
