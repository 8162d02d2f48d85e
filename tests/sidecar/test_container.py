"""The image, run as Docker would run it, minus Docker: the Dockerfile's ENTRYPOINT and HEALTHCHECK,
word for word, on the host, with the Dockerfile's ENV and the variables the examples set (only the
address and the data directory are overridden: loopback, a free port, a temporary /data).

It becomes healthy, serves the examples' SDK workflow (docs/ci/smoke.py), stops on SIGTERM with a
job in flight and resumes it on the same volume with every line answered exactly once; its logs are
what --log-format promises; a request in flight at SIGTERM is answered; the testcontainers example
runs against it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.sidecar.flows import (
    assert_finishes_with_every_line_once,
    assert_interrupted,
    json_lines,
    smoke,
    start_long_batch,
)
from tests.sidecar.image import COMPOSE, ROOT, Container, example_env, healthcheck, seconds

pytestmark = pytest.mark.slow


@pytest.fixture
def containers() -> Iterator[list[Container]]:
    made: list[Container] = []
    yield made
    for container in made:
        container.kill()


def test_entrypoint_serves_the_sdk_workflow_and_resumes_a_job_after_sigterm(
    tmp_path: Path, containers: list[Container]
) -> None:
    data = tmp_path / "volume"
    env = example_env(COMPOSE)  # as docker-compose.yml and the CI examples configure it
    container = Container(tmp_path, data, env)
    containers.append(container)
    assert not container.healthy(), "healthy before it started"

    container.start()
    took = container.wait_healthy()
    assert took < seconds(healthcheck()[0]["start-period"]), "healthy within the start period"

    done = smoke(container.url)
    assert done.returncode == 0, done.stderr + container.logs()
    assert done.stdout.startswith("ok: batches/")

    name, _ = start_long_batch(container.url, tmp_path)
    status = container.stop()  # docker stop: SIGTERM, 10 s grace
    assert status in (0, -15), container.logs()
    assert_interrupted(data / "emulator.sqlite3", name)

    container.start()  # docker start: the same volume, the same settings
    container.wait_healthy()
    assert_finishes_with_every_line_once(container.url, name)

    metrics = httpx.get(f"{container.url}/_emulator/metrics").text
    assert 'gemini_emulator_batches{state="BATCH_STATE_SUCCEEDED"} 2' in metrics
    assert 'gemini_emulator_lines_processed_total{result="succeeded"} 2020' in metrics
    assert container.stop() in (0, -15)

    # GEMINI_EMULATOR_LOG_FORMAT=json (from the examples): every line of both runs is JSON.
    records = json_lines(container.logs())
    requests_seen = {r.get("operation") for r in records if r.get("event") == "request"}
    assert {"files.upload", "files.upload.chunk", "batches.create", "batches.get", "files.download"} <= requests_seen
    transitions = [r["state"] for r in records if r.get("event") == "batch" and r["batch"] == name]
    assert transitions == ["BATCH_STATE_RUNNING", "BATCH_STATE_SUCCEEDED"], transitions
    assert any("Application shutdown complete" in r["message"] for r in records)


def test_log_format_flag_after_the_image_name_beats_the_environment(
    tmp_path: Path, containers: list[Container]
) -> None:
    """`docker run ... image --log-format text`: readable lines, one per request and per transition."""
    env = {**example_env(COMPOSE), "GEMINI_EMULATOR_QUEUE_DELAY": "0.2"}
    container = Container(tmp_path, tmp_path / "volume", env, "--log-format", "text")
    containers.append(container)
    container.start().wait_healthy()
    body = {
        "batch": {"inputConfig": {"requests": {"requests": [{"request": {"contents": [{"parts": [{"text": "hi"}]}]}}]}}}
    }
    url = f"{container.url}/v1beta/models/gemini-2.5-flash:batchGenerateContent"
    name = httpx.post(url, json=body, headers={"x-goog-api-key": "k"}).json()["name"]
    httpx.get(f"{container.url}/_emulator/wait-idle").raise_for_status()
    httpx.get(f"{container.url}/v1beta/files/nope", headers={"x-goog-api-key": "k"})
    container.stop()
    lines = container.logs().splitlines()
    request_lines = [line for line in lines if " emulator.requests: " in line]
    created = next(line for line in request_lines if "batches.create" in line)
    assert ":batchGenerateContent 200 " in created and "key=key-" in created and "INFO" in created
    assert any(" /v1beta/files/nope 403 " in line and "files.get" in line for line in request_lines)
    assert not any("/_emulator/health" in line for line in lines), "health checks are debug-level noise"
    assert any(line.endswith(f"{name} PENDING→RUNNING (1 requests)") for line in lines)
    assert any(f"{name} SUCCEEDED (1 ok, 0 failed)" in line for line in lines)
    assert not any(line.startswith("{") for line in lines)


def test_the_testcontainers_example_runs_against_the_entrypoint(tmp_path: Path) -> None:
    shim = Path(__file__).resolve().parent / "shim"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GEMINI_EMULATOR_", "PYTEST_"))},
        "PYTHONPATH": os.pathsep.join([str(shim), str(ROOT)]),
        "SIDECAR_SHIM_WORKDIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "docs/ci/testcontainers_example.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_sigterm_lets_a_request_in_flight_finish(tmp_path: Path, containers: list[Container]) -> None:
    container = Container(tmp_path, tmp_path / "volume", example_env(COMPOSE))
    containers.append(container)
    container.start().wait_healthy()
    slow = {"http": [{"operation": "batches.list", "delay": 1.5}]}  # answered normally, 1.5 s late
    httpx.post(f"{container.url}/_emulator/faults", json=slow).raise_for_status()
    answers: list[httpx.Response] = []
    in_flight = threading.Thread(
        target=lambda: answers.append(httpx.get(f"{container.url}/v1beta/batches", headers={"x-goog-api-key": "k"}))
    )
    in_flight.start()
    time.sleep(0.5)  # the request is being held inside the server now (its line is logged when it ends)
    assert container.stop() in (0, -15)
    in_flight.join(timeout=10)
    assert [a.status_code for a in answers] == [200]
