"""Upload probes shared by the race tests, the upload state machine and `make chaos` (bench/chaos.py):
start a session, send a chunk (whole, or cut short by a client that hangs up), fire several at once,
and check that every stored file's bytes and `sha256Hash` agree."""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

T = TypeVar("T")


def start(base: str, key: str, size: int | None, mime: str = "application/octet-stream") -> str:
    r = start_request(base, key, size, mime)
    assert r.status_code == 200, r.text
    return r.headers["x-goog-upload-url"]


def start_request(
    base: str, key: str, size: int | None, mime: str = "application/octet-stream", *, name: str | None = None
) -> httpx.Response:
    """The start of a session (for the file `name` when given), answered or refused."""
    headers = {
        "x-goog-api-key": key,
        "X-Goog-Upload-Protocol": "resumable",
        "X-Goog-Upload-Command": "start",
        "X-Goog-Upload-Header-Content-Type": mime,
    }
    if size is not None:
        headers["X-Goog-Upload-Header-Content-Length"] = str(size)
    body = {"file": {"name": name}} if name else None
    return httpx.post(f"{base}/upload/v1beta/files", json=body, headers=headers, timeout=60)


@dataclass(frozen=True)
class Answer:
    """What a chunk got back: a status (0 when the client hung up and never read one), the upload
    status header, the bytes received, and the file of a final answer."""

    status: int
    upload_status: str | None = None
    received: int | None = None
    file: dict[str, object] | None = None
    message: str = ""

    @property
    def short_finalize(self) -> bool:
        """Refused because the session holds fewer bytes than announced, the chunk's bytes kept."""
        return self.status == 400 and "was finalized after" in self.message

    @property
    def server_error(self) -> bool:
        return self.status >= 500


def send(
    url: str, data: bytes, offset: int | None, command: str = "upload", *, key: str | None = None, timeout: float = 60
) -> Answer:
    """One chunk. Without `key`, as the Python SDK sends chunks (the URL is the credential)."""
    headers = {"X-Goog-Upload-Command": command, **({"x-goog-api-key": key} if key else {})}
    if offset is not None:
        headers["X-Goog-Upload-Offset"] = str(offset)
    r = httpx.post(url, content=data, headers=headers, timeout=timeout)
    return answer_of(r)


def answer_of(r: httpx.Response) -> Answer:
    received = r.headers.get("x-goog-upload-size-received")
    body = r.json() if r.content else {}
    file = body.get("file") if r.status_code == 200 else None
    message = body.get("error", {}).get("message", "") if r.status_code != 200 else ""
    return Answer(
        r.status_code, r.headers.get("x-goog-upload-status"), int(received) if received else None, file, message
    )


def hang_up(
    url: str, data: bytes, offset: int, sent: int, command: str = "upload", *, key: str | None = None
) -> Answer:
    """A chunk announcing `len(data)` bytes whose client sends `sent` of them and closes the connection."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as raw:
        head = (
            f"POST {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            + (f"x-goog-api-key: {key}\r\n" if key else "")
            + f"X-Goog-Upload-Command: {command}\r\nX-Goog-Upload-Offset: {offset}\r\n"
            + f"Content-Length: {len(data)}\r\n\r\n"
        )
        raw.sendall(head.encode() + data[:sent])
    return Answer(0)


def query(url: str, *, key: str | None = None) -> Answer:
    headers = {"X-Goog-Upload-Command": "query", **({"x-goog-api-key": key} if key else {})}
    return answer_of(httpx.post(url, headers=headers, timeout=30))


def at_once(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Run the calls in threads released together, so that their requests reach the server at once."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def sha256_b64(data: bytes) -> str:
    """`sha256Hash` as the emulator writes it: base64 of the hex digest."""
    return base64.b64encode(hashlib.sha256(data).hexdigest().encode()).decode()


def stored_files_disagreeing(base: str, key: str) -> list[str]:
    """Every file of `key`, read back: the names of those whose bytes do not match their `sizeBytes`
    and `sha256Hash` (empty when all agree)."""
    wrong: list[str] = []
    headers = {"x-goog-api-key": key}
    token: str | None = None
    while True:
        page = httpx.get(f"{base}/v1beta/files", params={"pageToken": token} if token else {}, headers=headers)
        assert page.status_code == 200, page.text
        for file in page.json().get("files", []):
            got = httpx.get(f"{base}/v1beta/{file['name']}:download", params={"alt": "media"}, headers=headers)
            assert got.status_code == 200, got.text
            if str(len(got.content)) != file["sizeBytes"] or sha256_b64(got.content) != file["sha256Hash"]:
                wrong.append(file["name"])
        token = page.json().get("nextPageToken")
        if not token:
            return wrong


def list_files(base: str, key: str) -> list[dict[str, object]]:
    r = httpx.get(f"{base}/v1beta/files", params={"pageSize": 100}, headers={"x-goog-api-key": key})
    assert r.status_code == 200, r.text
    files: list[dict[str, object]] = r.json().get("files", [])
    return files
