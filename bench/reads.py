"""Control-plane reads: `batches.get` and `files.get` under wrk (32 connections, loopback) while a
100,000-request job runs, against a bare starlette JSON endpoint serving the same document."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from bench.common import (
    KEY,
    WRK_HINT,
    Report,
    Row,
    WrkResult,
    bare,
    create_batch,
    emulator,
    generate,
    get_batch,
    section,
    upload,
    wrk,
    wrk_path,
)

CONNECTIONS = 32


def _progress(client: httpx.Client, base: str, name: str) -> tuple[str, int]:
    meta = get_batch(client, base, name)["metadata"]
    return meta["state"], int(meta.get("batchStats", {}).get("successfulRequestCount", 0))


def _under_load(
    client: httpx.Client, base: str, file_name: str, url: str, seconds: float
) -> tuple[WrkResult, str, int, int]:
    """wrk on `url` while a fresh job on `file_name` runs: (result, job state after, lines answered
    during the run, lines in all)."""
    name = create_batch(client, base, file_name, "under load")
    deadline = time.monotonic() + 60
    while (progress := _progress(client, base, name))[0] != "BATCH_STATE_RUNNING" or progress[1] == 0:
        if time.monotonic() > deadline:
            raise SystemExit(f"{name} did not start: {progress}")
        time.sleep(0.01)
    result = wrk(url, connections=CONNECTIONS, seconds=seconds, headers=KEY)
    state, after = _progress(client, base, name)
    total = int(get_batch(client, base, name)["metadata"]["batchStats"]["requestCount"])
    client.post(f"{base}/v1beta/{name}:cancel", headers=KEY)  # the next run starts its own job
    return result, state, after - progress[1], total


def run(report: Report, tmp: Path, lines: int, seconds: float) -> None:
    section(f"control-plane reads: wrk -c{CONNECTIONS}, {seconds:g} s each, while a {lines:,}-request job runs")
    if wrk_path() is None:
        print(f"  SKIPPED: {WRK_HINT}")
        report.add(Row("control-plane reads", "skipped: no wrk", "", "", ">= 0.5, p99 <= 8 ms", None))
        report.notes.append(WRK_HINT)
        return
    src = tmp / "reads.jsonl"
    generate(src, lines)
    with emulator(tmp / "data") as server, httpx.Client(base_url=server.url, timeout=120) as client:
        base = server.url
        file_name = upload(client, f"{base}/upload/v1beta/files", src)["file"]["name"]
        idle_name = create_batch(client, base, file_name, "document")
        client.post(f"{base}/v1beta/{idle_name}:cancel", headers=KEY)
        document = tmp / "operation.json"
        document.write_text(json.dumps(get_batch(client, base, idle_name)))
        results: dict[str, tuple[WrkResult, str, int, int]] = {}
        for what, path in (("batches.get", f"/v1beta/{idle_name}"), ("files.get", f"/v1beta/{file_name}")):
            results[what] = _under_load(client, base, file_name, f"{base}{path}", seconds)
        idle = wrk(f"{base}/v1beta/{idle_name}", connections=CONNECTIONS, seconds=seconds, headers=KEY)
    src.unlink()
    with bare(tmp / "bare", document) as plain:
        baseline = wrk(f"{plain.url}/json", connections=CONNECTIONS, seconds=seconds)

    for what, (result, state, answered, total) in results.items():
        ratio = result.requests_per_s / baseline.requests_per_s
        report.add(
            Row(
                f"{what} under load (req/s)",
                f"{result.requests_per_s:,.0f}",
                f"{baseline.requests_per_s:,.0f} bare JSON",
                f"{ratio:.2f}",
                ">= 0.5",
                ratio >= 0.5,
            )
        )
        report.add(
            Row(
                f"  {what} p99 (p50)",
                f"{result.p99_ms:.2f} ms ({result.p50_ms:.2f} ms)",
                f"{baseline.p99_ms:.2f} ms ({baseline.p50_ms:.2f} ms) bare",
                f"{result.p99_ms / baseline.p99_ms:.2f}",
                "<= 8 ms",
                result.p99_ms <= 8,
            )
        )
        if result.errors:
            report.note(f"{what}: {result.errors} of {result.requests} wrk requests failed")
        print(f"  ({what}: the job answered {answered:,} of {total:,} lines during the run, then was {state})")
        if state != "BATCH_STATE_RUNNING":
            report.note(f"the job ended ({state}) before wrk on {what} did: part of that run was without load")
    report.add(
        Row(
            "  batches.get, no job running (req/s)",
            f"{idle.requests_per_s:,.0f}, p99 {idle.p99_ms:.2f} ms",
            f"{baseline.requests_per_s:,.0f} bare JSON",
            f"{idle.requests_per_s / baseline.requests_per_s:.2f}",
        )
    )
