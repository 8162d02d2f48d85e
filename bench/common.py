"""What the benchmark figures share: inputs, the in-process baseline, servers in child processes,
memory readings from /proc, a resumable-upload client, wrk, and the report table."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

MIB = 1024 * 1024
GIB = 1024 * MIB
CHUNK = 8 * MIB  # the google-genai SDK's upload chunk
MODEL = "gemini-2.5-flash"
ROOT = Path(__file__).resolve().parent.parent
_WORDS = (
    "alpha beta gamma delta report quarterly revenue region customer order invoice shipment summary "
    "analysis forecast growth decline stable market product service support ticket issue resolved "
    "pending review approve reject escalate contract renewal pricing discount margin volume trend"
).split()


# -- inputs ---------------------------------------------------------------------------------------
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


def random_file(path: Path, size: int, seed: int = 11) -> str:
    """`size` pseudo-random bytes (an 8 MiB random block, each copy stamped with its index so no two
    chunks are alike); returns their SHA-256."""
    block = bytearray(random.Random(seed).randbytes(CHUNK))
    digest = hashlib.sha256()
    with path.open("wb") as f:
        written = 0
        index = 0
        while written < size:
            block[:8] = index.to_bytes(8, "little")
            piece = bytes(block[: min(CHUNK, size - written)])
            f.write(piece)
            digest.update(piece)
            written += len(piece)
            index += 1
    return digest.hexdigest()


# -- the in-process baseline ----------------------------------------------------------------------
def baseline(src: Path, dst: Path) -> int:
    """The essential per-line work of a batch, nothing else: parse each line with orjson, SHA-256
    the canonical (sorted-key) request, build a response, serialize it, write it. Returns the lines."""
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


# -- memory ---------------------------------------------------------------------------------------
def status_kib(pid: int, name: str) -> int | None:
    """A `/proc/<pid>/status` field in KiB (VmRSS, VmHWM), or None off Linux or once it exited."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux ≥ 4.0, our own child): the next VmHWM
    reading is then the peak of what ran since. False where that is not allowed."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


@dataclass
class RssSampler:
    """Samples a process's VmRSS every `every` seconds, keeping the peak per phase (a cross-check
    of VmHWM where clear_refs is not allowed)."""

    pid: int
    every: float = 0.01
    phase: str = "idle"
    peaks: dict[str, int] = field(default_factory=dict)
    family_peak: int = 0  # the process and its children (batch workers) together
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = status_kib(self.pid, "VmRSS")
            if rss is not None:
                self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), rss)
                family = rss + sum(status_kib(child, "VmRSS") or 0 for child in children(self.pid))
                self.family_peak = max(self.family_peak, family)
            self._stop.wait(self.every)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def children(pid: int) -> list[int]:
    """The child processes of `pid` (Linux; none elsewhere)."""
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


@dataclass
class Peak:
    """The peak RSS growth of a phase: `with Peak(pid) as p: ...`, then `p.growth_kib`."""

    pid: int
    start_kib: int = 0
    hwm_kib: int = 0
    exact: bool = True
    family_start_kib: int = 0
    _sampler: RssSampler | None = None

    def __enter__(self) -> Peak:
        self.start_kib = status_kib(self.pid, "VmRSS") or 0
        self.family_start_kib = self.start_kib + sum(status_kib(c, "VmRSS") or 0 for c in children(self.pid))
        self.exact = reset_peak(self.pid)
        self._sampler = RssSampler(self.pid, every=0.005).__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._sampler is not None
        self._sampler.__exit__()
        sampled = max(self._sampler.peaks.values(), default=0)
        hwm = status_kib(self.pid, "VmHWM") if self.exact else None
        self.hwm_kib = max(hwm or 0, sampled)

    @property
    def growth_kib(self) -> int:
        return max(0, self.hwm_kib - self.start_kib)

    @property
    def family_growth_kib(self) -> int:
        """The growth of the server and its batch workers together (sampled every 5 ms)."""
        assert self._sampler is not None
        return max(0, self._sampler.family_peak - self.family_start_kib)


# -- servers in child processes -------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthy(port: int, path: str) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path)
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


class Server:
    """A server in a child process; `start()` returns the seconds from spawning it to its first
    healthy answer (polled every millisecond)."""

    def __init__(self, cmd: list[str], port: int, health: str, env: dict[str, str] | None = None) -> None:
        self.cmd, self.port, self.health = cmd, port, health
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_in = 0.0

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 60) -> float:
        started = time.perf_counter()
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stderr=subprocess.DEVNULL)
        while not healthy(self.port, self.health):
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.cmd[:4]} exited with {self.proc.returncode}")
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"{self.cmd[:4]} did not become healthy in {timeout:.0f} s")
            time.sleep(0.001)
        self.started_in = time.perf_counter() - started
        return self.started_in

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def emulator(data_dir: Path, *args: str, port: int | None = None) -> Server:
    """`gemini-batch-emulator serve` on a free loopback port, answering at once by default."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--log-level", "warning"]
    cmd += ["--data-dir", str(data_dir), "--request-latency", "0", "--queue-delay", "0", *args]
    return Server(cmd, port, "/_emulator/health")


def bare(directory: Path, document: Path | None = None, port: int | None = None) -> Server:
    """The bare starlette app of bench/bare.py."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "bench.bare", "--port", str(port), "--dir", str(directory)]
    if document is not None:
        cmd += ["--json", str(document)]
    return Server(cmd, port, "/health")


# -- a raw client of the resumable protocol and of the batch API ----------------------------------
KEY = {"x-goog-api-key": "bench"}


def upload(client: httpx.Client, start_url: str, path: Path, mime_type: str = "application/jsonl") -> dict[str, Any]:
    """The resumable protocol as the google-genai SDK drives it: a start, then 8 MiB chunks, the last
    with `upload, finalize`. Returns the final answer's JSON."""
    size = path.stat().st_size
    started = client.post(
        start_url,
        headers={
            **KEY,
            "x-goog-upload-protocol": "resumable",
            "x-goog-upload-command": "start",
            "x-goog-upload-header-content-length": str(size),
            "x-goog-upload-header-content-type": mime_type,
        },
        json={"file": {"displayName": path.name}},
    )
    started.raise_for_status()
    url = started.headers["x-goog-upload-url"]
    offset = 0
    with path.open("rb") as f:
        while True:
            chunk = f.read(CHUNK)
            last = offset + len(chunk) >= size
            answer = client.post(
                url,
                content=chunk,
                headers={
                    **KEY,
                    "x-goog-upload-command": "upload, finalize" if last else "upload",
                    "x-goog-upload-offset": str(offset),
                },
            )
            answer.raise_for_status()
            offset += len(chunk)
            if last:
                assert answer.headers.get("x-goog-upload-status") == "final", answer.headers
                result: dict[str, Any] = answer.json()
                return result


def download(client: httpx.Client, url: str, dest: Path) -> int:
    """Stream a download to `dest`; returns its size."""
    with client.stream("GET", url, headers=KEY) as answer, dest.open("wb") as out:
        answer.raise_for_status()
        for block in answer.iter_bytes(MIB):
            out.write(block)
    return dest.stat().st_size


def create_batch(client: httpx.Client, base: str, file_name: str, display_name: str = "bench") -> str:
    answer = client.post(
        f"{base}/v1beta/models/{MODEL}:batchGenerateContent",
        headers=KEY,
        json={"batch": {"displayName": display_name, "inputConfig": {"fileName": file_name}}},
    )
    answer.raise_for_status()
    name: str = answer.json()["name"]
    return name


def get_batch(client: httpx.Client, base: str, name: str) -> dict[str, Any]:
    answer = client.get(f"{base}/v1beta/{name}", headers=KEY)
    answer.raise_for_status()
    operation: dict[str, Any] = answer.json()
    return operation


def wait_batch(client: httpx.Client, base: str, name: str, every: float = 0.1, timeout: float = 3600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        operation = get_batch(client, base, name)
        if operation.get("done"):
            return operation
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not finish in {timeout:.0f} s")
        time.sleep(every)


def check_output(path: Path, lines: int) -> None:
    """k0..k{lines-1}, in order, each once, each answered."""
    with path.open("rb") as f:
        for i, raw in enumerate(f):
            obj = orjson.loads(raw)
            if obj.get("key") != f"k{i}" or "response" not in obj:
                raise SystemExit(f"line {i} of the output is {raw[:120]!r}")
    if i + 1 != lines:
        raise SystemExit(f"{i + 1} output lines for {lines} requests")


# -- wrk --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def wrk_path() -> str | None:
    return shutil.which("wrk")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(url: str, *, connections: int, seconds: float, headers: dict[str, str] | None = None) -> WrkResult:
    """`wrk -t1 -c<connections> -d<seconds>s --latency`, parsed. One wrk thread: the other core is
    the server's."""
    exe = wrk_path()
    assert exe is not None
    cmd = [exe, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(g) for g in m.groups())
    return WrkResult(rps, p50, p99, total, errors)


WRK_HINT = "wrk is not installed: `apt-get install wrk` (Debian) and run `python -m bench reads` again"


# -- the report -----------------------------------------------------------------------------------
@dataclass
class Row:
    figure: str
    emulator: str
    baseline: str
    ratio: str = ""
    target: str = ""
    met: bool | None = None  # None: no target, or not measured


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print_rows([row], header=False)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)


HEAD = Row("figure", "emulator", "baseline", "ratio", "target", None)
_WIDTHS = (40, 30, 30, 8, 16)


def _verdict(met: bool | None) -> str:
    return "" if met is None else ("met" if met else "NOT MET")


def print_rows(rows: list[Row], header: bool = True) -> None:
    lines = [HEAD, *rows] if header else rows
    for row in lines:
        cells = (row.figure, row.emulator, row.baseline, row.ratio, row.target)
        text = "  ".join(f"{cell:<{width}}" for cell, width in zip(cells, _WIDTHS, strict=True))
        verdict = "verdict" if row is HEAD else _verdict(row.met)
        print(f"  {text}  {verdict}".rstrip(), flush=True)


def mib(kib: float | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.1f} MiB"


def section(title: str) -> None:
    print(f"\n== {title}", flush=True)


def save_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2))


@contextlib.contextmanager
def timer() -> Iterator[list[float]]:
    """`with timer() as t: ...`, then `t[0]` is the seconds it took."""
    box: list[float] = []
    started = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - started)
