"""Memory: the emulator's peak RSS over a whole N-line batch workflow (upload in 8 MiB chunks,
create, run to SUCCEEDED, stream the output down), against the same process idle."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from bench.common import (
    MIB,
    Peak,
    Report,
    Row,
    check_output,
    create_batch,
    download,
    emulator,
    generate,
    mib,
    section,
    status_kib,
    upload,
    wait_batch,
)


def run(report: Report, tmp: Path, sizes: list[int]) -> None:
    section(f"memory: peak server RSS over a batch of {' and '.join(f'{n:,}' for n in sizes)} lines")
    for lines in sizes:
        src = tmp / f"memory-{lines}.jsonl"
        started = time.perf_counter()
        size = generate(src, lines)
        print(f"  input: {lines:,} lines, {size / MIB:,.0f} MiB (generated in {time.perf_counter() - started:.1f} s)")
        with emulator(tmp / f"data-{lines}") as server, httpx.Client(timeout=600) as client:
            time.sleep(1.5)  # the batch workers start 0.5 s after the server
            idle = status_kib(server.pid, "VmRSS") or 0
            with Peak(server.pid) as peak:
                started = time.perf_counter()
                file_name = upload(client, f"{server.url}/upload/v1beta/files", src)["file"]["name"]
                name = create_batch(client, server.url, file_name)
                operation = wait_batch(client, server.url, name, every=0.2)
                output = operation["response"]["responsesFile"]
                out = tmp / "memory-out.jsonl"
                download(client, f"{server.url}/download/v1beta/{output}:download?alt=media", out)
                seconds = time.perf_counter() - started
        check_output(out, lines)
        out.unlink()
        src.unlink()
        report.add(
            Row(
                f"peak RSS, {lines:,}-line batch",
                f"{mib(peak.hwm_kib)} (+{mib(peak.growth_kib)})",
                f"idle {mib(idle)}",
                f"+{peak.growth_kib / 1024:.1f}",
                "<= +50 MiB",
                peak.growth_kib <= 50 * 1024,
            )
        )
        print(
            f"  ({lines:,} lines: upload, run and download in {seconds:.1f} s, {lines / seconds:,.0f} lines/s; "
            f"the server and its batch workers together: +{mib(peak.family_growth_kib)})"
        )
