"""Access control and limits, answered as the real service answers."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import httpx
import pytest
from google import genai
from google.genai import errors

from emulator import Settings
from tests.sdk.helpers import make_client, request_line, result_lines, wait_done
from tests.servers import ThreadServer, thread_server

BODY = {"batch": {"inputConfig": {"requests": {"requests": [{"request": {"contents": [{"parts": [{"text": "a"}]}]}}]}}}}


@pytest.fixture
def locked() -> Iterator[ThreadServer]:
    settings = Settings(
        data_dir=None, queue_delay=0, request_latency=0, api_keys=("good-key", "second-key"), control_token="s3cret"
    )
    with thread_server(settings) as server:
        yield server


def test_a_missing_key_is_403_and_a_wrong_one_400_api_key_invalid(locked: ThreadServer) -> None:
    r = httpx.get(f"{locked.url}/v1beta/batches")
    assert r.status_code == 403 and r.json()["error"]["status"] == "PERMISSION_DENIED"
    assert "unregistered callers" in r.json()["error"]["message"]
    r = httpx.get(f"{locked.url}/v1beta/batches", headers={"x-goog-api-key": "bad"})
    error = r.json()["error"]
    assert r.status_code == 400 and error["status"] == "INVALID_ARGUMENT"
    assert error["message"] == "API key not valid. Please pass a valid API key."
    assert error["details"][0]["reason"] == "API_KEY_INVALID"
    assert httpx.get(f"{locked.url}/v1beta/batches", params={"key": "good-key"}).status_code == 200
    bad = make_client(locked.url, "bad")
    with pytest.raises(errors.ClientError) as exc:
        bad.batches.list()
    assert exc.value.code == 400


def test_allowed_keys_run_the_whole_workflow_with_keyless_upload_chunks(locked: ThreadServer) -> None:
    client = make_client(locked.url, "second-key")  # the Python SDK sends no key on upload chunks
    uploaded = client.files.upload(file=io.BytesIO(request_line("a", "x").encode()), config={"mime_type": "jsonl"})
    job = wait_done(client, client.batches.create(model="gemini-2.5-flash", src=uploaded.name).name)
    assert result_lines(client, job.dest.file_name)[0]["key"] == "a"


def test_the_control_plane_needs_its_token(locked: ThreadServer) -> None:
    assert httpx.get(f"{locked.url}/_emulator/health").status_code == 200  # health stays open
    r = httpx.get(f"{locked.url}/_emulator/config")
    assert r.status_code == 401 and r.json()["error"]["status"] == "UNAUTHENTICATED"
    assert httpx.get(f"{locked.url}/_emulator/config", headers={"authorization": "Bearer s3cret"}).status_code == 200
    assert httpx.get(f"{locked.url}/_emulator/config", params={"token": "s3cret"}).status_code == 200
    assert httpx.get(f"{locked.url}/_emulator/config", headers={"x-emulator-token": "nope"}).status_code == 401


def test_request_body_and_line_and_batch_size_limits() -> None:
    settings = Settings(
        data_dir=None,
        queue_delay=0,
        request_latency=0,
        max_request_bytes=2000,
        max_line_bytes=300,
        max_batch_requests=3,
    )
    with thread_server(settings) as server:
        headers = {"x-goog-api-key": "k"}
        big = {"batch": {"displayName": "x" * 3000, **BODY["batch"]}}
        r = httpx.post(f"{server.url}/v1beta/models/m:batchGenerateContent", json=big, headers=headers)
        assert r.status_code == 400 and "payload size exceeds the limit: 2000 bytes" in r.json()["error"]["message"]
        client = make_client(server.url, "k")
        lines = [request_line("short", "x"), request_line("long", "y" * 1000), request_line("after", "z")]
        uploaded = client.files.upload(file=io.BytesIO("\n".join(lines).encode()), config={"mime_type": "jsonl"})
        job = wait_done(client, client.batches.create(model="gemini-2.5-flash", src=uploaded.name).name)
        results = result_lines(client, job.dest.file_name)
        assert [r.get("key") for r in results] == ["short", "long", "after"]  # nothing lost, key salvaged
        assert "larger than the limit of 300 bytes" in results[1]["error"]["message"]
        four = "\n".join(request_line(f"k{i}", "x") for i in range(4)).encode()
        uploaded = client.files.upload(file=io.BytesIO(four), config={"mime_type": "jsonl"})
        with pytest.raises(errors.ClientError) as exc:
            client.batches.create(model="gemini-2.5-flash", src=uploaded.name)
        assert exc.value.code == 400 and "at most 3" in exc.value.message


@pytest.mark.parametrize("name", ["batches/../../etc", "batches/UPPER", "batches/a/b", "batches/-x"])
def test_seeded_names_cannot_escape(live_server: ThreadServer, name: str) -> None:
    r = httpx.post(
        f"{live_server.url}/_emulator/seed", json={"batches": [{"name": name, "requests": [{"contents": "a"}]}]}
    )
    assert r.status_code == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_display_names_are_data_not_sql(live_server: ThreadServer, api_key: str) -> None:
    client: genai.Client = make_client(live_server.url, api_key)
    hostile = "x'); DROP TABLE batches; -- <script>alert(1)</script>"
    job = client.batches.create(model="gemini-2.5-flash", src=[{"contents": "a"}], config={"display_name": hostile})
    assert client.batches.get(name=job.name).display_name == hostile
    assert (
        json.dumps(hostile)
        in httpx.get(f"{live_server.url}/v1beta/{job.name}", headers={"x-goog-api-key": api_key}).text
    )


@pytest.mark.parametrize(
    "path",
    ["/v1beta/models/m:generateContent", "/v1beta/models/m:countTokens", "/v1beta/models/m:batchGenerateContent"],
)
def test_deeply_nested_bodies_are_400_not_500(live_server: ThreadServer, api_key: str, path: str) -> None:
    inner = '{"a_b":' * 1000 + "1" + "}" * 1000
    request = '{"contents":[{"parts":[{"text":"x"}]}],"generation_config":' + inner + "}"
    body = (
        request
        if "batch" not in path
        else '{"batch":{"inputConfig":{"requests":{"requests":[{"request":' + request + "}]}}}}"
    )
    r = httpx.post(
        f"{live_server.url}{path}",
        content=body,
        headers={"x-goog-api-key": api_key, "content-type": "application/json"},
    )
    assert r.status_code == 400 and "Nesting deeper than 100 levels" in r.json()["error"]["message"]
