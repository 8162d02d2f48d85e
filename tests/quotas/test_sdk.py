"""Quotas through the official SDKs: the real 429 on batch create (enqueued tokens, the 101st
concurrent batch, creations per minute, the quirks), seen by the SDKs' retry options, recovering on
the emulator clock; usage in the control plane. Each test has its own API key and its own limits."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from google import genai
from google.genai import errors, types

from emulator import Settings
from emulator.control import EmulatorControl
from emulator.quotas.errors import QUOTA_MESSAGE, RATE_LIMITS_URL
from tests.sdk.helpers import make_client, request_line, result_lines, write_jsonl
from tests.sdk.test_js_sdk import JS_DIR, _node
from tests.servers import ThreadServer, thread_server

FLASH = "gemini-2.5-flash"
HELP = {
    "@type": "type.googleapis.com/google.rpc.Help",
    "links": [{"description": "Learn more about Gemini API quotas", "url": RATE_LIMITS_URL}],
}


def prompt(tokens: int) -> types.InlinedRequestDict:
    """An inline request of `tokens` input tokens (four characters a token, as countTokens counts)."""
    return {"contents": "x" * tokens * 4}


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadServer]:
    # Batches wait a minute in PENDING: one clock:advance of 60 s ends every batch created before it.
    settings = Settings(data_dir=None, clock="manual", queue_delay=60, request_latency=0)
    with thread_server(settings) as running:
        yield running


@pytest.fixture
def key() -> str:
    return f"quota-{uuid.uuid4().hex}"


@pytest.fixture
def control(server: ThreadServer) -> Iterator[EmulatorControl]:
    with EmulatorControl(server.url) as client:
        yield client


def assert_quota_refusal(error: errors.APIError) -> None:
    assert (error.code, error.status, error.message) == (429, "RESOURCE_EXHAUSTED", QUOTA_MESSAGE)
    assert error.details["error"]["details"] == [HELP]
    assert error.response is not None and "retry-after" not in error.response.headers


def test_a_create_over_the_enqueued_tokens_waits_for_the_first_batch_to_end(
    server: ThreadServer, control: EmulatorControl, key: str
) -> None:
    control.set_quotas(api_key=key, limits={FLASH: {"enqueuedTokens": 1000}})
    client = make_client(server.url, key)
    first = client.batches.create(model=FLASH, src=[prompt(300), prompt(300)]).name or ""
    with pytest.raises(errors.ClientError) as refused:
        client.batches.create(model=FLASH, src=[prompt(600)])
    assert_quota_refusal(refused.value)
    (usage,) = control.quotas(key)["quotas"]
    assert usage["model"] == FLASH and usage["enqueuedTokens"] == {"used": 600, "limit": 1000}

    control.advance(seconds=60)  # the first batch ends and gives its tokens back
    assert client.batches.get(name=first).state == types.JobState.JOB_STATE_SUCCEEDED
    second = client.batches.create(model=FLASH, src=[prompt(600)]).name or ""
    assert control.quotas(key)["quotas"][0]["enqueuedTokens"]["used"] == 600
    client.batches.cancel(name=second)  # a cancel gives them back too
    assert control.quotas(key)["quotas"][0]["enqueuedTokens"]["used"] == 0


def test_the_sdk_retry_options_retry_the_429(server: ThreadServer, control: EmulatorControl, key: str) -> None:
    control.set_quotas(api_key=key, limits={FLASH: {"enqueuedTokens": 10}})
    retry = types.HttpRetryOptions(attempts=3, initial_delay=0.01, max_delay=0.02)
    client = genai.Client(api_key=key, http_options=types.HttpOptions(base_url=server.url, retry_options=retry))
    with pytest.raises(errors.ClientError) as refused:
        client.batches.create(model=FLASH, src=[prompt(20)])
    assert_quota_refusal(refused.value)
    assert [r["status"] for r in control.requests("batches.create", api_key=key)] == [429, 429, 429]


def test_the_101st_concurrent_batch_is_refused_with_the_real_body(
    server: ThreadServer, control: EmulatorControl, key: str
) -> None:
    client = make_client(server.url, key)
    names = [client.batches.create(model=FLASH, src=[prompt(1)]).name or "" for _ in range(100)]
    with pytest.raises(errors.ClientError) as refused:
        client.batches.create(model="gemini-2.5-pro", src=[prompt(1)])
    assert_quota_refusal(refused.value)
    client.batches.cancel(name=names[0])
    assert client.batches.create(model=FLASH, src=[prompt(1)]).name


def test_batch_creations_per_minute_refuse_then_recover_on_the_clock(
    server: ThreadServer, control: EmulatorControl, key: str
) -> None:
    control.set_quotas(api_key=key, quota=["*:batch_rpm=2"])
    client = make_client(server.url, key)
    for _ in range(2):
        client.batches.create(model=FLASH, src=[prompt(1)])
    with pytest.raises(errors.ClientError) as refused:
        client.batches.create(model=FLASH, src=[prompt(1)])
    assert_quota_refusal(refused.value)
    assert control.quotas(key)["quotas"][0]["batchRpm"]["used"] == 2
    control.advance(seconds=60)
    client.batches.create(model=FLASH, src=[prompt(1)])


def test_per_minute_limits_of_the_synchronous_calls_refuse_then_recover_on_the_clock(
    server: ThreadServer, control: EmulatorControl, key: str
) -> None:
    control.set_quotas(api_key=key, limits={FLASH: {"rpm": 2, "tpm": 1000}})
    client = make_client(server.url, key)
    client.models.generate_content(model=FLASH, contents="x" * 400)
    client.models.count_tokens(model=FLASH, contents="x" * 40_000)  # countTokens counts against nothing
    client.models.generate_content(model=FLASH, contents="x" * 400)
    with pytest.raises(errors.ClientError) as refused:
        client.models.generate_content(model=FLASH, contents="x")
    error = refused.value
    assert (error.code, error.status) == (429, "RESOURCE_EXHAUSTED")
    assert error.message is not None and error.message.startswith(QUOTA_MESSAGE + "\n* Quota exceeded for metric: ")
    assert "limit: 2, model: gemini-2.5-flash\nPlease retry in " in error.message
    help_, failure, retry = error.details["error"]["details"]
    assert help_ == HELP
    assert failure["violations"][0]["quotaId"] == "GenerateRequestsPerMinutePerProjectPerModel"
    assert retry["@type"] == "type.googleapis.com/google.rpc.RetryInfo" and retry["retryDelay"].endswith("s")
    usage = control.quotas(key)["quotas"][0]
    assert (usage["rpm"]["used"], usage["tpm"]["used"], usage["rpd"]["used"]) == (2, 200, 2)

    control.advance(seconds=60)  # the next clock minute
    with pytest.raises(errors.ClientError, match="input_token_count, limit: 1000"):
        client.models.generate_content(model=FLASH, contents="x" * 4004)  # 1001 tokens: over the tpm
    client.models.generate_content(model=FLASH, contents="x" * 4000)
    assert client.models.embed_content(model="gemini-embedding-001", contents="x").embeddings


def test_a_spurious_429_under_every_limit_on_demand(server: ThreadServer, control: EmulatorControl, key: str) -> None:
    client = make_client(server.url, key)
    control.add_fault("quirk", name="spurious-429-on-create", rate=1, api_key=key)
    with pytest.raises(errors.ClientError) as refused:
        client.batches.create(model=FLASH, src=[prompt(1)])
    assert_quota_refusal(refused.value)
    control.clear_faults(api_key=key)
    client.batches.create(model=FLASH, src=[prompt(1)])


def test_enqueued_tokens_linger_after_the_end_on_demand(
    server: ThreadServer, control: EmulatorControl, key: str
) -> None:
    control.set_quotas(api_key=key, limits={FLASH: {"enqueuedTokens": 100}})
    control.add_fault("quirk", name="enqueued-tokens-linger", seconds=900, api_key=key)
    client = make_client(server.url, key)
    client.batches.create(model=FLASH, src=[prompt(100)])
    control.advance(seconds=60)  # it ended, but its tokens are still held
    with pytest.raises(errors.ClientError):
        client.batches.create(model=FLASH, src=[prompt(100)])
    control.advance(seconds=900)
    client.batches.create(model=FLASH, src=[prompt(100)])


def test_the_js_sdk_sees_the_429_and_retries_it(server: ThreadServer, key: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_"))}
    env.update(EMULATOR_URL=server.url, GEMINI_API_KEY=key, JS_DIR=str(JS_DIR), NO_COLOR="1")
    script = Path(__file__).with_name("quotas.mjs")
    done = subprocess.run([_node(), str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "ok"


def test_a_submitter_splits_a_file_job_under_the_quota_and_every_request_is_answered_once(
    server: ThreadServer, control: EmulatorControl, key: str, tmp_path: Path
) -> None:
    control.set_quotas(api_key=key, limits={FLASH: {"enqueuedTokens": 2000}})
    client = make_client(server.url, key)
    requests = {f"r{i}": "word " * (40 + i) for i in range(60)}  # 50 to 109 tokens each, 4,620 in all
    sizes = {
        k: client.models.count_tokens(model=FLASH, contents=text).total_tokens or 0 for k, text in requests.items()
    }
    chunks: list[list[str]] = [[]]
    for k in requests:
        if sum(sizes[x] for x in chunks[-1]) + sizes[k] > 1000:
            chunks.append([])
        chunks[-1].append(k)
    waiting, running, answered, refusals = list(chunks), list[str](), Counter[str](), 0
    while waiting or running:
        while waiting:
            path = write_jsonl(tmp_path / f"{len(waiting)}.jsonl", [request_line(k, requests[k]) for k in waiting[0]])
            uploaded = client.files.upload(file=path, config={"mime_type": "jsonl"})
            try:
                running.append(client.batches.create(model=FLASH, src=uploaded.name or "").name or "")
            except errors.ClientError as error:
                assert error.code == 429
                refusals += 1
                break
            waiting.pop(0)
        control.advance(seconds=60)
        for name in list(running):
            job = client.batches.get(name=name)
            if job.done:
                running.remove(name)
                answered.update(line["key"] for line in result_lines(client, job.dest.file_name or ""))  # type: ignore[union-attr]
    assert answered == Counter(list(requests)) and len(chunks) >= 5 and refusals > 0
