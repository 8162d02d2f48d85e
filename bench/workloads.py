"""Concurrency and durability at full size: the workloads of tests/perf with more clients, a larger
batch and more kills."""

from __future__ import annotations

import time
from pathlib import Path

from bench.common import Report, Row, emulator, section
from tests.perf.workloads import FAIRNESS_ARGS, KillPoints, fairness, run_clients, sdk_workflow, write_requests


def concurrency(report: Report, tmp: Path, quick: bool) -> None:
    clients, lines, sequential = (16, 200, 4) if quick else (64, 1000, 8)
    huge = 40_000 if quick else 200_000
    section(f"concurrency: {clients} SDK clients at once ({lines:,} lines each); 100 batches at once")
    with emulator(tmp / "data") as server:
        path = write_requests(tmp / "sequential.jsonl", lines, tag="sequential")
        started = time.perf_counter()
        for i in range(sequential):
            sdk_workflow(server.url, f"sequential-{i}", path, lines)
        one = (time.perf_counter() - started) / sequential
        result = run_clients(server.url, tmp, clients, lines)
        ratio = (clients / result.seconds) / (1 / one)
        report.add(
            Row(
                f"{clients} clients, whole workflow",
                f"{len(result.errors)} errors, {result.lost} lost lines; {result.seconds:.1f} s",
                f"{one:.2f} s per workflow, 1 client",
                f"{ratio:.2f}",
                "0 errors, 0 lost",
                not result.errors and result.lost == 0,
            )
        )
        for error in result.errors[:5]:
            report.note(error)
    with emulator(tmp / "fair", *FAIRNESS_ARGS) as server:
        fair = fairness(server.url, tmp, huge)
    report.add(
        Row(
            "100 batches at once (1 huge, 99 small)",
            f"{fair.small_done_before_huge}/{fair.small} small done first",
            f"huge then {fair.huge_state_when_small_done.removeprefix('BATCH_STATE_')} "
            f"{fair.huge_done_then:,}/{fair.huge_lines:,}",
            "",
            "small before huge",
            fair.small_done_before_huge == fair.small and not fair.problems,
        )
    )
    for problem in fair.problems[:5]:
        report.note(problem)
    print(f"  (ratio: workflows per second with {clients} clients at once ÷ one client's, one after another)")


def durability(report: Report, tmp: Path, quick: bool) -> None:
    kills = 6 if quick else 30
    section(f"durability: kill -9 at {kills} seeded random points during uploads and batch runs")
    run = KillPoints(tmp, tmp / "data", seed=2026, file_bytes=8 << 20, chunk=512 << 10, batch_lines=5000)
    started = time.perf_counter()
    try:
        result = run.run(kills)
    finally:
        run.close()
    report.add(
        Row(
            f"kill -9 at {result.kills} random points",
            f"{len(result.problems)} problems",
            f"{result.uploads_complete} files ({result.uploads_interrupted} cut, {result.uploads_resumed} resumed)",
            "",
            "0 lost, 0 twice",
            not result.problems,
        )
    )
    print(
        f"  ({result.batches} batches, {result.batches_interrupted} interruptions of a running batch, "
        f"{result.lines_checked:,} lines each answered exactly once; {result.orphaned_starts} upload starts cut "
        f"before their answer; {time.perf_counter() - started:.0f} s)"
    )
    for problem in result.problems[:10]:
        report.note(problem)
