"""`python -m bench.chaos [--trials N] [--racers K]` (`make chaos`): the upload races of issue 19, many
times over, against a real server with a data dir and an ephemeral one; prints the counts.

Each trial runs one race on a fresh upload session, K requests released at once:
  finalize   K identical `upload, finalize` requests at offset 0: one file, every answer `final`
  conflict   K different chunks at offset 0, then the rest with finalize: one chunk is stored, the
             others refused, and the file is that chunk plus the rest
  resend     K identical chunks at offset 0, then the rest: stored once
  hang-up    K/2 clients hang up halfway through the first chunk while K/2 send it whole: the file
             has exactly the bytes sent
  name       K uploads started with one chosen file name: one gets it, the others 409

Counted per race: server errors (any 5xx, or an answer on an upload URL without
`x-goog-upload-status`), corrupted files (a stored file whose bytes, read back, disagree with its
`sizeBytes` or `sha256Hash`, or that is not what the race may produce), and other surprises (a second
file, an answer that is neither what the race promises nor a clean 4xx). The exit status is 1 when any
count is not 0.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench.common import Server, free_port
from tests.api.uploads import (
    Answer,
    at_once,
    hang_up,
    list_files,
    send,
    sha256_b64,
    start,
    start_request,
    stored_files_disagreeing,
)

CHUNK = 64 * 1024
Trial = Callable[[str, str, int], Counter[str]]


def _tally(answers: list[Answer], promised: Callable[[Answer], bool]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for answer in answers:
        if answer.status == 0:
            continue
        if answer.server_error or answer.upload_status is None:
            counts["server errors"] += 1
        elif not (promised(answer) or 400 <= answer.status < 500):
            counts["surprises"] += 1
    return counts


def _stored(base: str, key: str, expected: list[bytes]) -> Counter[str]:
    """The key's files read back: one file, whose bytes agree with its hash and are one of `expected`."""
    counts: Counter[str] = Counter()
    files = list_files(base, key)
    if len(files) != 1:
        counts["surprises"] += 1
    counts["corrupted files"] += len(stored_files_disagreeing(base, key))
    hashes = {sha256_b64(data) for data in expected}
    counts["corrupted files"] += sum(1 for f in files if f["sha256Hash"] not in hashes)
    return counts


def finalize(base: str, key: str, racers: int) -> Counter[str]:
    data = os.urandom(CHUNK)
    url = start(base, key, len(data))
    answers = at_once([lambda: send(url, data, 0, "upload, finalize")] * racers)
    counts = _tally(answers, lambda a: a.status == 200 and a.upload_status == "final")
    counts["surprises"] += abs(len({str(a.file) for a in answers if a.file}) - 1)
    return counts + _stored(base, key, [data])


def conflict(base: str, key: str, racers: int) -> Counter[str]:
    chunks = [os.urandom(CHUNK) for _ in range(racers)]
    rest = os.urandom(CHUNK)
    url = start(base, key, 2 * CHUNK)
    answers = at_once([lambda c=c: send(url, c, 0) for c in chunks])
    counts = _tally(answers, lambda a: a.status == 200 and a.upload_status == "active")
    counts["surprises"] += abs(sum(1 for a in answers if a.status == 200) - 1)
    done = send(url, rest, CHUNK, "upload, finalize")
    counts += _tally([done], lambda a: a.status == 200 and a.upload_status == "final")
    return counts + _stored(base, key, [c + rest for c in chunks])


def resend(base: str, key: str, racers: int) -> Counter[str]:
    data, rest = os.urandom(CHUNK), os.urandom(1024)
    url = start(base, key, CHUNK + len(rest))
    answers = at_once([lambda: send(url, data, 0)] * racers)
    counts = _tally(answers, lambda a: a.status == 200 and a.received == CHUNK)
    done = send(url, rest, CHUNK, "upload, finalize")
    counts += _tally([done], lambda a: a.status == 200 and a.upload_status == "final")
    return counts + _stored(base, key, [data + rest])


def hang_ups(base: str, key: str, racers: int) -> Counter[str]:
    data, rest = os.urandom(CHUNK), os.urandom(1024)
    url = start(base, key, CHUNK + len(rest))
    calls = [lambda: hang_up(url, data, 0, CHUNK // 2)] * (racers // 2)
    calls += [lambda: send(url, data, 0)] * (racers - racers // 2)
    counts = _tally(at_once(calls), lambda a: a.status == 200)
    done = send(url, rest, CHUNK, "upload, finalize")
    counts += _tally([done], lambda a: a.status == 200 and a.upload_status == "final")
    return counts + _stored(base, key, [data + rest])


def name(base: str, key: str, racers: int) -> Counter[str]:
    file_id = f"chaos-{uuid.uuid4().hex[:12]}"

    def start_named() -> int:
        return start_request(base, key, 1, name=f"files/{file_id}").status_code

    statuses = Counter(at_once([start_named] * racers))
    counts: Counter[str] = Counter()
    counts["server errors"] += sum(n for status, n in statuses.items() if status >= 500)
    counts["surprises"] += abs(statuses[200] - 1) + sum(n for s, n in statuses.items() if s not in (200, 409, 500))
    return counts


RACES: dict[str, Trial] = {
    "finalize": finalize,
    "conflict": conflict,
    "resend": resend,
    "hang-up": hang_ups,
    "name": name,
}


def _server(mode: str, tmp: Path) -> Server:
    port = free_port()
    where = ["--data-dir", str(tmp / "data")] if mode == "data-dir" else ["--ephemeral"]
    cmd = [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--log-level", "warning", *where]
    return Server(cmd, port, "/_emulator/health")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=200, help="trials of each race (default 200)")
    parser.add_argument("--racers", type=int, default=8, help="requests released at once (default 8)")
    parser.add_argument("--races", nargs="*", choices=sorted(RACES), default=list(RACES))
    args = parser.parse_args(argv)
    columns = ("server errors", "corrupted files", "surprises")
    print(f"{'server':<10} {'race':<10} {'trials':>7} " + " ".join(f"{c:>16}" for c in columns) + f" {'seconds':>8}")
    failed = False
    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        for mode in ("data-dir", "ephemeral"):
            with _server(mode, Path(tmp) / mode) as server:
                for race in args.races:
                    started = time.perf_counter()
                    total: Counter[str] = Counter()
                    for _ in range(args.trials):
                        total += RACES[race](server.url, f"chaos-{uuid.uuid4().hex}", args.racers)
                    failed = failed or any(total[c] for c in columns)
                    figures = " ".join(f"{total[c]:>16}" for c in columns)
                    seconds = time.perf_counter() - started
                    print(f"{mode:<10} {race:<10} {args.trials:>7} {figures} {seconds:>8.1f}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
