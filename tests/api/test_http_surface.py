"""The raw HTTP surface, as REST users and the SDKs' edge cases see it."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.servers import ThreadServer


@pytest.fixture
def api(live_server: ThreadServer, api_key: str) -> httpx.Client:
    with httpx.Client(base_url=live_server.url, headers={"x-goog-api-key": api_key}, timeout=30) as client:
        yield client


def start_upload(api: httpx.Client, size: int, mime: str = "application/jsonl", **file: Any) -> str:
    r = api.post(
        "/upload/v1beta/files",
        json={"file": file} if file else None,
        headers={
            "X-Goog-Upload-Protocol": "resumable",
            "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": str(size),
            "X-Goog-Upload-Header-Content-Type": mime,
        },
    )
    assert r.status_code == 200, r.text
    assert r.headers["x-goog-upload-status"] == "active"
    url = r.headers["x-goog-upload-url"]
    assert url.startswith("http://127.0.0.1:")  # absolute: the Python SDK uses it verbatim
    return url


def chunk(api: httpx.Client, url: str, data: bytes, offset: int, command: str = "upload") -> httpx.Response:
    # No API key on chunks, as the Python SDK sends them: the URL is the credential.
    return httpx.post(
        url, content=data, headers={"X-Goog-Upload-Command": command, "X-Goog-Upload-Offset": str(offset)}
    )


def assert_google_error(r: httpx.Response, status: int, name: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    error = r.json()["error"]
    assert error["code"] == status and error["status"] == name and error["message"]
    return error


def wait_operation(api: httpx.Client, name: str) -> dict[str, Any]:
    for _ in range(600):
        op = api.get(f"/v1beta/{name}").json()
        if op.get("done"):
            return op
        time.sleep(0.05)
    raise AssertionError(f"{name} never finished")


def test_upload_in_chunks_with_query_and_resent_chunk(api: httpx.Client) -> None:
    data = b'{"key": "a", "request": {"contents": [{"parts": [{"text": "hi"}]}]}}\n' * 10
    url = start_upload(api, len(data), display_name="chunks")
    r = chunk(api, url, data[:100], 0)
    assert r.status_code == 200 and r.headers["x-goog-upload-status"] == "active"
    r = chunk(api, url, data[:100], 0)  # the SDK re-sends a chunk blindly: harmless
    assert r.status_code == 200 and r.headers["x-goog-upload-size-received"] == "100"
    r = httpx.post(url, headers={"X-Goog-Upload-Command": "query"})
    assert r.headers["x-goog-upload-status"] == "active" and r.headers["x-goog-upload-size-received"] == "100"
    r = chunk(api, url, data[100:], 100, "upload, finalize")
    assert r.status_code == 200 and r.headers["x-goog-upload-status"] == "final"
    file = r.json()["file"]
    assert file["sizeBytes"] == str(len(data)) and file["displayName"] == "chunks"
    assert file["mimeType"] == "application/jsonl" and file["state"] == "ACTIVE" and file["source"] == "UPLOADED"
    assert api.get(f"/v1beta/{file['name']}:download", params={"alt": "media"}).content == data
    assert api.get(f"/download/v1beta/{file['name']}:download", params={"alt": "media"}).content == data


def test_upload_errors_carry_the_upload_status_header(api: httpx.Client) -> None:
    url = start_upload(api, 10)
    r = chunk(api, url, b"12345", 5)  # a gap: offset 5 but nothing received
    assert_google_error(r, 400, "INVALID_ARGUMENT")
    assert r.headers["x-goog-upload-status"] == "final"  # or the Python SDK retries for 7 s
    r = chunk(api, url, b"x" * 11, 0, "upload, finalize")  # longer than announced
    assert_google_error(r, 400, "INVALID_ARGUMENT")
    assert r.headers["x-goog-upload-status"] == "final"
    r = chunk(api, url, b"x" * 4, 0, "upload, finalize")  # shorter than announced
    assert "announced" in assert_google_error(r, 400, "INVALID_ARGUMENT")["message"]
    r = chunk(api, url, b"x" * 6, 4, "upload, finalize")
    assert r.status_code == 200 and r.json()["file"]["sizeBytes"] == "10"
    r = chunk(api, url, b"more", 10, "upload")  # the session is finished
    assert_google_error(r, 404, "NOT_FOUND")
    assert r.headers["x-goog-upload-status"] == "final"
    r = httpx.post(
        url.replace("upload_id=", "upload_id=nope"), content=b"x", headers={"X-Goog-Upload-Command": "upload"}
    )
    assert_google_error(r, 404, "NOT_FOUND")


def test_upload_start_rejects_unknown_fields_and_accepts_both_casings(api: httpx.Client) -> None:
    headers = {"X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start"}
    r = api.post(
        "/upload/v1beta/files", json={"file": {"mime_type": "jsonl", "size_bytes": 3, "colour": "red"}}, headers=headers
    )
    assert "colour" in assert_google_error(r, 400, "INVALID_ARGUMENT")["message"]
    for meta in ({"mime_type": "jsonl", "size_bytes": 3}, {"mimeType": "application/jsonl", "sizeBytes": "3"}):
        r = api.post("/upload/v1beta/files", json={"file": meta}, headers=headers)
        assert r.status_code == 200, r.text
    r = api.post("/upload/v1beta/files", json={"file": {"display_name": "no type"}}, headers=headers)
    assert "MIME type" in assert_google_error(r, 400, "INVALID_ARGUMENT")["message"]


def test_operation_shape_for_a_file_batch(api: httpx.Client) -> None:
    data = b"".join(
        json.dumps({"key": f"k{i}", "request": {"contents": [{"parts": [{"text": "x"}]}]}}).encode() + b"\n"
        for i in range(3)
    )
    url = start_upload(api, len(data))
    file = chunk(api, url, data, 0, "upload, finalize").json()["file"]
    r = api.post(
        "/v1beta/models/gemini-2.5-flash:batchGenerateContent",
        json={"batch": {"display_name": "snake", "input_config": {"file_name": file["name"]}}},
    )
    assert r.status_code == 200, r.text
    op = r.json()
    meta = op["metadata"]
    assert op["name"] == meta["name"] and op["name"].startswith("batches/") and "done" not in op
    assert meta["@type"].endswith("GenerateContentBatch") and meta["state"] == "BATCH_STATE_PENDING"
    assert meta["model"] == "models/gemini-2.5-flash" and meta["displayName"] == "snake"
    assert meta["inputConfig"] == {"fileName": file["name"]}
    assert meta["batchStats"] == {"requestCount": "3", "pendingRequestCount": "3"}  # int64 as strings
    assert meta["createTime"].endswith("Z")
    op = wait_operation(api, op["name"])
    meta = op["metadata"]
    assert meta["state"] == "BATCH_STATE_SUCCEEDED" and op["done"] is True
    assert meta["batchStats"] == {"requestCount": "3", "successfulRequestCount": "3"}  # zeros omitted
    assert meta["output"] == {"responsesFile": f"files/batch-{op['name'].split('/')[1]}"}
    assert op["response"]["responsesFile"] == meta["output"]["responsesFile"]
    assert op["response"]["@type"].endswith("GenerateContentBatchOutput")
    assert meta["endTime"] >= meta["createTime"]


def test_operation_shape_for_an_inline_batch(api: httpx.Client) -> None:
    body = {
        "batch": {
            "inputConfig": {
                "requests": {
                    "requests": [
                        {"request": {"contents": [{"parts": [{"text": "a"}]}]}, "metadata": {"key": "m1"}},
                        # schema-valid (or the create itself is refused), refused when answered
                        {"request": {"contents": []}, "metadata": {"key": "m2"}},
                    ]
                }
            }
        }
    }
    op = api.post("/v1beta/models/gemini-2.5-flash:batchGenerateContent", json=body).json()
    assert "inputConfig" not in op["metadata"]  # inline requests are not echoed
    op = wait_operation(api, op["name"])
    items = op["metadata"]["output"]["inlinedResponses"]["inlinedResponses"]  # doubly nested
    assert items[0]["metadata"] == {"key": "m1"} and "response" in items[0]
    assert items[1]["metadata"] == {"key": "m2"}
    assert items[1]["error"]["code"] == 3 and "details" not in items[1]["error"]  # rpc code in-band
    assert op["response"]["inlinedResponses"]["inlinedResponses"] == items
    assert op["metadata"]["batchStats"] == {
        "requestCount": "2",
        "successfulRequestCount": "1",
        "failedRequestCount": "1",
    }


def test_embed_operation_type(api: httpx.Client) -> None:
    body = {
        "batch": {"inputConfig": {"requests": {"requests": [{"request": {"content": {"parts": [{"text": "a"}]}}}]}}}
    }
    op = api.post("/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent", json=body).json()
    assert op["metadata"]["@type"].endswith("EmbedContentBatch")
    op = wait_operation(api, op["name"])
    assert op["response"]["@type"].endswith("EmbedContentBatchOutput")
    assert (
        len(op["metadata"]["output"]["inlinedResponses"]["inlinedResponses"][0]["response"]["embedding"]["values"])
        == 3072
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "Invalid JSON payload"),
        (b"[1]", "JSON object"),
        (b'{"batch": {"inputConfig": {"fileName": "files/x"}}, "extra": 1}', 'Unknown name "extra"'),
        (b'{"batch": {"inputConfig": {"fileName": "files/x"}, "colour": 1}}', "Unknown name \"colour\" at 'batch'"),
        (b'{"batch": {"displayName": "no input"}}', "input_config"),
        (b'{"batch": {"inputConfig": {"fileName": "files/x", "requests": {"requests": []}}}}', "exactly one"),
        (b'{"batch": {"inputConfig": {"requests": {"requests": []}}}}', "no requests"),
        (b'{"batch": {"inputConfig": {"requests": {"requests": [1]}}}}', "must be an object"),
    ],
)
def test_bad_create_bodies_are_invalid_argument(api: httpx.Client, body: bytes, fragment: str) -> None:
    r = api.post(
        "/v1beta/models/gemini-2.5-flash:batchGenerateContent",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert fragment in assert_google_error(r, 400, "INVALID_ARGUMENT")["message"]


def test_unknown_routes_and_methods_answer_in_googles_shape(api: httpx.Client) -> None:
    assert_google_error(api.get("/v1beta/nothing/here"), 404, "NOT_FOUND")
    assert_google_error(api.put("/v1beta/batches/abc"), 404, "NOT_FOUND")  # a wrong method: Google's 404
    assert_google_error(api.get("/v1beta/batches/abc:cancel"), 404, "NOT_FOUND")


def test_cancel_and_delete_accept_empty_or_json_bodies(api: httpx.Client) -> None:
    body = {
        "batch": {"inputConfig": {"requests": {"requests": [{"request": {"contents": [{"parts": [{"text": "a"}]}]}}]}}}
    }
    name = api.post("/v1beta/models/gemini-2.5-flash:batchGenerateContent", json=body).json()["name"]
    r = api.post(f"/v1beta/{name}:cancel", content=b"", headers={"content-length": "0"})
    assert r.status_code == 200 and r.json() == {}
    r = api.request("DELETE", f"/v1beta/{name}", json={})  # the JS SDK sends {} on DELETE
    assert r.status_code == 200 and r.json() == {}
    name = api.post("/v1beta/models/gemini-2.5-flash:batchGenerateContent", json=body).json()["name"]
    r = api.post(f"/v1beta/{name}:delete")  # the REST guide's curl form
    assert r.status_code == 200
    assert_google_error(api.get(f"/v1beta/{name}"), 404, "NOT_FOUND")


def test_key_query_parameter_selects_the_same_tenant(
    live_server: ThreadServer, api_key: str, api: httpx.Client
) -> None:
    body = {
        "batch": {"inputConfig": {"requests": {"requests": [{"request": {"contents": [{"parts": [{"text": "a"}]}]}}]}}}
    }
    name = api.post("/v1beta/models/gemini-2.5-flash:batchGenerateContent", json=body).json()["name"]
    r = httpx.get(f"{live_server.url}/v1beta/{name}", params={"key": api_key})
    assert r.status_code == 200 and r.json()["name"] == name


def test_list_paging_tokens(api: httpx.Client) -> None:
    assert api.get("/v1beta/files").json() == {}  # an empty first page is {}
    assert api.get("/v1beta/batches").json() == {}
    for _ in range(3):
        url = start_upload(api, 1, "text/plain")
        chunk(api, url, b"x", 0, "upload, finalize")
    page = api.get("/v1beta/files", params={"pageSize": 2}).json()
    assert len(page["files"]) == 2 and page["nextPageToken"]
    page = api.get("/v1beta/files", params={"pageSize": 2, "pageToken": page["nextPageToken"]}).json()
    assert len(page["files"]) == 1 and "nextPageToken" not in page  # no token unless more follow
    assert_google_error(api.get("/v1beta/files", params={"pageToken": "garbage!"}), 400, "INVALID_ARGUMENT")
    assert_google_error(api.get("/v1beta/files", params={"pageSize": "many"}), 400, "INVALID_ARGUMENT")


def test_health(live_server: ThreadServer) -> None:
    r = httpx.get(f"{live_server.url}/_emulator/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
