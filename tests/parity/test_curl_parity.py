"""The docs' and samples' curl commands, run with the real `curl` against a live emulator."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.control.api_paths import api_paths
from tests.servers import ThreadServer


def curl(*args: str) -> tuple[int, dict[str, str], bytes]:
    """`curl -s -i ARGS`: the HTTP status, the last response's headers (lowercased) and body."""
    exe = shutil.which("curl")
    if exe is None:
        pytest.fail("curl is not on PATH", pytrace=False)
    out = subprocess.run([exe, "-s", "-i", *args], capture_output=True, check=True, timeout=60).stdout
    head, _, body = out.partition(b"\r\n\r\n")
    while head.startswith(b"HTTP/1.1 100"):
        head, _, body = body.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def test_discovery_document_describes_the_served_api(live_server: ThreadServer, api_key: str) -> None:
    """`GET /$discovery/rest?version=v1beta` (what `google.discoverAPI` fetches first): Google's
    format, its URLs on this server, one method per documented operation, and every method's path
    is served."""
    status, headers, body = curl(f"{live_server.url}/$discovery/rest?version=v1beta&key={api_key}")
    assert status == 200 and headers["content-type"].startswith("application/json")
    doc = json.loads(body)
    assert (doc["kind"], doc["id"], doc["version"]) == (
        "discovery#restDescription",
        "generativelanguage:v1beta",
        "v1beta",
    )
    assert doc["rootUrl"] == f"{live_server.url}/" and doc["servicePath"] == ""
    upload = doc["resources"]["media"]["methods"]["upload"]
    assert upload["path"] == "v1beta/files" and upload["supportsMediaUpload"] is True
    assert upload["mediaUpload"]["protocols"]["simple"] == {"multipart": True, "path": "/upload/v1beta/files"}
    generate = doc["resources"]["models"]["methods"]["generateContent"]
    assert generate["path"] == "v1beta/{+model}:generateContent"
    assert generate["parameters"]["model"]["pattern"] == "^models/[^/]+$"
    assert doc["resources"]["files"]["methods"]["get"]["path"] == "v1beta/{+name}"
    assert doc["resources"]["batches"]["methods"]["list"]["parameters"]["name"]["pattern"] == "^batches$"

    documented = {
        op["x-google-method"] for ops in api_paths().values() for op in ops.values() if "x-google-method" in op
    }
    described = {f"{r}.{m}" for r, resource in doc["resources"].items() for m in resource["methods"]}
    assert described == documented
    for resource in doc["resources"].values():
        for method in resource["methods"].values():
            _assert_served(live_server.url, api_key, method)
    assert curl(f"{live_server.url}/$discovery/rest?version=v1")[0] == 200
    status, _, body = curl(f"{live_server.url}/$discovery/rest?version=v9")
    assert (status, json.loads(body)["error"]["status"]) == (404, "NOT_FOUND")


def _assert_served(base: str, key: str, method: dict[str, Any]) -> None:
    """The method's URL, with made-up names, reaches a handler (any answer but the router's 404/405)."""
    path = method["path"]
    for name, parameter in method["parameters"].items():
        if parameter["location"] == "path":
            value = parameter["pattern"].strip("^$").replace("[^/]+", "does-not-exist")
            path = path.replace(f"{{+{name}}}", value)
    url = base + "/" + (method["mediaUpload"]["protocols"]["simple"]["path"] if "mediaUpload" in method else path)
    response = httpx.request(method["httpMethod"], url, headers={"x-goog-api-key": key}, timeout=30)
    assert "was not found on this server" not in response.text and response.status_code != 405, (method["id"], url)


def test_non_resumable_uploads(live_server: ThreadServer, api_key: str, tmp_path: Path) -> None:
    """`uploadType=media` (the bytes alone) and `uploadType=multipart` (multipart/related: the
    metadata, then the bytes), as discovery clients send them to /upload/v1beta/files."""
    data = tmp_path / "notes.txt"
    data.write_bytes(b"line one\nline two\n")
    url = f"{live_server.url}/upload/v1beta/files"
    status, _, body = curl(
        "-X", "POST", f"{url}?uploadType=media&key={api_key}", "-H", "Content-Type: text/plain",
        "--data-binary", f"@{data}",
    )  # fmt: skip
    assert status == 200
    media = json.loads(body)["file"]
    assert (media["mimeType"], media["sizeBytes"], media["state"]) == ("text/plain", "18", "ACTIVE")
    assert "displayName" not in media

    boundary = "===============7330845974216740156=="
    related = tmp_path / "body"
    related.write_bytes(
        f'--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{{"file": {{"displayName": "notes"}}}}'
        f"\r\n--{boundary}\r\nContent-Type: text/plain\r\n\r\n".encode()
        + data.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    status, _, body = curl(
        "-X", "POST", f"{url}?uploadType=multipart", "-H", f"x-goog-api-key: {api_key}",
        "-H", f'Content-Type: multipart/related; boundary="{boundary}"', "--data-binary", f"@{related}",
    )  # fmt: skip
    assert status == 200
    multipart = json.loads(body)["file"]
    assert (multipart["displayName"], multipart["mimeType"], multipart["sizeBytes"]) == ("notes", "text/plain", "18")
    download = f"{live_server.url}/v1beta/{multipart['name']}:download?alt=media&key={api_key}"
    assert curl(download)[2] == data.read_bytes()
    status, _, body = curl(
        "-X", "POST", f"{url}?uploadType=multipart&key={api_key}", "-H", "Content-Type: text/plain", "-d", "x"
    )  # fmt: skip
    assert (status, json.loads(body)["error"]["status"]) == (400, "INVALID_ARGUMENT")


def test_single_quoted_json_as_the_docs_curl_sends_it(live_server: ThreadServer, api_key: str, tmp_path: Path) -> None:
    """The cookbook's quickstarts/file-api/sample.sh and the batch guide's curl examples send bodies in
    single quotes (`{'file': {'display_name': ...}}`, `{'batch': {..., 'input_config': {'file_name':
    ...}}}`); the real front end answers 200 with the file named as asked (the saved real answer).
    Google's parser also takes bare keys and trailing commas, in sync calls too, and (an inference,
    see docs/wire.md) in JSONL input lines; never comments."""
    base = live_server.url
    data = tmp_path / "batch.jsonl"
    data.write_bytes(
        b"{'key': 'request-1', 'request': {'contents': [{'parts': [{'text': 'Hello'}]}]}}\n"
        b'{key: "request-2", request: {contents: [{parts: [{text: "World",}],},],},}\n'
    )
    size = str(data.stat().st_size)
    status, headers, _ = curl(
        f"{base}/upload/v1beta/files?key={api_key}",
        "-H", "X-Goog-Upload-Protocol: resumable", "-H", "X-Goog-Upload-Command: start",
        "-H", f"X-Goog-Upload-Header-Content-Length: {size}", "-H", "X-Goog-Upload-Header-Content-Type: jsonl",
        "-H", "Content-Type: application/json", "-d", "{'file': {'display_name': 'BatchInput'}}",
    )  # fmt: skip
    assert status == 200, headers
    status, _, body = curl(
        headers["x-goog-upload-url"], "-H", f"Content-Length: {size}", "-H", "X-Goog-Upload-Offset: 0",
        "-H", "X-Goog-Upload-Command: upload, finalize", "--data-binary", f"@{data}",
    )  # fmt: skip
    file = json.loads(body)["file"]
    assert (status, file["displayName"], file["mimeType"]) == (200, "BatchInput", "jsonl")

    config = "'input_config': {'file_name': '" + file["name"] + "'}"
    create = "{'batch': {'display_name': 'my-batch-requests', " + config + "}}"
    status, _, body = curl(
        f"{base}/v1beta/models/gemini-2.5-flash:batchGenerateContent", "-X", "POST",
        "-H", f"x-goog-api-key: {api_key}", "-H", "Content-Type:application/json", "-d", create,
    )  # fmt: skip
    operation = json.loads(body)
    assert status == 200 and operation["metadata"]["displayName"] == "my-batch-requests"
    name = operation["name"]
    for _ in range(600):
        operation = json.loads(curl(f"{base}/v1beta/{name}?key={api_key}")[2])
        if operation.get("done"):
            break
        time.sleep(0.05)
    output = operation["metadata"]["output"]["responsesFile"]
    lines = [
        json.loads(line) for line in curl(f"{base}/v1beta/{output}:download?alt=media&key={api_key}")[2].splitlines()
    ]
    assert [line["key"] for line in lines] == ["request-1", "request-2"]
    assert all("response" in line for line in lines), lines

    status, _, body = curl(
        f"{base}/v1beta/models/gemini-2.5-flash:generateContent?key={api_key}", "-H", "Content-Type: application/json",
        "-X", "POST", "-d", "{contents: [{'parts': [{'text': 'Explain how AI works',},],},],}",
    )  # fmt: skip
    assert status == 200 and json.loads(body)["candidates"][0]["content"]["parts"][0]["text"]

    status, _, body = curl(
        f"{base}/v1beta/models/gemini-2.5-flash:generateContent?key={api_key}", "-H", "Content-Type: application/json",
        "-X", "POST", "-d", '{"contents": [] /* a comment */}',
    )  # fmt: skip
    error = json.loads(body)["error"]
    assert (status, error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["message"].startswith("Invalid JSON payload received. Expected , or } after key:value pair.\n")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1beta/batches/some-batch:cancel"),
        ("PUT", "/v1beta/files"),
        ("GET", "/v1beta/models/gemini-2.5-flash:batchGenerateContent"),
        ("POST", "/v1beta/files/abc"),
        ("PATCH", "/v1beta/batches/some-batch"),
    ],
)
def test_a_wrong_method_is_googles_404(live_server: ThreadServer, api_key: str, method: str, path: str) -> None:
    """Google's front end routes on the HTTP verb and the path together, so a verb a path does not
    take is an unknown URL: 404 NOT_FOUND, `The requested URL ... was not found on this server.`,
    HTTP code and status string in agreement (google.rpc.Code has no 405)."""
    status, _, body = curl("-X", method, f"{live_server.url}{path}", "-H", f"x-goog-api-key: {api_key}")
    error = json.loads(body)["error"]
    assert (status, error["code"], error["status"]) == (404, 404, "NOT_FOUND")
    assert error["message"] == f"The requested URL {path} was not found on this server."
