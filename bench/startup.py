"""Start-up: from spawning `gemini-batch-emulator serve` to its first healthy answer, against the bare
starlette app under uvicorn and a bare `python -c pass`, the median of several runs."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import Report, Row, bare, emulator, section


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def run(report: Report, tmp: Path, runs: int) -> None:
    section(f"start-up: process start to first healthy answer, median of {runs}")
    emu: list[float] = []
    plain: list[float] = []
    interpreter: list[float] = []
    for i in range(runs):
        server = emulator(tmp / f"data-{i}")  # a new data dir each time: a first start creates the database
        emu.append(server.start())
        server.stop()
        again = emulator(tmp / f"data-{i}")  # and a restart on it
        again.start()
        again.stop()
        server = bare(tmp / "bare")
        plain.append(server.start())
        server.stop()
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        interpreter.append(time.perf_counter() - started)
    restart: list[float] = []
    for i in range(runs):
        server = emulator(tmp / f"data-{i}")
        restart.append(server.start())
        server.stop()
    ms, base_ms = _median_ms(emu), _median_ms(plain)
    report.add(
        Row(
            "start-up, new data dir (ms)",
            f"{ms:.0f} (min {min(emu) * 1000:.0f})",
            f"{base_ms:.0f} bare uvicorn",
            f"{ms / base_ms:.2f}",
            "<= 250 ms",
            ms <= 250,
        )
    )
    restart_ms = _median_ms(restart)
    report.add(
        Row(
            "  start-up, existing data dir (ms)",
            f"{restart_ms:.0f}",
            f"{_median_ms(interpreter):.0f} python -c pass",
            f"{restart_ms / base_ms:.2f}",
            "<= 250 ms",
            restart_ms <= 250,
        )
    )
