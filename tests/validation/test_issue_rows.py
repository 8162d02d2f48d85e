"""Issue 16's table, row by row: each request answered as the real API answers it, through the
official SDK where it can send the request and raw HTTP (what curl sends) otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from google.genai import errors

from emulator import Settings
from tests.sdk.helpers import make_client
from tests.servers import ThreadServer, thread_server

KEY = {"x-goog-api-key": "k"}
HI = [{"parts": [{"text": "hi"}]}]


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadServer]:
    with thread_server(Settings(data_dir=None, queue_delay=0, request_latency=0)) as running:
        yield running


def test_generate_content_on_an_unknown_model_is_the_real_404(server: ThreadServer) -> None:
    client = make_client(server.url, "k", api_version="v1beta")
    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model="gemini-9.9-ultra-typo", contents="hi")
    assert (caught.value.code, caught.value.status) == (404, "NOT_FOUND")
    assert caught.value.message == (
        "models/gemini-9.9-ultra-typo is not found for API version v1beta, or is not supported for generateContent. "
        "Call ListModels to see the list of available models and their supported methods."
    )


def test_batches_on_an_unknown_or_an_embedding_model_are_refused(server: ThreadServer) -> None:
    client = make_client(server.url, "k")
    with pytest.raises(errors.ClientError) as caught:
        client.batches.create(model="gemini-9.9-ultra-typo", src=[{"contents": "hi"}])
    assert (caught.value.code, caught.value.status) == (404, "NOT_FOUND")
    with pytest.raises(errors.ClientError) as caught:
        client.batches.create(model="gemini-embedding-001", src=[{"contents": "hi"}])
    assert (caught.value.code, caught.value.status) == (400, "INVALID_ARGUMENT")
    assert "is not supported for batchGenerateContent" in caught.value.message


def test_a_field_name_typo_sync_and_inline(server: ThreadServer) -> None:
    body = {"contents": [{"parts": [{"txt": "hi"}]}]}
    r = httpx.post(f"{server.url}/v1beta/models/gemini-2.5-flash:generateContent", json=body, headers=KEY)
    assert r.status_code == 400
    assert r.json()["error"]["message"] == (
        "Invalid JSON payload received. Unknown name \"txt\" at 'contents[0].parts[0]': Cannot find field."
    )
    inline = {"batch": {"inputConfig": {"requests": {"requests": [{"request": body}]}}}}
    r = httpx.post(f"{server.url}/v1beta/models/gemini-2.5-flash:batchGenerateContent", json=inline, headers=KEY)
    assert r.status_code == 400
    assert "at 'batch.input_config.requests.requests[0].request.contents[0].parts[0]'" in r.json()["error"]["message"]


def test_a_temperature_that_is_not_a_number(server: ThreadServer) -> None:
    body = {"contents": HI, "generationConfig": {"temperature": "hot"}}
    r = httpx.post(f"{server.url}/v1beta/models/gemini-2.5-flash:generateContent", json=body, headers=KEY)
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "Invalid value at 'generation_config.temperature' (TYPE_FLOAT), \"hot\""


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gémini-ß", "%E2%9C%93"])
def test_contents_that_is_a_number_is_400_not_500(server: ThreadServer, model: str) -> None:
    r = httpx.post(f"{server.url}/v1beta/models/{model}:generateContent", json={"contents": 197186}, headers=KEY)
    assert r.status_code == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_the_fuzzer_s_three_crashes_are_400(server: ThreadServer) -> None:
    r = httpx.get(f"{server.url}/_emulator/wait-idle?timeout=null&timeout=null")
    assert r.status_code == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT"
    r = httpx.post(f"{server.url}/_emulator/seed", json={"batches": [[None, None]]})
    assert r.status_code == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT"
    r = httpx.post(f"{server.url}/v1beta/models/gémini:generateContent", json={"contents": 197186}, headers=KEY)
    assert r.status_code == 400


@pytest.mark.parametrize(
    "query", ["pageSize=1&pageSize=2", "pageSize=null", "pageSize=", "pageSize=abc", "pageToken=x&pageToken=y"]
)
@pytest.mark.parametrize("collection", ["batches", "files", "models"])
def test_list_parameters_twice_null_empty_or_mistyped_are_400(
    server: ThreadServer, collection: str, query: str
) -> None:
    r = httpx.get(f"{server.url}/v1beta/{collection}?{query}", headers=KEY)
    error = r.json()["error"]
    assert (r.status_code, error["code"], error["status"]) == (400, 400, "INVALID_ARGUMENT"), error


@pytest.mark.parametrize("query", ["alt=sse&alt=sse", "alt=xml", "alt="])
def test_alt_twice_or_unknown_is_400(server: ThreadServer, query: str) -> None:
    url = f"{server.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?{query}"
    r = httpx.post(url, json={"contents": HI}, headers=KEY)
    assert r.status_code == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT"
    if query == "alt=xml":
        assert r.json()["error"]["message"] == "Invalid value \"xml\" for query parameter 'alt'"


def test_a_key_clock_left_before_1970_by_a_later_move_is_no_500(server: ThreadServer) -> None:
    """Found by the fuzz run: a key's clock set back to 1970 while the shared one stood at 9999, then
    the shared one set back too, put that key in a year before 1."""
    httpx.post(f"{server.url}/_emulator/clock:set", json={"time": "9999-01-01T00:00:00Z"})
    httpx.post(f"{server.url}/_emulator/clock:set", json={"time": "1970-01-02T00:00:00Z", "apiKey": "old"})
    httpx.post(f"{server.url}/_emulator/clock:set", json={"time": "2026-01-02T00:00:00Z"})
    assert httpx.get(f"{server.url}/_emulator/clock", params={"key": "old"}).status_code == 200
    assert httpx.get(f"{server.url}/_emulator/quotas", params={"key": "old"}).status_code == 200
    inline = {"batch": {"inputConfig": {"requests": {"requests": [{"request": {"contents": HI}}]}}}}
    r = httpx.post(
        f"{server.url}/v1beta/models/gemini-2.5-flash:batchGenerateContent",
        json=inline,
        headers={"x-goog-api-key": "old"},
    )
    assert r.status_code == 200
