"""The table of invalid requests (tests/validation/cases.py), sent as the real API would get them:
synchronously, as an inline batch request and as a JSONL file line (status, Google status string,
field path, message).

In a batch, a schema violation fails an inline create (400, the path under the request's place in
the create body: Google's front end parses the whole body) and a file line becomes an error line
(the synchronous message, HTTP code); a semantic problem is an error line either way (inline: the
gRPC code in-band); a model that does not exist is refused at create (404), one that does not batch
too (400). The other lines of the file are answered."""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from emulator import Settings
from emulator.generation.catalogue import DEFAULT_CATALOGUE
from tests.sdk.helpers import make_client, result_lines
from tests.servers import ThreadServer, thread_server
from tests.validation.cases import CASES, Case

KEY = {"x-goog-api-key": "k"}
BATCHABLE = [case for case in CASES if case.batchable]
INLINE_AT = "batch.input_config.requests.requests[0].request"


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadServer]:
    with thread_server(Settings(data_dir=None, queue_delay=0, request_latency=0)) as running:
        yield running


def field_of(error: dict[str, Any]) -> str | None:
    """`fieldViolations[0].field` ("" when the violation has no field), None without violations."""
    for detail in error.get("details") or ():
        if detail.get("@type", "").endswith("google.rpc.BadRequest"):
            return str(detail["fieldViolations"][0].get("field", ""))
    return None


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_sync(server: ThreadServer, case: Case) -> None:
    r = httpx.post(
        f"{server.url}/v1beta/models/{case.model}:{case.method}", json=case.body, headers={"x-goog-api-key": "k"}
    )
    error = r.json()["error"]
    assert (r.status_code, error["status"], field_of(error)) == (case.status, case.code, case.path), error
    assert case.message in error["message"]
    assert error["code"] == case.status


def _batch_method(case: Case) -> str:
    return "asyncBatchEmbedContent" if case.method == "embedContent" else "batchGenerateContent"


def _create(server: ThreadServer, case: Case, input_config: dict[str, Any]) -> httpx.Response:
    url = f"{server.url}/v1beta/models/{case.model}:{_batch_method(case)}"
    return httpx.post(url, json={"batch": {"inputConfig": input_config}}, headers=KEY)


def _refused_at_create(case: Case, r: httpx.Response) -> bool:
    """A model that does not exist (404) or does not batch (400) fails the create in both forms."""
    if case.status != 404:
        return False
    error = r.json()["error"]
    known = DEFAULT_CATALOGUE.find(case.model) is not None
    assert (r.status_code, error["status"]) == ((400, "INVALID_ARGUMENT") if known else (404, "NOT_FOUND")), error
    assert f"is not supported for {_batch_method(case)}" in error["message"]
    return True


def _done(server: ThreadServer, name: str) -> dict[str, Any]:
    for _ in range(2000):
        op = httpx.get(f"{server.url}/v1beta/{name}", headers=KEY).json()
        if op.get("done"):
            return op
        time.sleep(0.01)
    raise AssertionError(f"{name} did not finish")


@pytest.mark.parametrize("case", BATCHABLE, ids=[case.id for case in BATCHABLE])
def test_inline(server: ThreadServer, case: Case) -> None:
    good = (
        {"contents": [{"parts": [{"text": "fine"}]}]}
        if case.method != "embedContent"
        else {"content": {"parts": [{"text": "fine"}]}}
    )
    items = [{"request": case.body, "metadata": {"key": "bad"}}, {"request": good, "metadata": {"key": "good"}}]
    r = _create(server, case, {"requests": {"requests": items}})
    if _refused_at_create(case, r):
        return
    if case.path is not None:  # the schema: the whole create is refused
        error = r.json()["error"]
        where = f"{INLINE_AT}.{case.path}" if case.path else INLINE_AT
        assert (r.status_code, error["status"], field_of(error)) == (400, "INVALID_ARGUMENT", where), error
        # the same message, its path under the request's place: the path, and the names and types it quotes
        assert f"'{where}'" in error["message"]
        assert all(piece in error["message"] for piece in re.findall(r'"[^"]*"|\([^)]*\)', case.message))
        return
    assert r.status_code == 200, r.text
    results = _done(server, r.json()["name"])["metadata"]["output"]["inlinedResponses"]["inlinedResponses"]
    bad, fine = results
    assert (bad["error"]["code"], bad["error"]["status"]) == (3, case.code) and case.message in bad["error"]["message"]
    assert "response" in fine


@pytest.mark.parametrize("case", BATCHABLE, ids=[case.id for case in BATCHABLE])
def test_file_line(server: ThreadServer, case: Case) -> None:
    good = (
        {"contents": [{"parts": [{"text": "fine"}]}]}
        if case.method != "embedContent"
        else {"content": {"parts": [{"text": "fine"}]}}
    )
    lines = [json.dumps({"key": "bad", "request": case.body}), json.dumps({"key": "good", "request": good})]
    client = make_client(server.url, "k")
    uploaded = client.files.upload(file=io.BytesIO("\n".join(lines).encode()), config={"mime_type": "jsonl"})
    r = _create(server, case, {"fileName": uploaded.name})
    if _refused_at_create(case, r):
        return
    assert r.status_code == 200, r.text
    op = _done(server, r.json()["name"])
    bad, fine = result_lines(client, op["metadata"]["output"]["responsesFile"])
    assert bad["key"] == "bad" and (bad["error"]["code"], bad["error"]["status"]) == (case.status, case.code)
    assert case.message in bad["error"]["message"]
    assert fine["key"] == "good" and "response" in fine
