"""`python -m bench [--lines N]`: how fast is the emulator, against a baseline measured in the same run?

1. Generates an N-line JSONL batch input (default 100,000 lines, ~45 MB) in a temp dir.
2. BASELINE: the essential work of a batch, in process and nothing else: read each line, parse it
   with orjson, SHA-256 the canonical (sorted-key) request, build a small response dict, serialize
   it with orjson and write the output line. Also times a raw copy of the input file.
3. EMULATOR: `gemini-batch-emulator serve --request-latency 0 --queue-delay 0` in a separate process
   on a temp data dir, driven by the real google-genai SDK: upload, create → SUCCEEDED (polling every
   0.1 s), download. Samples the server's RSS throughout (and reads its VmHWM).

Prints each figure and the ratios. Linux only for the memory figures (/proc).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson

MIB = 1024 * 1024
MODEL = "gemini-2.5-flash"
_WORDS = (
    "alpha beta gamma delta report quarterly revenue region customer order invoice shipment summary "
    "analysis forecast growth decline stable market product service support ticket issue resolved "
    "pending review approve reject escalate contract renewal pricing discount margin volume trend"
).split()


# -- input ----------------------------------------------------------------------------------------
def generate(path: Path, lines: int, seed: int = 7) -> int:
    """`lines` lines of `{"key", "request"}` with a few hundred characters of prompt each."""
    rng = random.Random(seed)
    with path.open("wb", buffering=MIB) as f:
        for i in range(lines):
            text = " ".join(rng.choices(_WORDS, k=rng.randint(40, 60)))
            request = {
                "contents": [{"role": "user", "parts": [{"text": f"Task {i}: {text}"}]}],
                "generationConfig": {"temperature": 0.2},
            }
            f.write(orjson.dumps({"key": f"k{i}", "request": request}) + b"\n")
    return path.stat().st_size


# -- baseline -------------------------------------------------------------------------------------
def baseline(src: Path, dst: Path) -> int:
    """The essential per-line work, nothing else. Returns the number of lines answered."""
    n = 0
    with src.open("rb") as fin, dst.open("wb") as fout:
        for raw in fin:
            if not raw.strip():
                continue
            obj = orjson.loads(raw)
            request = obj["request"]
            digest = hashlib.sha256(orjson.dumps(request, option=orjson.OPT_SORT_KEYS)).hexdigest()
            response = {
                "candidates": [
                    {
                        "content": {"parts": [{"text": f"Answer {digest[:32]}."}], "role": "model"},
                        "finishReason": "STOP",
                        "index": 0,
                    }
                ],
                "usageMetadata": {
                    "promptTokenCount": len(raw) // 4,
                    "candidatesTokenCount": 12,
                    "totalTokenCount": len(raw) // 4 + 12,
                },
                "responseId": digest[32:54],
            }
            fout.write(orjson.dumps({"key": obj.get("key"), "response": response}) + b"\n")
            n += 1
    return n


# -- server memory --------------------------------------------------------------------------------
def _status_kib(pid: int, field_name: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class RssSampler:
    """Samples a process's VmRSS every `every` seconds, keeping the peak per phase."""

    pid: int
    every: float = 0.01
    phase: str = "idle"
    peaks: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = _status_kib(self.pid, "VmRSS")
            if rss is not None:
                self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), rss)
            self._stop.wait(self.every)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


# -- emulator -------------------------------------------------------------------------------------
@dataclass
class EmulatorRun:
    upload_s: float
    process_s: float
    download_s: float
    total_s: float
    output_bytes: int
    idle_kib: int | None
    hwm_kib: int | None
    peaks_kib: dict[str, int]


def run_emulator(src: Path, lines: int, data_dir: Path) -> EmulatorRun:
    from google import genai
    from google.genai import types

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.servers import ProcessServer

    with ProcessServer(data_dir, "--request-latency", "0", "--queue-delay", "0") as server:
        assert server.proc is not None
        pid = server.proc.pid
        time.sleep(0.5)  # let start-up settle before the idle reading
        idle = _status_kib(pid, "VmRSS")
        with RssSampler(pid) as rss, genai.Client(api_key="bench", http_options={"base_url": server.url}) as client:
            t0 = time.perf_counter()
            rss.phase = "upload"
            file = client.files.upload(file=src, config=types.UploadFileConfig(mime_type="jsonl"))
            t1 = time.perf_counter()
            rss.phase = "process"
            assert file.name is not None
            job = client.batches.create(model=MODEL, src=file.name)
            assert job.name is not None
            while not job.done:
                time.sleep(0.1)
                job = client.batches.get(name=job.name)
            t2 = time.perf_counter()
            if job.state != types.JobState.JOB_STATE_SUCCEEDED or job.dest is None or not job.dest.file_name:
                raise SystemExit(f"the batch ended {job.state}: {job.error}")
            rss.phase = "download"
            output = client.files.download(file=job.dest.file_name)
            t3 = time.perf_counter()
            rss.phase = "after"
            time.sleep(0.05)
        hwm = _status_kib(pid, "VmHWM")
    got = output.count(b"\n")
    if got != lines:
        raise SystemExit(f"the emulator answered {got} lines for {lines} requests")
    first, last = orjson.loads(output[: output.index(b"\n")]), orjson.loads(output.rstrip(b"\n").rsplit(b"\n", 1)[-1])
    if first.get("key") != "k0" or last.get("key") != f"k{lines - 1}" or "response" not in last:
        raise SystemExit(f"unexpected output: first {first.get('key')}, last {last.get('key')}")
    return EmulatorRun(t1 - t0, t2 - t1, t3 - t2, t3 - t0, len(output), idle, hwm, dict(rss.peaks))


# -- report ---------------------------------------------------------------------------------------
def _mib(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.1f} MiB"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000, help="requests in the batch (default 100000)")
    args = parser.parse_args(argv)
    lines: int = args.lines

    with tempfile.TemporaryDirectory(prefix="gemini-bench-") as tmp:
        tmpdir = Path(tmp)
        src = tmpdir / "requests.jsonl"
        t = time.perf_counter()
        size = generate(src, lines)
        print(
            f"input: {lines:,} lines, {size / MIB:.1f} MiB (generated in {time.perf_counter() - t:.2f} s)", flush=True
        )

        t = time.perf_counter()
        shutil.copyfile(src, tmpdir / "copy.jsonl")
        copy_s = time.perf_counter() - t
        (tmpdir / "copy.jsonl").unlink()

        t = time.perf_counter()
        answered = baseline(src, tmpdir / "baseline-out.jsonl")
        base_s = time.perf_counter() - t
        assert answered == lines
        base_out = (tmpdir / "baseline-out.jsonl").stat().st_size
        (tmpdir / "baseline-out.jsonl").unlink()
        print(f"baseline: {base_s:.2f} s, output {base_out / MIB:.1f} MiB; raw copy {copy_s:.3f} s", flush=True)

        run = run_emulator(src, lines, tmpdir / "data")

    base_rate = lines / base_s
    emu_rate = lines / run.process_s
    rows = [
        ("input", f"{lines:,} lines, {size / MIB:.1f} MiB"),
        ("raw file copy", f"{copy_s:.3f} s ({size / MIB / copy_s:,.0f} MiB/s)"),
        ("baseline pipeline", f"{base_s:.2f} s ({base_rate:,.0f} lines/s)"),
        ("emulator upload", f"{run.upload_s:.2f} s ({size / MIB / run.upload_s:,.0f} MiB/s)"),
        ("emulator processing", f"{run.process_s:.2f} s ({emu_rate:,.0f} lines/s; create → SUCCEEDED, 0.1 s polls)"),
        (
            "emulator download",
            f"{run.download_s:.2f} s ({run.output_bytes / MIB:.1f} MiB, "
            f"{run.output_bytes / MIB / run.download_s:,.0f} MiB/s)",
        ),
        ("emulator total", f"{run.total_s:.2f} s"),
        ("processing rate ratio", f"{emu_rate / base_rate:.2f} (emulator lines/s ÷ baseline lines/s)"),
        ("end-to-end ratio", f"{run.total_s / (base_s + copy_s):.2f} (emulator total ÷ (baseline + raw copy))"),
        ("server RSS idle", _mib(run.idle_kib)),
        *((f"server RSS peak: {phase}", _mib(kib)) for phase, kib in run.peaks_kib.items() if phase != "idle"),
        ("server VmHWM", _mib(run.hwm_kib)),
        (
            "server RSS growth",
            "n/a"
            if run.idle_kib is None or run.hwm_kib is None
            else f"{(run.hwm_kib - run.idle_kib) / 1024:.1f} MiB (VmHWM - idle)",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    print()
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


if __name__ == "__main__":
    main()
