"""What the container tests do to an emulator, wherever it runs: the image's entrypoint on the host
(test_container.py) or the image under podman (test_image.py)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
from google import genai
from google.genai import types

from tests.sidecar.image import ROOT

LINES = 2000
KEY = "resume"
T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    while (value := probe()) is None or value is False:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
    return value


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of a log, each of which must be one JSON object."""
    out = []
    for line in text.splitlines():
        try:
            out.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
    return out


def smoke(url: str) -> subprocess.CompletedProcess[str]:
    """docs/ci/smoke.py, the CI examples' SDK workflow, run against `url` from the host."""
    return subprocess.run(
        [sys.executable, str(ROOT / "docs" / "ci" / "smoke.py")],
        env={**os.environ, "GOOGLE_GEMINI_BASE_URL": url, "GOOGLE_API_KEY": "any-key"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def start_long_batch(url: str, workdir: Path) -> tuple[str, str]:
    """A batch of LINES lines at 2 ms each (set at run time), returned once it is under way:
    (its name, the name of its input file)."""
    httpx.patch(f"{url}/_emulator/config", json={"latency": {"request_latency": 0.002}}).raise_for_status()
    requests = workdir / "requests.jsonl"
    requests.write_bytes(
        b"".join(
            orjson.dumps({"key": f"k{i}", "request": {"contents": [{"parts": [{"text": f"line {i}"}]}]}}) + b"\n"
            for i in range(LINES)
        )
    )
    with genai.Client(api_key=KEY, http_options={"base_url": url}) as client:
        uploaded = client.files.upload(file=requests, config=types.UploadFileConfig(mime_type="jsonl"))
        assert uploaded.name is not None
        job = client.batches.create(model="gemini-2.5-flash", src=uploaded.name)
    assert job.name is not None
    name = job.name

    def running() -> bool:
        op = httpx.get(f"{url}/v1beta/{name}", headers={"x-goog-api-key": KEY}).json()
        done = int(op["metadata"].get("batchStats", {}).get("successfulRequestCount", 0))
        return op["metadata"]["state"] == "BATCH_STATE_RUNNING" and done > 0

    wait_for("the batch to be under way", running)
    return name, uploaded.name


def checkpoint(database: Path, name: str) -> tuple[str, int]:
    """(state, lines answered) as a stopped emulator left them in its SQLite file."""
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT state, lines_done FROM batches WHERE id = ?", (name.split("/")[1],)).fetchone()
    finally:
        db.close()
    return row[0], row[1]


def assert_interrupted(database: Path, name: str) -> None:
    state, done = checkpoint(database, name)
    assert state == "BATCH_STATE_RUNNING" and 0 < done < LINES, (state, done)


def assert_finishes_with_every_line_once(url: str, name: str) -> None:
    """After a restart the batch finishes, and its output has every input line once, in order."""
    with genai.Client(api_key=KEY, http_options={"base_url": url}) as client:

        def finished_job() -> types.BatchJob | None:
            job = client.batches.get(name=name)
            return job if job.done else None

        finished = wait_for("the batch to finish", finished_job)
        assert finished.state == types.JobState.JOB_STATE_SUCCEEDED
        assert finished.dest is not None and finished.dest.file_name is not None
        output = client.files.download(file=finished.dest.file_name)
    keys = [orjson.loads(line)["key"] for line in output.splitlines()]
    assert keys == [f"k{i}" for i in range(LINES)], "every line exactly once, in order"
