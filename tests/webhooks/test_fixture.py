"""The `gemini_webhook_receiver` fixture, as a user's test suite uses it: in-process, under `-n 2`,
and against a sidecar (which calls back the test runner)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers import ProcessServer

pytestmark = pytest.mark.slow

SUITE = """
import pytest


def test_static_webhook(genai_client, gemini_webhook_receiver):
    genai_client.webhooks.create(uri=gemini_webhook_receiver.url, subscribed_events=["batch.succeeded"])
    job = genai_client.batches.create(
        model="gemini-2.5-flash", src=[{"contents": [{"parts": [{"text": "hi"}], "role": "user"}]}]
    )
    event = gemini_webhook_receiver.wait_for("batch.succeeded", timeout=30)
    assert event.json["data"]["id"] == job.name


def test_dynamic_webhook(genai_client, gemini_webhook_receiver):
    job = genai_client.batches.create(
        model="gemini-2.5-flash",
        src=[{"contents": [{"parts": [{"text": "hi"}], "role": "user"}]}],
        config={"webhook_config": {"uris": [gemini_webhook_receiver.url], "user_metadata": {"run": 1}}},
    )
    event = gemini_webhook_receiver.wait_for("batch.succeeded", timeout=30)
    assert event.claims["sub"] == job.name and event.json["data"]["user_metadata"] == {"run": 1}


def test_retries_on_the_clock(gemini_emulator, genai_client, gemini_webhook_receiver):
    gemini_emulator.configure(clock="manual")
    gemini_webhook_receiver.subscribe("batch.succeeded")
    gemini_webhook_receiver.respond(503)
    genai_client.batches.create(model="gemini-2.5-flash", src=[{"contents": [{"parts": [{"text": "hi"}]}]}])
    gemini_emulator.advance(seconds=1)
    gemini_emulator.advance(seconds=10)
    gemini_webhook_receiver.wait_for("batch.succeeded", timeout=30)
    assert [r.status for r in gemini_webhook_receiver.requests] == [503, 200]
"""


def test_in_process_and_in_parallel(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_hooks=SUITE)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=3)
    pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_against_a_sidecar(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(test_hooks=SUITE)
    with ProcessServer(tmp_path / "sidecar", "--queue-delay", "0", "--request-latency", "0") as sidecar:
        result = pytester.runpytest_subprocess(
            "-n",
            "2",
            "-p",
            "no:cacheprovider",
            "--gemini-emulator-url",
            sidecar.url,
            "--gemini-webhook-host",
            "0.0.0.0",
        )
    result.assert_outcomes(passed=3)
