"""The resumable upload protocol under hypothesis: any chunking, re-sent and out-of-order chunks,
stray headers and broken connections end with exactly the bytes that were sent, or a clean error."""

from __future__ import annotations

import base64
import hashlib
import itertools
import socket
from urllib.parse import urlsplit

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.servers import ThreadServer


def start(url: str, size: int) -> str:
    r = httpx.post(
        f"{url}/upload/v1beta/files",
        headers={
            "x-goog-api-key": "fuzz",
            "X-Goog-Upload-Protocol": "resumable",
            "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": str(size),
            "X-Goog-Upload-Header-Content-Type": "text/plain",
        },
    )
    assert r.status_code == 200
    return r.headers["x-goog-upload-url"]


def send(url: str, data: bytes, offset: int, finalize: bool, stray: dict[str, str]) -> httpx.Response:
    command = "upload, finalize" if finalize else "upload"
    return httpx.post(
        url, content=data, headers={**stray, "X-Goog-Upload-Command": command, "X-Goog-Upload-Offset": str(offset)}
    )


stray_headers = st.dictionaries(
    st.sampled_from(["x-goog-upload-protocol", "x-goog-upload-file-name", "content-type", "x-whatever"]),
    st.text(alphabet="abcdefghij/-;=", min_size=1, max_size=12),
    max_size=3,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.binary(min_size=1, max_size=3000),
    cuts=st.lists(st.integers(0, 3000), max_size=6),
    resend=st.lists(st.integers(0, 6), max_size=3),
    gap=st.booleans(),
    stray=stray_headers,
)
def test_any_chunking_keeps_exactly_the_bytes(
    live_server: ThreadServer, data: bytes, cuts: list[int], resend: list[int], gap: bool, stray: dict[str, str]
) -> None:
    url = start(live_server.url, len(data))
    bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    chunks = list(itertools.pairwise(bounds))
    for i, (low, high) in enumerate(chunks):
        last = i == len(chunks) - 1
        if gap and high < len(data):  # an out-of-order chunk: refused, and it changes nothing
            r = send(url, data[high:], high, False, stray)
            assert r.status_code == 400 and r.headers["x-goog-upload-status"] == "final"
        if i in resend and i > 0:  # the previous chunk again, as the SDK's blind retry does
            p_low, p_high = chunks[i - 1]
            assert send(url, data[p_low:p_high], p_low, False, stray).status_code == 200
        r = send(url, data[low:high], low, last, stray)
        assert r.status_code == 200, r.text
    file = r.json()["file"]
    assert file["sizeBytes"] == str(len(data))
    assert base64.b64decode(file["sha256Hash"]).decode() == hashlib.sha256(data).hexdigest()
    got = httpx.get(
        f"{live_server.url}/v1beta/{file['name']}:download", params={"alt": "media"}, headers={"x-goog-api-key": "fuzz"}
    )
    assert got.content == data


def test_a_chunk_cut_short_by_the_client_leaves_no_trace(live_server: ThreadServer) -> None:
    data = bytes(range(256)) * 40
    url = start(live_server.url, len(data))
    assert send(url, data[:1000], 0, False, {}).status_code == 200
    parts = urlsplit(url)
    rest = data[1000:]
    with socket.create_connection((parts.hostname, parts.port)) as raw:  # Content-Length lies: half the body
        raw.sendall(
            f"POST {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\nX-Goog-Upload-Command: upload\r\n"
            f"X-Goog-Upload-Offset: 1000\r\nContent-Length: {len(rest)}\r\n\r\n".encode()
            + rest[: len(rest) // 2]
        )
    for _ in range(100):  # the server notices the disconnect on its own time
        query = httpx.post(url, headers={"X-Goog-Upload-Command": "query"})
        if query.headers["x-goog-upload-size-received"] == "1000":
            break
    assert query.headers["x-goog-upload-size-received"] == "1000"
    r = send(url, rest, 1000, True, {})
    assert r.status_code == 200
    assert base64.b64decode(r.json()["file"]["sha256Hash"]).decode() == hashlib.sha256(data).hexdigest()
