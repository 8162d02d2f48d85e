"""Upload: a large file (1 GiB by default) through the resumable protocol in 8 MiB chunks, to the
emulator and to a bare starlette app that streams the same bytes to disk; throughput and the
server's peak RSS growth during the upload."""

from __future__ import annotations

import base64
import shutil
import time
from pathlib import Path

import httpx

from bench.common import GIB, KEY, MIB, Peak, Report, Row, Server, bare, emulator, mib, random_file, section, upload


def _timed(server: Server, start_url: str, src: Path) -> tuple[float, int, dict[str, object]]:
    with httpx.Client(timeout=600) as client, Peak(server.pid) as peak:
        started = time.perf_counter()
        answer = upload(client, start_url, src, mime_type="application/octet-stream")
        seconds = time.perf_counter() - started
    return seconds, peak.growth_kib, answer


def run(report: Report, tmp: Path, size: int, rounds: int) -> None:
    section(f"upload: {size / MIB:,.0f} MiB in 8 MiB chunks, best of {rounds}")
    src = tmp / "upload.bin"
    digest = random_file(src, size)
    bare_s: list[float] = []
    emu_s: list[float] = []
    bare_kib: list[int] = []
    emu_kib: list[int] = []
    with bare(tmp / "bare") as plain, emulator(tmp / "data") as server:
        time.sleep(0.5)
        for _ in range(rounds):  # alternate, so that both see the same state of the disk and page cache
            seconds, growth, _ = _timed(plain, f"{plain.url}/upload", src)
            bare_s.append(seconds)
            bare_kib.append(growth)
            shutil.rmtree(tmp / "bare")
            (tmp / "bare").mkdir()

            seconds, growth, answer = _timed(server, f"{server.url}/upload/v1beta/files", src)
            emu_s.append(seconds)
            emu_kib.append(growth)
            file = answer["file"]
            assert isinstance(file, dict)
            if int(file["sizeBytes"]) != size or base64.b64decode(file["sha256Hash"]).decode() != digest:
                raise SystemExit(f"the emulator stored {file['sizeBytes']} bytes, sha256 {file['sha256Hash']}")
            httpx.delete(f"{server.url}/v1beta/{file['name']}", headers=KEY).raise_for_status()
    src.unlink()
    best_bare, best_emu = min(bare_s), min(emu_s)
    ratio = best_bare / best_emu
    report.add(
        Row(
            f"upload {size / GIB:g} GiB (MiB/s)",
            f"{size / MIB / best_emu:,.0f} ({best_emu:.2f} s)",
            f"{size / MIB / best_bare:,.0f} ({best_bare:.2f} s) bare",
            f"{ratio:.2f}",
            ">= 0.7",
            ratio >= 0.7,
        )
    )
    report.add(
        Row(
            "  server peak RSS growth",
            mib(max(emu_kib)),
            f"{mib(max(bare_kib))} bare",
            "",
            "<= 10 MiB",
            max(emu_kib) <= 10 * 1024,
        )
    )
    rounds_text = "; ".join(f"emulator {e:.2f} s, bare {b:.2f} s" for e, b in zip(emu_s, bare_s, strict=True))
    print(f"  (every round: {rounds_text})")
