"""Behind a proxy or on a docker network: upload URLs, `uri` and `downloadUri` use the address the
client used (`X-Forwarded-Host`/`-Proto`, else `Host`), or `--public-url` when set; and the Python
SDK, which uses upload URLs verbatim, works through a loopback reverse proxy."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest
import uvicorn
from google import genai
from google.genai import types
from starlette.types import Receive, Scope, Send

from emulator import Settings
from tests.servers import ThreadServer, thread_server

JSONL = b"".join(
    orjson.dumps({"key": f"k{i}", "request": {"contents": [{"parts": [{"text": f"q{i}"}]}]}}) + b"\n" for i in range(3)
)
# Headers a proxy must not pass on (RFC 9110 §7.6.1), plus the ones it recomputes.
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


@contextlib.contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Any ASGI app on a free loopback port, in a thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the proxy did not start"
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class ReverseProxy:
    """A few lines of nginx: `forwarded` sets Host to the upstream and passes the client's host in
    X-Forwarded-Host/-Proto (`proxy_set_header Host $proxy_host`, the default); `host` passes the
    client's Host header through unchanged and adds nothing."""

    def __init__(self, upstream: str, mode: str) -> None:
        self.upstream = upstream
        self.mode = mode
        self.seen: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        incoming = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        host = next(v for k, v in incoming if k == "host")
        headers = [(k, v) for k, v in incoming if k not in HOP | {"host", "content-length"}]
        if self.mode == "forwarded":
            headers += [("x-forwarded-host", host), ("x-forwarded-proto", scope["scheme"])]
        else:
            headers.append(("host", host))
        target = scope["raw_path"].decode() + (f"?{scope['query_string'].decode()}" if scope["query_string"] else "")
        self.seen.append(f"{scope['method']} {target}")
        async with httpx.AsyncClient(timeout=30) as client:
            answer = await client.request(scope["method"], self.upstream + target, headers=headers, content=body)
        skip = HOP | {"content-length", "content-encoding"}
        out = [(k.encode(), v.encode()) for k, v in answer.headers.multi_items() if k.lower() not in skip]
        out.append((b"content-length", str(len(answer.content)).encode()))
        await send({"type": "http.response.start", "status": answer.status_code, "headers": out})
        await send({"type": "http.response.body", "body": answer.content})


@pytest.fixture(scope="module")
def emulator() -> Iterator[ThreadServer]:
    with thread_server(Settings(data_dir=None, queue_delay=0, request_latency=0)) as server:
        yield server


def links_for(server: ThreadServer, headers: dict[str, str]) -> dict[str, str]:
    """Upload a JSONL file and run a batch over it by raw REST, sending `headers` on every call;
    return the upload URL, the file's `uri` and the output file's `downloadUri`."""
    key = {"x-goog-api-key": f"links-{uuid.uuid4().hex}"}
    with httpx.Client(base_url=server.url, headers={**key, **headers}, timeout=30) as http:
        start = http.post(
            "/upload/v1beta/files",
            json={"file": {"displayName": "links"}},
            headers={
                "x-goog-upload-protocol": "resumable",
                "x-goog-upload-command": "start",
                "x-goog-upload-header-content-length": str(len(JSONL)),
                "x-goog-upload-header-content-type": "application/jsonl",
            },
        )
        upload_url = start.headers["x-goog-upload-url"]
        parts = urlsplit(upload_url)
        done = http.post(
            f"{parts.path}?{parts.query}",
            content=JSONL,
            headers={"x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0"},
        )
        file = done.json()["file"]
        created = http.post(
            "/v1beta/models/gemini-2.5-flash:batchGenerateContent",
            json={"batch": {"inputConfig": {"fileName": file["name"]}}},
        )
        created.raise_for_status()
        http.get("/_emulator/wait-idle").raise_for_status()
        op = http.get(f"/v1beta/{created.json()['name']}").json()
        output = http.get(f"/v1beta/{op['metadata']['output']['responsesFile']}").json()
    return {"upload": upload_url, "uri": file["uri"], "download": output["downloadUri"]}


@pytest.mark.parametrize(
    ("headers", "base"),
    [
        ({"x-forwarded-host": "gemini.example:9443", "x-forwarded-proto": "https"}, "https://gemini.example:9443"),
        ({"x-forwarded-host": "a.example, b.internal", "x-forwarded-proto": "https, http"}, "https://a.example"),
        ({"host": "gemini-emulator:8790"}, "http://gemini-emulator:8790"),  # a compose service name
    ],
    ids=["forwarded", "forwarded-chain", "host"],
)
def test_links_use_the_address_the_client_used(emulator: ThreadServer, headers: dict[str, str], base: str) -> None:
    links = links_for(emulator, headers)
    assert links["upload"].startswith(f"{base}/upload/v1beta/files?"), links
    assert links["uri"].startswith(f"{base}/v1beta/files/"), links
    assert links["download"].startswith(f"{base}/"), links


def test_public_url_wins_over_the_request_headers() -> None:
    settings = Settings(data_dir=None, queue_delay=0, request_latency=0, public_url="https://gemini.ci.example/emu/")
    with thread_server(settings) as server:
        links = links_for(server, {"x-forwarded-host": "proxy.example", "x-forwarded-proto": "http"})
    assert links["upload"].startswith("https://gemini.ci.example/emu/upload/v1beta/files?"), links
    assert links["uri"].startswith("https://gemini.ci.example/emu/v1beta/files/"), links
    assert links["download"].startswith("https://gemini.ci.example/emu/"), links


@pytest.mark.parametrize("mode", ["forwarded", "host"])
def test_python_sdk_through_a_reverse_proxy(emulator: ThreadServer, mode: str, tmp_path: Path) -> None:
    proxy = ReverseProxy(emulator.url, mode)
    with serve_app(proxy) as proxy_url:
        client = genai.Client(api_key=f"proxy-{mode}", http_options={"base_url": proxy_url})
        path = tmp_path / "requests.jsonl"
        path.write_bytes(JSONL)
        uploaded = client.files.upload(file=path, config=types.UploadFileConfig(mime_type="jsonl"))
        assert uploaded.uri is not None and uploaded.uri.startswith(f"{proxy_url}/v1")
        assert uploaded.name is not None
        job = client.batches.create(model="gemini-2.5-flash", src=uploaded.name)
        assert job.name is not None
        while not (job := client.batches.get(name=job.name)).done:
            time.sleep(0.05)
        assert job.state == types.JobState.JOB_STATE_SUCCEEDED and job.dest is not None
        assert job.dest.file_name is not None
        output = client.files.download(file=job.dest.file_name)
        client.close()
    assert [orjson.loads(line)["key"] for line in output.splitlines()] == ["k0", "k1", "k2"]
    # The SDK sent its chunks to the upload URL verbatim: it pointed at the proxy, not the emulator.
    assert any("upload_id=" in seen for seen in proxy.seen), proxy.seen
    assert any(":download" in seen for seen in proxy.seen), proxy.seen
