"""The WebhookService through the official JS SDK (tests/js/node_modules, as tests/sdk/test_js_sdk.py),
and a dynamic webhook with the JS SDK's `userMetadata` spelling."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

from emulator.webhooks.receiver import WebhookReceiver
from tests.sdk.test_js_sdk import _SCRUBBED, JS_DIR, TIMEOUT_S, _node
from tests.webhooks.conftest import Served

SCRIPT = Path(__file__).with_name("webhooks.mjs")


def test_crud_and_a_dynamic_webhook_through_the_js_sdk(server: Served, receiver: WebhookReceiver) -> None:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(
        JS_DIR=str(JS_DIR),
        EMULATOR_URL=server.url,
        GEMINI_API_KEY=f"js-{uuid.uuid4().hex}",
        RECEIVER_URL=receiver.url,
        NO_COLOR="1",
    )
    proc = subprocess.run([_node(), str(SCRIPT)], env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    batch = json.loads(proc.stdout.strip().splitlines()[-1])["batch"]
    event = receiver.wait_for("batch.succeeded", timeout=30)
    assert event.json["data"] == {"id": batch, "user_metadata": {"sdk": "js"}}
    assert event.claims is not None and event.claims["aud"] == receiver.url
