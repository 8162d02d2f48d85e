"""Batch processing and end to end: an N-line batch (100,000 by default, ~45 MB) through the real
google-genai SDK, against the in-process pipeline, a raw upload and a raw download measured in
the same run."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from bench.common import (
    MIB,
    MODEL,
    Peak,
    Report,
    Row,
    RssSampler,
    bare,
    baseline,
    download,
    emulator,
    generate,
    mib,
    section,
    status_kib,
    upload,
)

POLL = 0.05  # seconds between batches.get polls; the processing time is known to this much


@dataclass
class EmulatorRun:
    upload_s: float
    process_s: float
    download_s: float
    total_s: float
    output: Path
    idle_kib: int
    growth_kib: int
    family_growth_kib: int
    peaks_kib: dict[str, int]


def run_emulator(src: Path, lines: int, tmp: Path, *args: str) -> EmulatorRun:
    """Upload, create → SUCCEEDED (polling), download, with the real SDK; RSS sampled throughout.
    `args`: more `serve` flags."""
    from google import genai
    from google.genai import types

    shutil.rmtree(tmp / "data", ignore_errors=True)
    with emulator(tmp / "data", *args) as server:
        time.sleep(1.5)  # let start-up settle (the batch workers start at 0.5 s) before the idle reading
        idle = status_kib(server.pid, "VmRSS") or 0
        with (
            Peak(server.pid) as peak,
            RssSampler(server.pid) as rss,
            genai.Client(api_key="bench", http_options={"base_url": server.url}) as client,
        ):
            t0 = time.perf_counter()
            rss.phase = "upload"
            file = client.files.upload(file=src, config=types.UploadFileConfig(mime_type="jsonl"))
            t1 = time.perf_counter()
            rss.phase = "process"
            assert file.name is not None
            job = client.batches.create(model=MODEL, src=file.name)
            assert job.name is not None
            while not job.done:
                time.sleep(POLL)
                job = client.batches.get(name=job.name)
            t2 = time.perf_counter()
            if job.state != types.JobState.JOB_STATE_SUCCEEDED or job.dest is None or not job.dest.file_name:
                raise SystemExit(f"the batch ended {job.state}: {job.error}")
            rss.phase = "download"
            output = client.files.download(file=job.dest.file_name)
            t3 = time.perf_counter()
    got = output.count(b"\n")
    if got != lines:
        raise SystemExit(f"the emulator answered {got} lines for {lines} requests")
    first, last = orjson.loads(output[: output.index(b"\n")]), orjson.loads(output.rstrip(b"\n").rsplit(b"\n", 1)[-1])
    if first.get("key") != "k0" or last.get("key") != f"k{lines - 1}" or "response" not in last:
        raise SystemExit(f"unexpected output: first {first.get('key')}, last {last.get('key')}")
    out = tmp / "emulator-out.jsonl"
    out.write_bytes(output)
    return EmulatorRun(
        t1 - t0, t2 - t1, t3 - t2, t3 - t0, out, idle, peak.growth_kib, peak.family_growth_kib, dict(rss.peaks)
    )


def raw_transfers(src: Path, output: Path, tmp: Path) -> tuple[float, float]:
    """(upload, download) seconds of the same bytes through the bare starlette app: the input up in
    8 MiB chunks, the emulator's output down."""
    served = tmp / "bare"
    with bare(served) as server, httpx.Client(timeout=300) as client:
        started = time.perf_counter()
        upload(client, f"{server.url}/upload", src)
        up = time.perf_counter() - started
        shutil.copyfile(output, served / "output.jsonl")
        started = time.perf_counter()
        download(client, f"{server.url}/download/output.jsonl", tmp / "raw-download.jsonl")
        down = time.perf_counter() - started
    shutil.rmtree(served)
    (tmp / "raw-download.jsonl").unlink()
    return up, down


def run(report: Report, tmp: Path, lines: int) -> None:
    section(f"batch processing and end to end: {lines:,} requests, the real SDK")
    src = tmp / "requests.jsonl"
    started = time.perf_counter()
    size = generate(src, lines)
    print(f"  input: {lines:,} lines, {size / MIB:.1f} MiB (generated in {time.perf_counter() - started:.1f} s)")

    started = time.perf_counter()
    answered = baseline(src, tmp / "baseline-out.jsonl")
    base_s = time.perf_counter() - started
    assert answered == lines
    base_out = (tmp / "baseline-out.jsonl").stat().st_size
    (tmp / "baseline-out.jsonl").unlink()

    # The same run with request validation off first (issue 16: validation may cost at most 20%)
    unchecked = run_emulator(src, lines, tmp, "--validation", "off")
    unchecked.output.unlink()
    run = run_emulator(src, lines, tmp)
    up_s, down_s = raw_transfers(src, run.output, tmp)
    out_size = run.output.stat().st_size
    run.output.unlink()

    base_rate, emu_rate = lines / base_s, lines / run.process_s
    rate_ratio = emu_rate / base_rate
    e2e_base = base_s + up_s + down_s
    e2e_ratio = run.total_s / e2e_base
    report.add(
        Row(
            "batch processing (lines/s)",
            f"{emu_rate:,.0f} ({run.process_s:.2f} s)",
            f"{base_rate:,.0f} ({base_s:.2f} s) pipeline",
            f"{rate_ratio:.2f}",
            ">= 0.67",
            rate_ratio >= 0.67,
        )
    )
    off_rate = lines / unchecked.process_s
    report.add(
        Row(
            "  same, --validation off (lines/s)",
            f"{off_rate:,.0f} ({unchecked.process_s:.2f} s)",
            f"{base_rate:,.0f} pipeline",
            f"{off_rate / base_rate:.2f}",
            ">= 0.8x on/off",
            emu_rate / off_rate >= 0.8,
        )
    )
    print(f"  (validation on/off: {emu_rate / off_rate:.2f} of the rate without validation)")
    report.add(
        Row(
            "end to end, SDK (s)",
            f"{run.total_s:.2f}",
            f"{e2e_base:.2f} pipeline+raw up/down",
            f"{e2e_ratio:.2f}",
            "<= 2",
            e2e_ratio <= 2,
        )
    )
    report.add(
        Row(
            "  upload (MiB/s)",
            f"{size / MIB / run.upload_s:,.0f} ({run.upload_s:.2f} s)",
            f"{size / MIB / up_s:,.0f} ({up_s:.2f} s) bare",
            f"{up_s / run.upload_s:.2f}",
        )
    )
    report.add(
        Row(
            "  download (MiB/s)",
            f"{out_size / MIB / run.download_s:,.0f} ({run.download_s:.2f} s)",
            f"{out_size / MIB / down_s:,.0f} ({down_s:.2f} s) bare",
            f"{down_s / run.download_s:.2f}",
        )
    )
    report.add(
        Row(
            f"peak RSS growth, {lines // 1000}k-line batch",
            f"{mib(run.growth_kib)} over idle",
            f"idle {mib(run.idle_kib)}",
            "",
            "<= 50 MiB",
            run.growth_kib <= 50 * 1024,
        )
    )
    print(f"  (the server and its batch worker processes together: +{mib(run.family_growth_kib)} over idle)")
    phases = ", ".join(f"{phase} {mib(kib)}" for phase, kib in run.peaks_kib.items())
    print(f"  (RSS peaks by phase: {phases}; output {out_size / MIB:.1f} MiB, the pipeline's {base_out / MIB:.1f} MiB)")
