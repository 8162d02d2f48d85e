"""Worker processes (`--workers`): large batches are answered beside the server, and nothing a client
sees changes: the same output byte for byte, every line once, whatever happens to a worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from google import genai
from google.genai import types

from emulator import Settings
from emulator.control import EmulatorControl
from tests.servers import ProcessServer, thread_server, worker_pids

pytestmark = pytest.mark.slow
MODEL = "gemini-2.5-flash"
LINES = 2400
TIMEOUT = 120.0


def batch_input(path: Path) -> Path:
    """Request lines of every kind the runner meets: plain, shaped, snake_case, broken, blank,
    over-long, and referring to a file that does not exist."""
    with path.open("wb") as f:
        for i in range(LINES):
            request: dict[str, object] = {"contents": [{"role": "user", "parts": [{"text": f"question {i}"}]}]}
            if i % 7 == 1:
                request["generationConfig"] = {"candidateCount": 2, "maxOutputTokens": 12}
            if i % 11 == 2:
                request["generation_config"] = {"response_mime_type": "application/json"}
            if i % 13 == 3:
                request["contents"] = [{"parts": [{"fileData": {"fileUri": "files/missing"}}]}]
            line = orjson.dumps({"key": f"k{i}", "request": request})
            if i % 97 == 5:
                line = b'{"key": "broken-%d", "request": {' % i
            if i % 101 == 6:
                line = orjson.dumps({"key": f"long-{i}", "request": {"contents": [{"parts": [{"text": "x" * 9000}]}]}})
            f.write(line + b"\n")
            if i % 50 == 0:
                f.write(b"\n")  # blank lines are skipped, never answered
    return path


def wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def run_batch(
    url: str, src: Path, *, advance: bool = False, before_advance: Callable[[], None] = lambda: None
) -> bytes:
    """Upload, create, (with a manual clock: `before_advance`, then advance it), wait for SUCCEEDED,
    download the output."""
    client = genai.Client(api_key="workers", http_options={"base_url": url})
    uploaded = client.files.upload(file=str(src), config=types.UploadFileConfig(mime_type="application/jsonl"))
    job = client.batches.create(model=MODEL, src=uploaded.name)
    if advance:
        before_advance()
        with EmulatorControl(url) as control:
            control.advance(seconds=10 * LINES)
    deadline = time.monotonic() + TIMEOUT
    while (job := client.batches.get(name=job.name)).state in (
        types.JobState.JOB_STATE_PENDING,
        types.JobState.JOB_STATE_RUNNING,
    ):
        assert time.monotonic() < deadline, "the batch did not finish"
        time.sleep(0.05)
    assert job.state == types.JobState.JOB_STATE_SUCCEEDED, job.error
    assert job.dest is not None and job.dest.file_name is not None
    return client.files.download(file=job.dest.file_name)


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return batch_input(tmp_path_factory.mktemp("workers") / "input.jsonl")


def settings(workers: int) -> Settings:
    # A manual clock and a second per request: no line is due until the test advances the clock, by
    # which time the workers have started, so the whole batch goes through them.
    return Settings(
        data_dir=None, port=0, seed=7, workers=workers, clock="manual", queue_delay=0, request_latency=1,
        max_line_bytes=4096, request_error_rate=0.02,
    )  # fmt: skip


@pytest.fixture(scope="module")
def in_server(src: Path) -> bytes:
    with thread_server(settings(0)) as server:
        return run_batch(server.url, src, advance=True)


def test_workers_answer_byte_for_byte_as_the_server_does(src: Path, in_server: bytes) -> None:
    with thread_server(settings(2)) as server:

        def workers_ready() -> None:
            wait_for(lambda: len(worker_pids(os.getpid())) == 2, "two worker processes")
            wait_for(lambda: server.emulator.runner.workers_ready, "the workers to be ready")

        output = run_batch(server.url, src, advance=True, before_advance=workers_ready)
        assert server.emulator.runner.lines_in_workers == LINES  # every line went through them
    assert output == in_server
    results = [orjson.loads(line) for line in output.splitlines()]
    assert len(results) == LINES
    assert sum("error" in r for r in results) > 4 * LINES // 97  # broken, over-long, missing file, seeded
    assert not worker_pids(os.getpid())  # stopped with the emulator


def test_a_custom_responder_keeps_its_state_in_the_server(src: Path, tmp_path: Path) -> None:
    """A responder of the user's own may count or record what it sees: it is never copied."""
    (tmp_path / "counting.py").write_text(
        textwrap.dedent(
            """
            calls = []
            def hook(request, info):
                calls.append(info.key)
                return f"call {len(calls)}"
            """
        )
    )
    sys.path.insert(0, str(tmp_path))
    try:
        import counting  # type: ignore[import-not-found]

        with thread_server(Settings(data_dir=None, port=0, workers=2, responder="counting:hook")) as server:
            run_batch(server.url, src)
            assert not worker_pids(os.getpid())
        assert len(counting.calls) > LINES // 2
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("counting", None)


def test_a_killed_worker_costs_nothing(src: Path, in_server: bytes) -> None:
    """A worker killed in the middle of a chunk (the OOM killer, say): the chunk is answered again,
    every line exactly once, and the output is what it would have been."""
    with thread_server(settings(2)) as server:

        def kill_the_workers() -> None:
            wait_for(lambda: server.emulator.runner.workers_ready, "the workers to be ready")
            for pid in worker_pids(os.getpid()):
                os.kill(pid, signal.SIGKILL)

        assert run_batch(server.url, src, advance=True, before_advance=kill_the_workers) == in_server


def test_workers_exit_when_the_server_is_killed(tmp_path: Path) -> None:
    lines = tmp_path / "big.jsonl"
    with lines.open("wb") as f:
        for i in range(20_000):
            f.write(orjson.dumps({"key": f"k{i}", "request": {"contents": [{"parts": [{"text": f"q{i}"}]}]}}) + b"\n")
    server = ProcessServer(tmp_path / "data", "--workers", "2", "--request-latency", "0.0005").start()
    try:
        assert server.proc is not None
        parent = server.proc.pid
        client = genai.Client(api_key="workers", http_options={"base_url": server.url})
        uploaded = client.files.upload(file=str(lines), config=types.UploadFileConfig(mime_type="application/jsonl"))
        client.batches.create(model=MODEL, src=uploaded.name)
        wait_for(lambda: len(worker_pids(parent)) == 2, "two worker processes")
        workers = worker_pids(parent)
        server.kill()
    finally:
        server.stop()
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), "the workers to exit")


def test_a_script_without_a_main_guard_can_use_workers(tmp_path: Path) -> None:
    """Workers are not `multiprocessing` children: they never re-run the caller's main module."""
    src = tmp_path / "input.jsonl"
    src.write_bytes(
        b"".join(orjson.dumps({"request": {"contents": [{"parts": [{"text": f"{i}"}]}]}}) + b"\n" for i in range(3000))
    )
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import time
            from google import genai
            from emulator import Settings
            from emulator.testing import serve_in_thread

            print("main module ran", flush=True)
            settings = Settings(data_dir=None, workers=2, clock="manual", queue_delay=0, request_latency=1)
            with serve_in_thread(settings) as server:
                client = genai.Client(api_key="k", http_options={{"base_url": server.url}})
                f = client.files.upload(file={str(src)!r}, config={{"mime_type": "application/jsonl"}})
                job = client.batches.create(model="gemini-2.5-flash", src=f.name)
                while not server.emulator.runner.workers_ready:
                    time.sleep(0.05)
                import httpx
                httpx.post(server.url + "/_emulator/clock:advance", json={{"seconds": 10000}}).raise_for_status()
                job = client.batches.get(name=job.name)
                print(job.state.name, server.emulator.runner.lines_in_workers, flush=True)
            """
        )
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=TIMEOUT, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["main module ran", "JOB_STATE_SUCCEEDED 3000"]


def test_workers_is_a_setting() -> None:
    def config(*args: str) -> dict[str, Any]:
        command = [sys.executable, "-m", "emulator", "print-config", "--json", *args]
        shown: dict[str, Any] = orjson.loads(subprocess.run(command, capture_output=True, check=True).stdout)
        return shown["workers"]

    assert config("--workers", "3") == {"value": 3, "source": "flag --workers"}
    assert config() == {"value": None, "source": "default"}  # auto
    bad = subprocess.run(
        [sys.executable, "-m", "emulator", "serve", "--workers", "many"], capture_output=True, text=True
    )
    assert bad.returncode != 0 and "'many' is neither 'auto' nor a number of processes" in bad.stderr
