"""`GET /_emulator/metrics`: Prometheus text format with requests by operation and status, batches by
state, lines processed, queue depth and processing rate."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from emulator import Settings
from emulator.observability.metrics import Metrics
from tests.servers import ThreadServer, thread_server

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_]\w*="(?:[^"\\]|\\.)*",?)*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"')
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Parse the exposition format strictly: every sample follows its family's HELP and TYPE."""
    assert text.endswith("\n")
    samples: Samples = {}
    typed: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "summary") and name not in typed
            typed[name] = kind
            continue
        match = _SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        family = re.sub(r"_(sum|count)$", "", name) if name not in typed else name
        assert family in typed, f"{name} has no TYPE line before it"
        samples[(name, frozenset(_LABEL.findall(labels or "")))] = float(value)
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((f"gemini_emulator_{name}", frozenset(labels.items())), 0.0)


def scrape(server: ThreadServer) -> Samples:
    response = httpx.get(f"{server.url}/_emulator/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


@pytest.fixture
def server() -> Iterator[ThreadServer]:
    """An emulator of its own: counters are per server, and these tests count exactly."""
    with thread_server(Settings(data_dir=None, queue_delay=0, request_latency=0)) as running:
        yield running


def inline_batch(server: ThreadServer, key: str, n: int) -> str:
    body = {
        "batch": {
            "inputConfig": {
                "requests": {
                    "requests": [{"request": {"contents": [{"parts": [{"text": f"q{i}"}]}]}} for i in range(n)]
                }
            }
        }
    }
    url = f"{server.url}/v1beta/models/gemini-2.5-flash:batchGenerateContent"
    response = httpx.post(url, json=body, headers={"x-goog-api-key": key})
    response.raise_for_status()
    name: str = response.json()["name"]
    return name


def test_requests_by_operation_and_status(server: ThreadServer) -> None:
    key = {"x-goog-api-key": "metrics"}
    inline_batch(server, "metrics", 3)
    httpx.get(f"{server.url}/v1beta/files/missing", headers=key)
    httpx.get(f"{server.url}/v1/batches/missing", headers=key)
    httpx.get(f"{server.url}/v1beta/batches", headers=key)
    httpx.get(f"{server.url}/_emulator/health")  # the control plane is not counted
    samples = scrape(server)
    assert value(samples, "requests_total", operation="batches.create", status="200") == 1
    assert value(samples, "requests_total", operation="files.get", status="403") == 1
    assert value(samples, "requests_total", operation="batches.get", status="404") == 1
    assert value(samples, "requests_total", operation="batches.list", status="200") == 1
    assert sum(v for (name, _), v in samples.items() if name == "gemini_emulator_requests_total") == 4
    assert value(samples, "request_duration_seconds_count", operation="batches.create") == 1
    assert value(samples, "request_duration_seconds_sum", operation="batches.create") > 0
    assert value(samples, "info", version=__import__("emulator").__version__) == 1


def test_injected_faults_are_counted_with_their_status(server: ThreadServer) -> None:
    httpx.post(
        f"{server.url}/_emulator/faults", json={"http": [{"operation": "batches.list", "status": 429, "first_n": 2}]}
    ).raise_for_status()
    for _ in range(3):
        httpx.get(f"{server.url}/v1beta/batches", headers={"x-goog-api-key": "f"})
    samples = scrape(server)
    assert value(samples, "requests_total", operation="batches.list", status="429") == 2
    assert value(samples, "requests_total", operation="batches.list", status="200") == 1


def test_batches_lines_and_rate(server: ThreadServer) -> None:
    first = scrape(server)
    assert value(first, "lines_per_second") == 0  # nothing to measure against yet
    for state in ("PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED"):
        assert ("gemini_emulator_batches", frozenset({("state", f"BATCH_STATE_{state}")})) in first, state
    started = time.monotonic()
    inline_batch(server, "lines", 40)
    inline_batch(server, "lines", 10)
    httpx.get(f"{server.url}/_emulator/wait-idle").raise_for_status()
    elapsed = time.monotonic() - started
    samples = scrape(server)
    assert value(samples, "batches", state="BATCH_STATE_SUCCEEDED") == 2
    assert value(samples, "lines_processed_total", result="succeeded") == 50
    assert value(samples, "lines_processed_total", result="failed") == 0
    assert value(samples, "queue_depth_batches") == 0 and value(samples, "queue_depth_requests") == 0
    assert 50 / (elapsed + 5) < value(samples, "lines_per_second") <= 50 / elapsed * 1.5


def test_queue_depth_counts_waiting_batches_and_their_requests() -> None:
    settings = Settings(data_dir=None, clock="manual", queue_delay=3600, request_latency=0)
    with thread_server(settings) as server:
        inline_batch(server, "q", 7)
        inline_batch(server, "q", 5)
        samples = scrape(server)
        assert value(samples, "batches", state="BATCH_STATE_PENDING") == 2
        assert value(samples, "queue_depth_batches") == 2
        assert value(samples, "queue_depth_requests") == 12
        httpx.post(f"{server.url}/_emulator/clock:advance", json={"hours": 2}).raise_for_status()
        samples = scrape(server)
        assert value(samples, "queue_depth_batches") == 0
        assert value(samples, "lines_processed_total", result="succeeded") == 12


def test_lines_of_deleted_batches_stay_counted(server: ThreadServer) -> None:
    key = f"d-{uuid.uuid4().hex}"
    name = inline_batch(server, key, 4)
    httpx.get(f"{server.url}/_emulator/wait-idle").raise_for_status()
    assert value(scrape(server), "lines_processed_total", result="succeeded") == 4
    httpx.delete(f"{server.url}/v1beta/{name}", headers={"x-goog-api-key": key}).raise_for_status()
    samples = scrape(server)
    assert value(samples, "lines_processed_total", result="succeeded") == 4  # a counter never goes down
    assert value(samples, "batches", state="BATCH_STATE_SUCCEEDED") == 0


def test_label_values_are_escaped() -> None:
    metrics = Metrics()
    metrics.observe_request('odd"op\\with\nnewline', 0, 0.5)
    assert metrics.requests[('odd"op\\with\nnewline', "dropped")] == 1
    from emulator.observability.metrics import _labels

    assert _labels({"operation": 'a"b\\c\nd'}) == '{operation="a\\"b\\\\c\\nd"}'
