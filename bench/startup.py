"""Start-up: from spawning `gemini-batch-emulator serve` to its first healthy answer, against the bare
starlette app under uvicorn and a bare `python -c pass`, the median of several runs.

Under two bytecode conditions, each applied to the emulator and to the bare app alike:

- compiled (the headline figure): every module imported at start-up, the project's own included,
  has its bytecode cached, as after `pip install` of the wheel or in the Docker image.
- from source: the project's modules (`emulator`, `bench`) are compiled from source at every start
  and nothing is written, as in an editable install run with PYTHONDONTWRITEBYTECODE=1; the
  dependencies and the standard library still have their bytecode. No target: shown so that nothing
  is hidden.

Both keep their bytecode under a PYTHONPYCACHEPREFIX in the run's temporary directory, so the
measurement neither reads nor writes the source tree's `__pycache__` directories.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, Report, Row, Server, bare, emulator, section

PROJECT = ("emulator", "bench")


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def _compiled(tmp: Path) -> dict[str, str]:
    """An environment whose bytecode cache holds every module a start imports (one unmeasured start
    of each server fills it)."""
    env = {"PYTHONPYCACHEPREFIX": str(tmp / "pycache-compiled"), "PYTHONDONTWRITEBYTECODE": ""}
    for server in (emulator(tmp / "warm-up"), bare(tmp / "bare")):
        _start(server, env)
        server.stop()
    return env


def _from_source(tmp: Path, compiled: dict[str, str]) -> dict[str, str]:
    """The compiled cache without the project's own modules, and nothing written to it."""
    prefix = tmp / "pycache-source"
    shutil.copytree(compiled["PYTHONPYCACHEPREFIX"], prefix)
    mirror = prefix / ROOT.relative_to(ROOT.anchor)  # the prefix mirrors each source's absolute path
    for package in PROJECT:  # not the whole tree: the venv may live in it
        shutil.rmtree(mirror / package, ignore_errors=True)
    return {"PYTHONPYCACHEPREFIX": str(prefix), "PYTHONDONTWRITEBYTECODE": "1"}


def _start(server: Server, env: dict[str, str]) -> float:
    server.env = {**server.env, **env}
    if not env["PYTHONDONTWRITEBYTECODE"]:
        del server.env["PYTHONDONTWRITEBYTECODE"]  # an empty value counts as set
    return server.start()


def _measure(tmp: Path, runs: int, env: dict[str, str]) -> tuple[list[float], list[float], list[float]]:
    """Start-up times of the emulator on a new data dir, again on the same dir, and of the bare app."""
    emu: list[float] = []
    plain: list[float] = []
    restart: list[float] = []
    for i in range(runs):
        data = tmp / f"data-{i}"  # a new data dir each time: a first start creates the database
        for times in (emu, restart):  # and then a restart on it
            server = emulator(data)
            times.append(_start(server, env))
            server.stop()
        server = bare(tmp / "bare")
        plain.append(_start(server, env))
        server.stop()
    return emu, restart, plain


def run(report: Report, tmp: Path, runs: int) -> None:
    section(f"start-up: process start to first healthy answer, median of {runs}")
    compiled = _compiled(tmp)
    source = _from_source(tmp, compiled)
    emu, restart, plain = _measure(tmp / "compiled", runs, compiled)
    emu_src, _, plain_src = _measure(tmp / "source", runs, source)
    interpreter = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env={**os.environ, **source})
        interpreter.append(time.perf_counter() - started)

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
    src_ms, src_base_ms = _median_ms(emu_src), _median_ms(plain_src)
    report.add(
        Row(
            "  same, project from source (ms)",
            f"{src_ms:.0f} (min {min(emu_src) * 1000:.0f})",
            f"{src_base_ms:.0f} bare uvicorn, same",
            f"{src_ms / src_base_ms:.2f}",
        )
    )
    report.note(
        "start-up rows 1-2: all bytecode cached (an installed wheel, the Docker image); row 3: the project's "
        "modules compiled at every start, nothing written (an editable install under PYTHONDONTWRITEBYTECODE=1)"
    )
