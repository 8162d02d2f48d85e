"""Concurrent requests on one upload session are answered as if they had arrived one after the other
(issue 19): one file per finalize race, never a 500; different bytes at an offset already received
are refused, never stored; a malformed offset is a 400 with the upload status header; a client that
hangs up mid-body is a 499, not a server error."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from emulator import Settings
from tests.api.uploads import (
    Answer,
    at_once,
    hang_up,
    list_files,
    query,
    send,
    sha256_b64,
    start,
    start_request,
    stored_files_disagreeing,
)
from tests.servers import ThreadServer, thread_server

RACERS = 8


@pytest.fixture(scope="module", params=["data-dir", "ephemeral"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadServer]:
    data_dir: Path | None = tmp_path_factory.mktemp("data") if request.param == "data-dir" else None
    with thread_server(Settings(data_dir=data_dir, port=0)) as running:
        yield running


@pytest.fixture
def key() -> str:
    return f"race-{uuid.uuid4().hex}"


def test_concurrent_finalize_makes_one_file_and_every_answer_is_final(server: ThreadServer, key: str) -> None:
    data = os.urandom(64 * 1024)
    url = start(server.url, key, len(data))
    answers = at_once([lambda: send(url, data, 0, "upload, finalize")] * RACERS)
    assert not [a for a in answers if a.server_error]
    assert all(a.status == 200 and a.upload_status == "final" for a in answers), answers
    assert len({a.file["name"] for a in answers if a.file}) == 1
    files = list_files(server.url, key)
    assert len(files) == 1 and files[0]["sha256Hash"] == sha256_b64(data)
    assert stored_files_disagreeing(server.url, key) == []


def test_a_finalize_sent_again_later_gets_the_same_file(server: ThreadServer, key: str) -> None:
    data = b"0123456789" * 10
    url = start(server.url, key, len(data))
    first = send(url, data, 0, "upload, finalize")
    again = send(url, data, 0, "upload, finalize")  # a client retrying after a timeout
    assert first.status == again.status == 200 and again.upload_status == "final"
    assert first.file == again.file
    other = send(url, b"X" + data[1:], 0, "upload, finalize")  # not the bytes it has: refused
    assert other.status == 400 and other.upload_status == "final"
    assert query(url).upload_status == "final"


def test_different_chunks_racing_at_one_offset_store_one_of_them(server: ThreadServer, key: str) -> None:
    size = 256 * 1024
    chunks = [bytes([i]) * size for i in range(RACERS)]
    rest = os.urandom(size)
    url = start(server.url, key, 2 * size)
    answers = at_once([lambda c=c: send(url, c, 0) for c in chunks])
    assert not [a for a in answers if a.server_error]
    accepted = [i for i, a in enumerate(answers) if a.status == 200]
    assert len(accepted) == 1, answers
    for i, answer in enumerate(answers):
        assert answer.upload_status == ("active" if i in accepted else "final")
        assert answer.received == size  # a refusal tells the client what the server holds
    done = send(url, rest, size, "upload, finalize")
    assert done.status == 200 and done.file is not None
    assert done.file["sha256Hash"] == sha256_b64(chunks[accepted[0]] + rest)
    assert stored_files_disagreeing(server.url, key) == []


def test_the_same_chunk_sent_many_times_at_once_is_stored_once(server: ThreadServer, key: str) -> None:
    data = os.urandom(300 * 1024)
    url = start(server.url, key, len(data) + 1)
    answers = at_once([lambda: send(url, data, 0)] * RACERS)
    assert all(a.status == 200 and a.upload_status == "active" and a.received == len(data) for a in answers)
    done = send(url, b"!", len(data), "upload, finalize")
    assert done.file is not None and done.file["sha256Hash"] == sha256_b64(data + b"!")
    assert stored_files_disagreeing(server.url, key) == []


def test_one_name_chosen_by_racing_uploads_is_given_once(server: ThreadServer, key: str) -> None:
    def start_named() -> int:
        return start_request(server.url, key, 1, name="files/racing-name").status_code

    assert sorted(at_once([start_named] * RACERS)) == [200] + [409] * (RACERS - 1)


@pytest.mark.parametrize("offset", ["-1", "abc", "1e3", "+5", "0x10", "", None])
def test_a_malformed_or_missing_offset_is_refused_with_the_upload_status(
    server: ThreadServer, key: str, offset: str | None
) -> None:
    url = start(server.url, key, 10)
    headers = {"X-Goog-Upload-Command": "upload"}
    if offset is not None:
        headers["X-Goog-Upload-Offset"] = offset
    r = httpx.post(url, content=b"0123456789", headers=headers)
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/json")
    assert r.json()["error"]["status"] == "INVALID_ARGUMENT" and "X-Goog-Upload-Offset" in r.json()["error"]["message"]
    assert r.headers["x-goog-upload-status"] == "final"  # without it the Python SDK retries for 7 s
    assert query(url).received == 0


def test_query_and_cancel_need_no_offset(server: ThreadServer, key: str) -> None:
    url = start(server.url, key, 10)
    assert query(url) == Answer(200, "active", 0)
    r = httpx.post(url, headers={"X-Goog-Upload-Command": "cancel"})
    assert r.status_code == 200 and r.headers["x-goog-upload-status"] == "cancelled"


def _journal(server: ThreadServer, key: str, operation: str) -> list[dict[str, object]]:
    r = httpx.get(f"{server.url}/_emulator/requests", params={"key": key, "operation": operation})
    assert r.status_code == 200, r.text
    entries: list[dict[str, object]] = r.json()["requests"]
    return entries


def _wait_for_entry(server: ThreadServer, key: str, operation: str) -> dict[str, object]:
    for _ in range(400):  # the server notices the hang-up on its own time
        entries = _journal(server, key, operation)
        if entries:
            return entries[-1]
        time.sleep(0.025)
    raise AssertionError(f"no {operation} in the journal")


def test_a_client_hanging_up_mid_chunk_is_a_499_not_a_server_error(
    server: ThreadServer, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    url = start(server.url, key, 600)
    hang_up(url, os.urandom(600), 0, 300)
    entry = _wait_for_entry(server, key, "files.upload.chunk")
    assert entry["status"] == 499
    assert query(url).received == 0  # and the half chunk left no trace
    metrics = httpx.get(f"{server.url}/_emulator/metrics").text
    assert 'operation="files.upload.chunk",status="499"' in metrics
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]


def test_a_truncated_batch_body_is_a_499_not_a_server_error(
    server: ThreadServer, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as raw:
        raw.sendall(
            f"POST /v1beta/models/gemini-2.5-flash:batchGenerateContent HTTP/1.1\r\nHost: {host}\r\n"
            f"x-goog-api-key: {key}\r\nContent-Type: application/json\r\nContent-Length: 600\r\n\r\n".encode()
            + b'{"batch": {"inputConfig": {"requests": {"requests": ['
        )
    entry = _wait_for_entry(server, key, "batches.create")
    assert entry["status"] == 499
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
