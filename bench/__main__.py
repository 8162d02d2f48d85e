"""`python -m bench [FIGURE ...] [--quick]`: the emulator against baselines measured in the same run.

Figures (all of them, in this order, when none is named):

  batch        a 100,000-request batch through the real SDK: processing rate against the in-process
               pipeline (parse, hash, build, serialize, write), end to end against pipeline + raw
               upload + raw download, and the server's peak RSS growth
  upload       1 GiB through the resumable protocol in 8 MiB chunks, against a bare starlette app
               streaming the same bytes to disk; the server's peak RSS growth
  reads        batches.get and files.get under wrk (32 connections) while a 100k-request job runs,
               against a bare starlette JSON endpoint: throughput ratio and p99 (needs wrk)
  startup      process start to first healthy answer, against a bare uvicorn app
  memory       peak server RSS over a 100k-line and a 1M-line batch, against the idle server
  concurrency  64 SDK clients at once (0 errors, 0 lost lines, against the same workflows one
               after another) and 100 batches at once (fairness)
  durability   kill -9 at seeded random points during uploads and batch runs (tests/perf, more kills)
  webhooks     1,000 batches finish at once and each delivers batch.succeeded to a verifying receiver:
               all delivered, and batches.get p99 meanwhile against the same server idle

--quick runs every figure at reduced sizes (a smoke run of the benchmark itself, not figures to
quote). Servers run in child processes on loopback; memory figures need Linux (/proc).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import batch, memory, reads, startup, upload, webhooks
from bench import workloads as load
from bench.common import GIB, MIB, Report, Row, print_rows

FIGURES = ("batch", "upload", "reads", "startup", "memory", "concurrency", "durability", "webhooks")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.epilog = "\n\n".join(__doc__.split("\n\n")[1:])
    parser.add_argument("figures", nargs="*", metavar="FIGURE", help=", ".join(FIGURES) + " (default: all)")
    parser.add_argument("--quick", action="store_true", help="reduced sizes everywhere")
    parser.add_argument("--lines", type=int, help="requests in the `batch` figure (default 100000; quick 20000)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.figures) - set(FIGURES))
    if unknown:
        parser.error(f"unknown figure {', '.join(unknown)}: choose from {', '.join(FIGURES)}")
    chosen: list[str] = list(dict.fromkeys(args.figures)) or list(FIGURES)
    quick: bool = args.quick
    lines: int = args.lines or (20_000 if quick else 100_000)
    memory_sizes = [20_000, 100_000] if quick else [100_000, 1_000_000]
    if "batch" in chosen and "memory" in chosen and lines in memory_sizes:
        memory_sizes.remove(lines)  # the batch figure reports that size's memory already

    steps: dict[str, Callable[[Report, Path], None]] = {
        "batch": lambda r, tmp: batch.run(r, tmp, lines),
        "upload": lambda r, tmp: upload.run(r, tmp, 128 * MIB if quick else GIB, 1 if quick else 2),
        "reads": lambda r, tmp: reads.run(r, tmp, 30_000 if quick else 100_000, 2 if quick else 5),
        "startup": lambda r, tmp: startup.run(r, tmp, 3 if quick else 9),
        "memory": lambda r, tmp: memory.run(r, tmp, memory_sizes),
        "concurrency": lambda r, tmp: load.concurrency(r, tmp, quick),
        "durability": lambda r, tmp: load.durability(r, tmp, quick),
        "webhooks": lambda r, tmp: webhooks.run(r, tmp, 200 if quick else 1000),
    }
    report = Report()
    started = time.perf_counter()
    print(f"python -m bench {' '.join(chosen)}{' --quick' if quick else ''}", flush=True)
    for name in chosen:
        with tempfile.TemporaryDirectory(prefix=f"gemini-bench-{name}-") as tmp:
            try:
                steps[name](report, Path(tmp))
            except Exception as exc:  # one broken figure must not hide the others
                report.add(Row(name, f"FAILED: {type(exc).__name__}: {exc}", "", "", "", False))

    print(f"\n== summary ({time.perf_counter() - started:.0f} s){' (--quick: reduced sizes)' if quick else ''}")
    print_rows(report.rows)
    judged = [row for row in report.rows if row.met is not None]
    missed = [row.figure.strip() for row in judged if not row.met]
    print(
        f"\n  targets: {len(judged) - len(missed)} of {len(judged)} met"
        + (f"; not met: {', '.join(missed)}" if missed else "")
    )
    for note in report.notes:
        print(f"  note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
