"""Real emulator servers for tests: uvicorn in a thread (fast), or a separate process (restarts, kill -9)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from emulator.testing import RunningServer, serve_in_thread

ThreadServer = RunningServer
thread_server = serve_in_thread


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ProcessServer:
    """`gemini-batch-emulator serve` as a child process, for restart and crash tests."""

    def __init__(
        self,
        data_dir: Path | None,
        *args: str,
        port: int | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.cwd = cwd
        self.port = port or free_port()
        self.env = env or {}
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ProcessServer:
        where = ["--data-dir", str(self.data_dir)] if self.data_dir else ["--ephemeral"]
        cmd = [
            sys.executable,
            "-m",
            "emulator",
            "serve",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            *where,
            *self.args,
        ]
        self.proc = subprocess.Popen(cmd, cwd=self.cwd, env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the emulator exited with {self.proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/_emulator/health", timeout=1).status_code == 200:
                    return self
            time.sleep(0.05)
        raise RuntimeError("the emulator did not become healthy")

    def kill(self) -> None:
        """`kill -9`: no shutdown handlers run."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> ProcessServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def worker_pids(parent: int, module: str = "emulator.batches.worker") -> set[int]:
    """The child processes running `module` (by default the batch workers) started by process
    `parent`, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and any(module.encode() in arg for arg in cmdline):
            found.add(int(entry.name))
    return found


def cpu_ticks(pid: int) -> int:
    """User plus system CPU time a process has used, in clock ticks (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])
