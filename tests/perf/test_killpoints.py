"""kill -9 at seeded random moments during uploads and batch runs, restart on the same data dir.

After every restart, each file the server lists is complete (size and SHA-256 as uploaded) and each
upload in progress is resumable from the offset the server reports (never less than it had
acknowledged); at the end every upload is resumed to completion and downloads byte for byte, and
every batch (those created before a kill included) answers each line exactly once, in order.
Reduced sizes here; `python -m bench durability` runs the same loop with more kills.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import random
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.perf.workloads import TIMEOUT, KillPoints, wait_for
from tests.servers import ProcessServer

pytestmark = pytest.mark.slow

KILLS = 8


@pytest.mark.parametrize("seed", [1, 2])
def test_kill_9_at_random_points_loses_and_duplicates_nothing(tmp_path: Path, seed: int) -> None:
    run = KillPoints(tmp_path, tmp_path / "data", seed)
    try:
        report = run.run(KILLS)
    finally:
        run.close()
    assert report.problems == []
    assert report.kills == KILLS
    # The kills did strike work in progress (else the test proves nothing), and it all completed.
    assert report.batches_interrupted > 0
    assert report.uploads_complete == len(run.uploads) > 0
    assert report.batches >= KILLS and report.lines_checked == report.batches * run.batch_lines


def test_a_kill_mid_chunk_resumes_from_the_last_acknowledged_byte(tmp_path: Path) -> None:
    """The deterministic companion of the random loop: kill -9 while a chunk's body is half-way in
    (its bytes already on disk past the checkpoint, the in-memory digest lost). The restarted server
    reports the acknowledged offset, the client resumes from there, and the file's SHA-256 and its
    download are those of the bytes uploaded."""
    chunk = 1 << 20
    data = random.Random(5).randbytes(3 * chunk + 12345)
    data_dir = tmp_path / "data"
    headers = {"x-goog-api-key": f"kill-{uuid.uuid4().hex}"}
    server = ProcessServer(data_dir, "--queue-delay", "0").start()
    try:
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
            started = http.post(
                "/upload/v1beta/files",
                headers={
                    "x-goog-upload-protocol": "resumable",
                    "x-goog-upload-command": "start",
                    "x-goog-upload-header-content-length": str(len(data)),
                    "x-goog-upload-header-content-type": "application/octet-stream",
                },
                json={"file": {"name": "files/mid-chunk"}},
            )
            started.raise_for_status()
            url = "/upload/" + started.headers["x-goog-upload-url"].split("/upload/", 1)[1]
            upload_id = parse_qs(urlsplit(url).query)["upload_id"][0]
            first = http.post(url, content=data[:chunk], headers={"x-goog-upload-offset": "0"})
            assert first.headers["x-goog-upload-size-received"] == str(chunk)

            # The second chunk: half its body, then the client stalls until the server is killed.
            blob = data_dir / "blobs" / "uploads" / upload_id
            release = threading.Event()

            def half_then_stall() -> Iterator[bytes]:
                yield data[chunk : chunk + chunk // 2]
                release.wait(TIMEOUT)
                yield data[chunk + chunk // 2 : 2 * chunk]

            def send() -> None:
                with contextlib.suppress(httpx.TransportError):
                    http.post(
                        url,
                        content=half_then_stall(),
                        headers={"content-length": str(chunk), "x-goog-upload-offset": str(chunk)},
                    )

            sender = threading.Thread(target=send)
            sender.start()
            # Most of that half (the server may hold the last few hundred bytes in its HTTP buffer).
            wait_for("half of the second chunk on disk", lambda: blob.stat().st_size > chunk + chunk // 4)
            server.kill()
            release.set()
            sender.join(TIMEOUT)
        assert blob.stat().st_size > chunk  # the torn chunk's bytes are there, past the checkpoint

        server = ProcessServer(data_dir, "--queue-delay", "0").start()
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
            query = http.post(url, headers={"x-goog-upload-command": "query"})
            assert query.status_code == 200 and query.headers["x-goog-upload-status"] == "active"
            offset = int(query.headers["x-goog-upload-size-received"])
            assert offset == chunk, "the server must report what it acknowledged, not what reached its disk"
            # Not a file before it is finalized (a missing file is 403 PERMISSION_DENIED, as on the real API).
            assert http.get("/v1beta/files/mid-chunk").status_code == 403
            rest = http.post(
                url,
                content=data[offset:],
                headers={"x-goog-upload-offset": str(offset), "x-goog-upload-command": "upload, finalize"},
            )
            assert rest.status_code == 200 and rest.headers["x-goog-upload-status"] == "final"
            file = rest.json()["file"]
            assert int(file["sizeBytes"]) == len(data)
            assert base64.b64decode(file["sha256Hash"]).decode() == hashlib.sha256(data).hexdigest()
            download = http.get("/download/v1beta/files/mid-chunk:download", params={"alt": "media"})
            assert download.content == data
    finally:
        server.stop()
