"""Behaviour users control through settings: latency, cancellation, error rate, the seed."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from emulator import Settings
from tests.sdk.helpers import make_client, request_line, wait_done, write_jsonl
from tests.servers import thread_server


def stats(url: str, key: str, name: str) -> dict[str, str]:
    return httpx.get(f"{url}/v1beta/{name}", headers={"x-goog-api-key": key}).json()["metadata"]["batchStats"]


def test_cancel_running_batch_keeps_the_answers_it_has(tmp_path: Path) -> None:
    settings = Settings(data_dir=None, request_latency=0.002, queue_delay=0)
    with thread_server(settings) as server:
        client = make_client(server.url, "k")
        src = write_jsonl(tmp_path / "in.jsonl", [request_line(f"k{i}", "x") for i in range(3000)])
        uploaded = client.files.upload(file=src, config={"mime_type": "jsonl"})
        job = client.batches.create(model="gemini-2.5-flash", src=uploaded.name)
        deadline = time.monotonic() + 30
        while "successfulRequestCount" not in stats(server.url, "k", job.name):
            assert time.monotonic() < deadline, "the batch never made progress"
            time.sleep(0.01)
        assert client.batches.get(name=job.name).state.name == "JOB_STATE_RUNNING"
        client.batches.cancel(name=job.name)
        job = wait_done(client, job.name)
        assert job.state.name == "JOB_STATE_CANCELLED"
        operation = httpx.get(f"{server.url}/v1beta/{job.name}", headers={"x-goog-api-key": "k"}).json()
        assert operation["error"]["code"] == 1 and operation["done"] is True  # the SDK does not read it; REST does
        deadline = time.monotonic() + 30
        while (job := client.batches.get(name=job.name)).dest is None:  # partial output is published
            assert time.monotonic() < deadline
            time.sleep(0.01)
        lines = client.files.download(file=job.dest.file_name).decode().splitlines()
        done = int(stats(server.url, "k", job.name)["successfulRequestCount"])
        assert 0 < len(lines) == done < 3000
        assert [json.loads(line)["key"] for line in lines] == [f"k{i}" for i in range(done)]


def test_cancel_pending_batch_has_no_output() -> None:
    with thread_server(Settings(data_dir=None, queue_delay=3600)) as server:
        client = make_client(server.url, "k")
        job = client.batches.create(
            model="gemini-2.5-flash", src=[{"contents": [{"parts": [{"text": "x"}], "role": "user"}]}]
        )
        client.batches.cancel(name=job.name)
        job = client.batches.get(name=job.name)
        assert job.state.name == "JOB_STATE_CANCELLED" and job.done and job.dest is None


def run_batch(seed: int, src: Path, error_rate: float) -> tuple[str, str, bytes]:
    with thread_server(
        Settings(data_dir=None, seed=seed, queue_delay=0, request_latency=0, request_error_rate=error_rate)
    ) as server:
        client = make_client(server.url, "k")
        uploaded = client.files.upload(file=src, config={"mime_type": "jsonl"})
        job = wait_done(client, client.batches.create(model="gemini-2.5-flash", src=uploaded.name).name)
        return uploaded.name, job.name, client.files.download(file=job.dest.file_name)


def test_same_seed_same_input_same_output(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [request_line(f"k{i}", f"prompt {i}") for i in range(200)])
    first = run_batch(42, src, 0.2)
    assert run_batch(42, src, 0.2) == first
    other = run_batch(43, src, 0.2)
    assert other[0] != first[0] and other[2] != first[2]
    errors = first[2].count(b'"error"')
    assert 20 <= errors <= 60  # about 20% of 200, chosen by the seed
    assert first[2].count(b"\n") == 200


@pytest.mark.parametrize("latency", [0.0, 0.01])
def test_small_batch_finishes_quickly_by_default(latency: float) -> None:
    with thread_server(Settings(data_dir=None, request_latency=latency)) as server:
        client = make_client(server.url, "k")
        src = [{"contents": [{"parts": [{"text": f"{i}"}], "role": "user"}]} for i in range(10)]
        job = wait_done(client, client.batches.create(model="gemini-2.5-flash", src=src).name, timeout=10)
        assert job.state.name == "JOB_STATE_SUCCEEDED" and len(job.dest.inlined_responses) == 10
