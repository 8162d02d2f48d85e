"""`python -m bench.plugin`: what the pytest plugin costs, against the same suite without it.

Runs pytest in subprocesses on generated test files, each measurement the best of three:
- session start-up: from the session's start to the first test's body, one test using
  `gemini_emulator` vs one plain test (the difference is the in-process emulator's start, imports
  included);
- per-test isolation: N tests using `gemini_emulator` vs N plain tests, divided by N.

Bytecode is compiled and cached (in the run's temporary directory, `PYTHONPYCACHEPREFIX`), as for an
installed package: a first, unmeasured run of each file fills the cache.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLAIN = """
import pytest, time
@pytest.mark.parametrize("i", range({n}))
def test_plain(i):
    if i == 0:
        open("first-test", "w").write(repr(time.time()))
"""
WITH_EMULATOR = """
import pytest, time
@pytest.mark.parametrize("i", range({n}))
def test_isolated(gemini_emulator, i):
    if i == 0:
        open("first-test", "w").write(repr(time.time()))
"""
CONFTEST = """
import time
def pytest_sessionstart(session):
    open("session-start", "w").write(repr(time.time()))
"""


def best_of(runs: int, directory: Path, name: str) -> tuple[float, float]:
    """(whole run, session start to the first test's body), best of `runs` after a warm-up run."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(directory / "pycache")
    totals, starts = [], []
    for run in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name],
            cwd=directory,
            check=True,
            capture_output=True,
            env=env,
        )
        if run == 0:
            continue  # the warm-up: it compiles and caches the bytecode
        totals.append(time.perf_counter() - started)
        session = float((directory / "session-start").read_text())
        starts.append(float((directory / "first-test").read_text()) - session)
    return min(totals), min(starts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for name, template, n in [
            ("test_one_plain.py", PLAIN, 1),
            ("test_one_emulator.py", WITH_EMULATOR, 1),
            ("test_many_plain.py", PLAIN, args.tests),
            ("test_many_emulator.py", WITH_EMULATOR, args.tests),
        ]:
            (directory / name).write_text(template.format(n=n))
        (directory / "conftest.py").write_text(CONFTEST)
        one_plain, first_plain = best_of(args.runs, directory, "test_one_plain.py")
        one_emulator, first_emulator = best_of(args.runs, directory, "test_one_emulator.py")
        many_plain, _ = best_of(args.runs, directory, "test_many_plain.py")
        many_emulator, _ = best_of(args.runs, directory, "test_many_emulator.py")
    startup_ms = (first_emulator - first_plain) * 1000
    per_test_ms = ((many_emulator - one_emulator) - (many_plain - one_plain)) / (args.tests - 1) * 1000
    print(f"  pytest, 1 plain test            {one_plain * 1000:8.0f} ms")
    print(f"  pytest, 1 test with the plugin  {one_emulator * 1000:8.0f} ms")
    print(f"  session start-up cost           {startup_ms:8.0f} ms   (target <= 250 ms; bytecode cached)")
    print(f"  per-test isolation cost         {per_test_ms:8.2f} ms   (target <= 5 ms; {args.tests} tests)")


if __name__ == "__main__":
    main()
