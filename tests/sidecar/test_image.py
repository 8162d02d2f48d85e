"""The image itself: built from the Dockerfile and run with podman by `make test-image`
(tests/sidecar/podman/run.sh, which .ci/run calls where it can install podman). Skipped elsewhere.

One container, configured as the CI examples configure it, on a named volume: healthy within the
start period by the image's own HEALTHCHECK (`podman healthcheck run`: podman has no systemd timer
here), running as uid 10001, honouring the documented variables, passing docs/ci/smoke.py from the
host, logging JSON; stopped by SIGTERM mid-job it exits 143 and, started again on the volume, finishes
that job with every line once; a new container on the same volume still has the data. Then the
README's pytest example against the container (the plugin's sidecar mode, as README's compose snippet
sets it up), and the testcontainers example against podman's Docker-compatible socket.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from google import genai
from google.genai import types

from emulator.testing.plugin import URL_ENV
from tests.plugin.test_docs_pytest import pytest_examples
from tests.sidecar.flows import (
    KEY,
    assert_finishes_with_every_line_once,
    assert_interrupted,
    json_lines,
    smoke,
    start_long_batch,
    wait_for,
)
from tests.sidecar.image import COMPOSE, ROOT, example_env, healthcheck, seconds

IMAGE = os.environ.get("GEMINI_EMULATOR_TEST_IMAGE", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not IMAGE, reason="`make test-image` builds the image with podman and runs these"),
]


def podman(*args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done


class Podman:
    """Containers and volumes made by one test, removed at its end."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.volumes: list[str] = []

    def volume(self) -> str:
        name = f"gemini-test-{uuid.uuid4().hex[:12]}"
        podman("volume", "create", name)
        self.volumes.append(name)
        return name

    def run(self, volume: str, env: dict[str, str], *args: str) -> str:
        """`docker run -d -p 127.0.0.1::8790 -v VOLUME:/data -e ... IMAGE ARGS`: the container's name."""
        name = f"gemini-test-{uuid.uuid4().hex[:12]}"
        flags = [f"--env={key}={value}" for key, value in env.items()]
        podman("run", "--detach", f"--name={name}", "--publish=127.0.0.1::8790", f"--volume={volume}:/data", *flags,
               IMAGE, *args)  # fmt: skip
        self.names.append(name)
        return name

    def cleanup(self) -> None:
        for name in self.names:
            podman("rm", "--force", "--time=0", name, check=False)
        for volume in self.volumes:
            podman("volume", "rm", "--force", volume, check=False)


@pytest.fixture
def engine() -> Iterator[Podman]:
    made = Podman()
    yield made
    made.cleanup()


def url_of(name: str) -> str:
    return "http://" + podman("port", name, "8790").stdout.split()[0]


def healthy(name: str) -> bool:
    return podman("healthcheck", "run", name, check=False).returncode == 0


def wait_healthy(name: str, timeout: float) -> float:
    started = time.monotonic()
    wait_for(f"{name} to be healthy", lambda: healthy(name), timeout)
    return time.monotonic() - started


def inspect(name: str, template: str) -> str:
    return podman("inspect", "--format", template, name).stdout.strip()


def test_the_image_is_configured_as_documented() -> None:
    config = orjson.loads(podman("image", "inspect", "--format", "{{json .Config}}", IMAGE).stdout)
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["tini", "--", "gemini-batch-emulator", "serve"]
    assert "8790/tcp" in config["ExposedPorts"] and "/data" in config["Volumes"]
    assert {"GEMINI_EMULATOR_HOST=0.0.0.0", "GEMINI_EMULATOR_PORT=8790", "GEMINI_EMULATOR_DATA_DIR=/data"} <= set(
        config["Env"]
    )
    # The docker format keeps the HEALTHCHECK (the OCI format would drop it).
    check = orjson.loads(podman("image", "inspect", "--format", "{{json .HealthCheck}}", IMAGE).stdout)
    options, command = healthcheck()
    assert check["Test"] == ["CMD", *command]
    assert check["Interval"] == seconds(options["interval"]) * 1e9


def test_the_container_serves_stops_on_sigterm_and_resumes_on_its_volume(engine: Podman, tmp_path: Path) -> None:
    env = example_env(COMPOSE)  # as docker-compose.yml and the CI examples configure it
    volume = engine.volume()
    name = engine.run(volume, {**env, "GEMINI_EMULATOR_WORKERS": "1"})
    took = wait_healthy(name, timeout=30)
    assert took < seconds(healthcheck()[0]["start-period"]), "healthy within the start period"
    url = url_of(name)

    # Never root: every process of the container (tini, the emulator, its workers) runs as 10001.
    processes = [line.split() for line in podman("top", name, "huser", "comm").stdout.splitlines()[1:]]
    assert [comm for _, comm in processes][:2] == ["tini", "gemini-batch-em"], processes
    assert {user for user, _ in processes} == {"10001"}, processes
    assert podman("exec", name, "id", "-u").stdout.strip() == "10001"

    # The documented variables reach the settings: the image's own and the examples'.
    shown = orjson.loads(podman("exec", name, "gemini-batch-emulator", "print-config", "--json").stdout)
    for variable in [*env, "GEMINI_EMULATOR_HOST", "GEMINI_EMULATOR_PORT", "GEMINI_EMULATOR_DATA_DIR"]:
        assert f"environment {variable}" in {s["source"] for s in shown.values()}, variable
    assert shown["data_dir"]["value"] == "/data" and shown["workers"]["value"] == 1

    done = smoke(url)
    assert done.returncode == 0, done.stderr + podman("logs", name).stderr
    assert done.stdout.startswith("ok: batches/")

    batch, uploaded = start_long_batch(url, tmp_path)
    podman("stop", "--time=10", name)  # docker stop: SIGTERM, then SIGKILL after 10 s
    assert inspect(name, "{{.State.ExitCode}}") == "143", "SIGTERM's status, as docs/sidecar.md says"
    mountpoint = podman("volume", "inspect", "--format", "{{.Mountpoint}}", volume).stdout.strip()
    assert_interrupted(Path(mountpoint) / "emulator.sqlite3", batch)

    podman("start", name)  # the same container, volume and settings
    wait_healthy(name, timeout=30)
    assert_finishes_with_every_line_once(url_of(name), batch)
    podman("stop", "--time=10", name)

    # GEMINI_EMULATOR_LOG_FORMAT=json (from the examples): every line of both runs is JSON.
    logs = podman("logs", name)
    records = json_lines(logs.stdout + logs.stderr)
    seen = {r.get("operation") for r in records if r.get("event") == "request"}
    assert {"files.upload", "batches.create", "batches.get", "files.download"} <= seen
    transitions = [r["state"] for r in records if r.get("event") == "batch" and r["batch"] == batch]
    assert transitions == ["BATCH_STATE_RUNNING", "BATCH_STATE_SUCCEEDED"], transitions

    # `docker compose down && up`: a new container on the same volume has the same files and batches.
    again = engine.run(volume, env)
    wait_healthy(again, timeout=30)
    with genai.Client(api_key=KEY, http_options={"base_url": url_of(again)}) as client:
        assert client.files.get(name=uploaded).name == uploaded
        assert client.batches.get(name=batch).state == types.JobState.JOB_STATE_SUCCEEDED


def test_flags_after_the_image_name_are_serve_flags(engine: Podman) -> None:
    name = engine.run(engine.volume(), {"GEMINI_EMULATOR_LOG_FORMAT": "json"}, "--log-format", "text", "--seed", "7")
    wait_healthy(name, timeout=30)
    assert httpx.get(f"{url_of(name)}/_emulator/health").status_code == 200
    config = httpx.get(f"{url_of(name)}/_emulator/config").json()
    assert config["seed"] == 7
    podman("stop", "--time=10", name)
    logs = podman("logs", name)
    lines = (logs.stdout + logs.stderr).splitlines()
    assert any(" INFO uvicorn.error: Application startup complete." in line for line in lines)
    assert not any(line.startswith("{") for line in lines), "the flag beats GEMINI_EMULATOR_LOG_FORMAT"


def test_the_readmes_pytest_example_runs_against_the_container_as_a_sidecar(engine: Podman, tmp_path: Path) -> None:
    """README's compose snippet: the plugin's fixtures and marker against the container, by GEMINI_EMULATOR_URL."""
    name = engine.run(engine.volume(), example_env(COMPOSE))
    wait_healthy(name, timeout=30)
    examples = pytest_examples(ROOT / "README.md")
    for i, code in enumerate(examples):
        (tmp_path / f"test_readme_{i}.py").write_text(code)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", str(tmp_path)],
        cwd=tmp_path,
        env={**os.environ, URL_ENV: url_of(name)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    tests = sum(code.count("\ndef test_") for code in examples)
    assert done.returncode == 0 and f"{tests} passed" in done.stdout, done.stdout + done.stderr


def test_the_testcontainers_example_runs_against_the_image(tmp_path: Path) -> None:
    assert os.environ.get("DOCKER_HOST"), "run.sh points testcontainers at podman's socket"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "docs/ci/testcontainers_example.py"],
        cwd=ROOT,
        env={**os.environ, "GEMINI_EMULATOR_IMAGE": IMAGE},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
