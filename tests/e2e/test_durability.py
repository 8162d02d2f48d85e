"""Durability end to end: the real google-genai SDK against `gemini-batch-emulator serve` processes.

A batch interrupted by a graceful stop (SIGTERM) or a crash (`kill -9`) resumes on the same
--data-dir, and every input line ends up in the output exactly once, in input order. Files and
finished batches survive a restart; `--ephemeral` leaves nothing behind.

No timed assertions: the timeouts below only stop a broken emulator from hanging the suite.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
import pytest
from google import genai
from google.genai import types

from tests.servers import ProcessServer

pytestmark = pytest.mark.slow

MODEL = "gemini-2.5-flash"
LINES = 3000
# 2 ms per request: a 3,000-line batch runs ~6 s, long enough to interrupt it more than once.
SLOW = ("--request-latency", "0.002", "--queue-delay", "0")
FAST = ("--request-latency", "0", "--queue-delay", "0")
TIMEOUT = 60.0  # generous: only there so a broken emulator fails the test instead of hanging it
T = TypeVar("T")


# -- helpers ------------------------------------------------------------------------------------
def write_jsonl(path: Path, n: int) -> Path:
    with path.open("wb") as f:
        for i in range(n):
            text = f"Request number {i}: summarise the quarterly report for region {i % 17} in one sentence."
            f.write(orjson.dumps({"key": f"k{i}", "request": {"contents": [{"parts": [{"text": text}]}]}}) + b"\n")
    return path


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = TIMEOUT, every: float = 0.05) -> T:
    """Call `probe` until it returns something other than None (or False)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


class Session:
    """One emulator process plus an SDK client and a raw REST client for it, with one API key."""

    def __init__(self, data_dir: Path | None, api_key: str, *args: str) -> None:
        self.server = ProcessServer(data_dir, *args).start()
        self.api_key = api_key
        self.client = genai.Client(api_key=api_key, http_options={"base_url": self.server.url})
        self.http = httpx.Client(base_url=self.server.url, headers={"x-goog-api-key": api_key}, timeout=30)

    def raw_batch(self, name: str) -> dict[str, Any]:
        """The REST `Operation` for a batch: unlike the SDK's view, it carries `batchStats`."""
        response = self.http.get(f"/v1beta/{name}")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def stats(self, name: str) -> dict[str, int]:
        stats = self.raw_batch(name)["metadata"].get("batchStats", {})
        return {k: int(v) for k, v in stats.items()}

    def wait_done(self, name: str) -> types.BatchJob:
        def probe() -> types.BatchJob | None:
            job = self.client.batches.get(name=name)
            return job if job.done else None

        return wait_for(f"{name} to finish", probe, every=0.1)

    def close(self, *, crash: bool = False) -> None:
        self.client.close()
        self.http.close()
        if crash:
            self.server.kill()
        else:
            self.server.stop()


@pytest.fixture
def sessions() -> Iterator[list[Session]]:
    """Every session a test opens, stopped at the end even if the test fails half-way."""
    opened: list[Session] = []
    yield opened
    for session in opened:
        session.client.close()
        session.http.close()
        session.server.stop()


@pytest.fixture
def key() -> str:
    return f"e2e-{uuid.uuid4().hex}"


def open_session(sessions: list[Session], data_dir: Path | None, key: str, *args: str) -> Session:
    session = Session(data_dir, key, *args)
    sessions.append(session)
    return session


def upload(session: Session, path: Path) -> types.File:
    return session.client.files.upload(file=path, config=types.UploadFileConfig(mime_type="jsonl"))


def checkpoint(data_dir: Path, batch_name: str) -> tuple[str, int, int, str]:
    """(state, lines_done, request_count, output blob) as the stopped server left them on disk.

    Reads the emulator's database directly, only to prove the interruption really happened
    mid-job (the API cannot be asked while the server is down, and answers too late after)."""
    db = sqlite3.connect(f"file:{data_dir / 'emulator.sqlite3'}?mode=ro", uri=True)
    try:
        row = db.execute(
            "SELECT state, lines_done, request_count, output_blob FROM batches WHERE id = ?",
            (batch_name.removeprefix("batches/"),),
        ).fetchone()
    finally:
        db.close()
    assert row is not None, f"{batch_name} is not in the database"
    return row[0], row[1], row[2], row[3]


def assert_complete(output: bytes, n: int) -> None:
    """Every key k0..k{n-1} exactly once, in input order, each answered with a response."""
    lines = output.splitlines()
    results = [orjson.loads(line) for line in lines if line.strip()]
    keys = [r.get("key") for r in results]
    expected = [f"k{i}" for i in range(n)]
    if keys != expected:
        seen: dict[str, int] = {}
        for k in keys:
            seen[k] = seen.get(k, 0) + 1
        duplicated = sorted((k for k, c in seen.items() if c > 1), key=lambda k: int(k[1:]))
        missing = sorted(set(expected) - set(seen), key=lambda k: int(k[1:]))
        first_bad = next((i for i, (a, b) in enumerate(zip(keys, expected, strict=False)) if a != b), None)
        raise AssertionError(
            f"{len(keys)} result lines for {n} requests; duplicated {duplicated[:10]} "
            f"({len(duplicated)}), missing {missing[:10]} ({len(missing)}), "
            f"first out of order at line {first_bad}"
        )
    without = [r["key"] for r in results if "response" not in r or "error" in r]
    assert not without, f"{len(without)} lines without a response, e.g. {without[:5]}"
    assert output.endswith(b"\n") and b"\n\n" not in output


def start_big_batch(session: Session, tmp_path: Path) -> str:
    file = upload(session, write_jsonl(tmp_path / "requests.jsonl", LINES))
    assert file.name is not None
    job = session.client.batches.create(model=MODEL, src=file.name)
    assert job.name is not None
    return job.name


def wait_progress(session: Session, name: str, at_least: int) -> int:
    """Wait until the batch is RUNNING with more than `at_least` requests answered; return the count."""

    def probe() -> int | None:
        op = session.raw_batch(name)
        state = op["metadata"]["state"]
        assert state in ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"), f"{name} is {state} before the restart"
        done = int(op["metadata"].get("batchStats", {}).get("successfulRequestCount", 0))
        return done if state == "BATCH_STATE_RUNNING" and done > at_least else None

    return wait_for(f"{name} to pass {at_least} requests", probe, every=0.02)


def finish_and_check(session: Session, name: str) -> None:
    job = session.wait_done(name)
    assert job.state == types.JobState.JOB_STATE_SUCCEEDED, job
    assert job.dest is not None and job.dest.file_name is not None
    assert session.stats(name) == {"requestCount": LINES, "successfulRequestCount": LINES}
    output = session.client.files.download(file=job.dest.file_name)
    assert_complete(output, LINES)
    out_file = session.client.files.get(name=job.dest.file_name)
    assert out_file.size_bytes == len(output)


# -- a) graceful restart mid-job ----------------------------------------------------------------
def test_graceful_restart_mid_job_answers_every_line_once(tmp_path: Path, sessions: list[Session], key: str) -> None:
    data = tmp_path / "data"
    first = open_session(sessions, data, key, *SLOW)
    name = start_big_batch(first, tmp_path)
    seen = wait_progress(first, name, 0)
    first.close()  # SIGTERM

    state, done, total, _ = checkpoint(data, name)
    assert state == "BATCH_STATE_RUNNING" and seen <= done < total == LINES, (state, done, total)

    second = open_session(sessions, data, key, *SLOW)
    finish_and_check(second, name)


# -- b) kill -9, twice, during one job ----------------------------------------------------------
def test_kill_9_twice_mid_job_answers_every_line_once(tmp_path: Path, sessions: list[Session], key: str) -> None:
    data = tmp_path / "data"
    first = open_session(sessions, data, key, *SLOW)
    name = start_big_batch(first, tmp_path)
    wait_progress(first, name, 0)
    first.close(crash=True)
    state, done1, total, output_blob = checkpoint(data, name)
    assert state == "BATCH_STATE_RUNNING" and 0 < done1 < total == LINES, (state, done1, total)

    # A crash can leave bytes past the checkpoint (a chunk written, its checkpoint not yet
    # committed), possibly a torn line: make sure of it, the restart must drop them.
    with (data / "blobs" / output_blob).open("ab") as f:
        f.write(b'{"key":"k0","response":{"torn":"wr')

    second = open_session(sessions, data, key, *SLOW)
    # Catching up on the downtime happens at once; wait for fresh progress beyond it, then crash again.
    caught_up = wait_for("the restarted runner to catch up", lambda: second.stats(name).get("successfulRequestCount"))
    wait_progress(second, name, caught_up)
    second.close(crash=True)
    state, done2, total, _ = checkpoint(data, name)
    assert state == "BATCH_STATE_RUNNING" and done1 < done2 < total, (state, done1, done2, total)

    third = open_session(sessions, data, key, *SLOW)
    finish_and_check(third, name)


# -- c) state survives a restart ----------------------------------------------------------------
def test_files_and_batches_survive_a_restart(tmp_path: Path, sessions: list[Session], key: str) -> None:
    data = tmp_path / "data"
    # A short queue delay, so that a batch can be cancelled before it has run.
    first = open_session(sessions, data, key, "--request-latency", "0", "--queue-delay", "0.5")
    requests = upload(first, write_jsonl(tmp_path / "small.jsonl", 25))
    assert requests.name is not None
    finished = first.client.batches.create(model=MODEL, src=requests.name, config={"display_name": "finished"})
    assert finished.name is not None
    finished = first.wait_done(finished.name)
    assert finished.dest is not None and finished.dest.file_name is not None
    output_before = first.client.files.download(file=finished.dest.file_name)
    inline = first.client.batches.create(
        model=MODEL,
        src=[{"contents": [{"parts": [{"text": "inline"}], "role": "user"}]}],
        config={"display_name": "inline"},
    )
    assert inline.name is not None
    inline = first.wait_done(inline.name)
    cancelled = first.client.batches.create(model=MODEL, src=requests.name, config={"display_name": "cancelled"})
    assert cancelled.name is not None
    first.client.batches.cancel(name=cancelled.name)
    cancelled = first.wait_done(cancelled.name)
    files_before = sorted(f.name or "" for f in first.client.files.list())
    batches_before = {b.name: b.state for b in first.client.batches.list()}
    first.close()

    second = open_session(sessions, data, key, *FAST)
    client = second.client
    assert sorted(f.name or "" for f in client.files.list()) == files_before
    assert requests.name in files_before and finished.dest.file_name in files_before
    got = client.files.get(name=requests.name)
    assert (got.size_bytes, got.sha256_hash, got.mime_type) == (
        requests.size_bytes,
        requests.sha256_hash,
        requests.mime_type,
    )
    assert {b.name: b.state for b in client.batches.list()} == batches_before
    assert batches_before == {
        finished.name: types.JobState.JOB_STATE_SUCCEEDED,
        inline.name: types.JobState.JOB_STATE_SUCCEEDED,
        cancelled.name: types.JobState.JOB_STATE_CANCELLED,
    }
    again = client.batches.get(name=finished.name)
    assert again.display_name == "finished" and again.dest is not None
    assert again.dest.file_name == finished.dest.file_name
    assert client.files.download(file=finished.dest.file_name) == output_before
    assert_complete(output_before, 25)
    inline_again = client.batches.get(name=inline.name)
    assert inline_again.dest is not None and inline_again.dest.inlined_responses is not None
    assert inline.dest is not None and inline.dest.inlined_responses is not None
    assert [r.response for r in inline_again.dest.inlined_responses] == [
        r.response for r in inline.dest.inlined_responses
    ]
    assert inline_again.dest.inlined_responses[0].response is not None
    # The restarted server still takes new work on the old upload.
    rerun = client.batches.create(model=MODEL, src=requests.name)
    assert rerun.name is not None
    rerun = second.wait_done(rerun.name)
    assert rerun.state == types.JobState.JOB_STATE_SUCCEEDED and rerun.dest is not None
    assert rerun.dest.file_name is not None
    assert client.files.download(file=rerun.dest.file_name) == output_before  # same requests, same answers


def test_pending_batch_survives_a_restart(tmp_path: Path, sessions: list[Session], key: str) -> None:
    data = tmp_path / "data"
    # A batch keeps the timing drawn when it was created: it is still PENDING for 2 s after the restart.
    first = open_session(sessions, data, key, "--request-latency", "0", "--queue-delay", "2")
    requests = upload(first, write_jsonl(tmp_path / "small.jsonl", 10))
    assert requests.name is not None
    job = first.client.batches.create(model=MODEL, src=requests.name)
    assert job.name is not None and job.state == types.JobState.JOB_STATE_PENDING
    first.close(crash=True)

    second = open_session(sessions, data, key, *FAST)
    done = second.wait_done(job.name)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED and done.dest is not None
    assert done.dest.file_name is not None
    assert_complete(second.client.files.download(file=done.dest.file_name), 10)


# -- d) --ephemeral leaves nothing behind -------------------------------------------------------
def test_ephemeral_leaves_nothing_behind(
    tmp_path: Path, sessions: list[Session], key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp_root = tmp_path / "tmp"
    temp_root.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp_root))  # where the server process makes its temporary data dir
    session = open_session(sessions, None, key, *FAST)
    created = list(temp_root.iterdir())
    assert len(created) == 1 and created[0].is_dir(), created
    requests = upload(session, write_jsonl(tmp_path / "small.jsonl", 10))
    assert requests.name is not None
    job = session.client.batches.create(model=MODEL, src=requests.name)
    assert job.name is not None
    assert session.wait_done(job.name).state == types.JobState.JOB_STATE_SUCCEEDED
    assert any(p.is_file() for p in created[0].rglob("*"))
    session.close()
    assert session.server.proc is not None and session.server.proc.returncode is not None
    assert list(temp_root.iterdir()) == []
