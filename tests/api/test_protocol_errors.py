"""Requests the HTTP layer cannot parse are answered in Google's JSON error shape too (issue 19)."""

from __future__ import annotations

import json
import os
import socket

import pytest

from emulator.asgi.protocol import MAX_HEADER_BYTES
from tests.servers import ThreadServer


def _exchange(server: ThreadServer, *pieces: bytes) -> tuple[int, dict[str, str], bytes]:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as raw:
        for piece in pieces:
            try:
                raw.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):  # it answered before we were done
                break
        answer = b""
        try:
            while chunk := raw.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


def _assert_google_error(status: int, headers: dict[str, str], body: bytes, expected: int) -> None:
    assert status == expected
    assert headers["content-type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == expected and error["status"] == "INVALID_ARGUMENT" and error["message"]


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /v1beta/files HTTP/1.1\r\nHost: x\r\nbad header line\r\n\r\n",
        b"\x00\xff\x13\x37" + os.urandom(64) + b"\r\n\r\n",
        b"POST /v1beta/files HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    ],
    ids=["garbage-request-line", "malformed-header", "binary-noise", "bad-content-length"],
)
def test_an_unparseable_request_gets_a_json_400(live_server: ThreadServer, request_bytes: bytes) -> None:
    _assert_google_error(*_exchange(live_server, request_bytes), 400)


def test_headers_still_incomplete_past_the_limit_get_a_json_431(live_server: ThreadServer) -> None:
    start = b"GET /v1beta/files HTTP/1.1\r\nHost: x\r\nX-Big: "
    filler = b"a" * (MAX_HEADER_BYTES + 1024)
    _assert_google_error(*_exchange(live_server, start, filler), 431)


def test_a_huge_header_is_answered_in_json_either_way(live_server: ThreadServer) -> None:
    """Sent in one go, a header block over the limit may arrive complete (then it is served) or in
    pieces (then it is a 431): the answer is JSON in both cases, never uvicorn's plain text."""
    request = b"GET /v1beta/files HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (2 * MAX_HEADER_BYTES) + b"\r\n\r\n"
    status, headers, body = _exchange(live_server, request)
    assert headers["content-type"] == "application/json"
    assert status in (200, 431), body
