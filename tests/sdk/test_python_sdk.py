"""The official google-genai Python SDK, unchanged, against a real emulator on a loopback port."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest
from google import genai
from google.genai import errors

from tests.sdk.helpers import make_client, request_line, result_lines, wait_done, write_jsonl
from tests.servers import ThreadServer


@pytest.fixture(params=["v1", "v1beta"])
def client(request: pytest.FixtureRequest, live_server: ThreadServer, api_key: str) -> genai.Client:
    return make_client(live_server.url, api_key, request.param)


def test_quickstart_workflow_answers_every_line_in_order(client: genai.Client, tmp_path: Path) -> None:
    lines = [request_line(f"request-{i}", f"Describe thing {i}.") for i in range(5)]
    src = write_jsonl(tmp_path / "batch_requests.jsonl", lines)

    uploaded = client.files.upload(file=src, config={"mime_type": "jsonl"})
    job = client.batches.create(model="gemini-2.5-flash", src=uploaded.name, config={"display_name": "batch_job-1"})
    assert job.name.startswith("batches/")
    assert job.state.name == "JOB_STATE_PENDING"
    assert job.model == "models/gemini-2.5-flash"
    assert job.display_name == "batch_job-1"

    job = wait_done(client, job.name)
    assert job.state.name == "JOB_STATE_SUCCEEDED"
    assert job.end_time is not None and job.end_time >= job.create_time
    results = result_lines(client, job.dest.file_name)
    assert [r["key"] for r in results] == [f"request-{i}" for i in range(5)]
    for r in results:
        candidate = r["response"]["candidates"][0]
        assert candidate["content"]["parts"][0]["text"]
        assert candidate["finishReason"] == "STOP"
        usage = r["response"]["usageMetadata"]
        assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]


def test_env_var_base_url_is_honoured(live_server: ThreadServer, api_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", live_server.url)
    monkeypatch.setenv("GOOGLE_API_KEY", api_key)
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    client = genai.Client()
    uploaded = client.files.upload(file=io.BytesIO(request_line("a", "x").encode()), config={"mime_type": "jsonl"})
    assert client.files.get(name=uploaded.name).size_bytes == uploaded.size_bytes


def test_bad_lines_become_error_lines_and_nothing_is_lost(client: genai.Client, tmp_path: Path) -> None:
    lines = [
        request_line("good-1", "hello"),
        '{"key": "broken", "request": {"contents": [',
        "[1, 2, 3]",
        json.dumps({"key": "no-contents", "request": {}}),
        "",
        json.dumps({"contents": [{"parts": [{"text": "a bare request line"}]}]}),
        request_line("good-2", "world"),
    ]
    uploaded = client.files.upload(file=write_jsonl(tmp_path / "in.jsonl", lines), config={"mime_type": "jsonl"})
    job = wait_done(client, client.batches.create(model="gemini-2.5-flash", src=uploaded.name).name)
    assert job.state.name == "JOB_STATE_SUCCEEDED"  # per-line failures do not fail the batch
    results = result_lines(client, job.dest.file_name)
    assert len(results) == 6  # the blank line is not a request
    assert results[0]["key"] == "good-1" and "response" in results[0]
    assert results[1]["key"] == "broken"  # salvaged from the broken JSON
    assert results[1]["error"]["code"] == 400 and results[1]["error"]["status"] == "INVALID_ARGUMENT"
    assert "not valid JSON" in results[1]["error"]["message"]
    assert "key" not in results[2] and "must be a JSON object" in results[2]["error"]["message"]
    assert results[3]["key"] == "no-contents" and "contents" in results[3]["error"]["message"]
    assert "key" not in results[4] and "response" in results[4]  # bare request: answered, no key
    assert results[5]["key"] == "good-2" and "response" in results[5]


def test_inline_batch_echoes_metadata_and_honours_config(client: genai.Client) -> None:
    job = client.batches.create(
        model="gemini-2.5-flash",
        src=[
            {"contents": [{"parts": [{"text": "hi"}], "role": "user"}], "metadata": {"key": "k1"}},
            {
                "contents": [{"parts": [{"text": "short please"}], "role": "user"}],
                "metadata": {"key": "k2"},
                "config": {"system_instruction": "be brief", "max_output_tokens": 3, "temperature": 0.2},
            },
        ],
        config={"display_name": "inline"},
    )
    job = wait_done(client, job.name)
    assert job.state.name == "JOB_STATE_SUCCEEDED"
    first, second = job.dest.inlined_responses
    assert first.metadata == {"key": "k1"} and first.response.text
    assert second.metadata == {"key": "k2"}
    assert second.response.candidates[0].finish_reason.name == "MAX_TOKENS"
    assert second.response.usage_metadata.candidates_token_count <= 3


def test_same_request_gets_same_answer_in_every_batch(client: genai.Client) -> None:
    src = [{"contents": [{"parts": [{"text": "What is a batch?"}], "role": "user"}]}]
    a = wait_done(client, client.batches.create(model="gemini-2.5-flash", src=src).name)
    b = wait_done(client, client.batches.create(model="gemini-2.5-flash", src=src).name)
    other_model = wait_done(client, client.batches.create(model="gemini-2.5-pro", src=src).name)
    text_a = a.dest.inlined_responses[0].response.text
    assert text_a == b.dest.inlined_responses[0].response.text
    assert text_a != other_model.dest.inlined_responses[0].response.text


def test_embeddings_inline_default_and_chosen_dimensions(client: genai.Client) -> None:
    job = client.batches.create_embeddings(
        model="gemini-embedding-001",
        src={"inlined_requests": {"contents": ["first text", "second text"], "config": {"output_dimensionality": 16}}},
    )
    job = wait_done(client, job.name)
    results = job.dest.inlined_embed_content_responses
    assert [len(r.response.embedding.values) for r in results] == [16, 16]
    assert results[0].response.embedding.values != results[1].response.embedding.values
    full = wait_done(
        client,
        client.batches.create_embeddings(
            model="gemini-embedding-001", src={"inlined_requests": {"contents": ["x"]}}
        ).name,
    )
    values = full.dest.inlined_embed_content_responses[0].response.embedding.values
    assert len(values) == 3072
    assert sum(v * v for v in values) == pytest.approx(1.0, abs=1e-3)


def test_embeddings_from_a_file(client: genai.Client, tmp_path: Path) -> None:
    lines = [
        json.dumps({"key": f"e{i}", "request": {"content": {"parts": [{"text": f"t{i}"}]}, "output_dimensionality": 8}})
        for i in range(3)
    ]
    uploaded = client.files.upload(file=write_jsonl(tmp_path / "emb.jsonl", lines), config={"mime_type": "jsonl"})
    job = wait_done(
        client, client.batches.create_embeddings(model="gemini-embedding-001", src={"file_name": uploaded.name}).name
    )
    assert job.state.name == "JOB_STATE_SUCCEEDED"
    results = result_lines(client, job.dest.file_name)
    assert [r["key"] for r in results] == ["e0", "e1", "e2"]
    assert all(len(r["response"]["embedding"]["values"]) == 8 for r in results)


def test_files_get_list_paging_and_delete(client: genai.Client) -> None:
    names = []
    for i in range(3):
        f = client.files.upload(
            file=io.BytesIO(b"x" * (i + 1)), config={"mime_type": "text/plain", "display_name": f"f{i}"}
        )
        names.append(f.name)
    got = client.files.get(name=names[0])
    assert got.display_name == "f0" and got.size_bytes == 1 and got.mime_type == "text/plain"
    assert got.state.name == "ACTIVE" and got.source.name == "UPLOADED" and got.sha256_hash
    assert got.expiration_time > got.create_time
    listed = [f.name for f in client.files.list(config={"page_size": 1})]
    assert listed == names[::-1]  # newest first, every page followed
    client.files.delete(name=names[1])
    assert [f.name for f in client.files.list()] == [names[2], names[0]]
    with pytest.raises(errors.ClientError) as exc:
        client.files.get(name=names[1])
    assert exc.value.code == 403 and exc.value.status == "PERMISSION_DENIED"


def test_client_chosen_file_name_and_duplicate(client: genai.Client) -> None:
    data = request_line("a", "x").encode()
    f = client.files.upload(file=io.BytesIO(data), config={"mime_type": "jsonl", "name": "my-input-1"})
    assert f.name == "files/my-input-1"
    with pytest.raises(errors.ClientError) as exc:
        client.files.upload(file=io.BytesIO(data), config={"mime_type": "jsonl", "name": "my-input-1"})
    assert exc.value.code == 409 and exc.value.status == "ALREADY_EXISTS"


def test_generated_output_file_downloads_by_file_object(client: genai.Client) -> None:
    uploaded = client.files.upload(file=io.BytesIO(request_line("a", "x").encode()), config={"mime_type": "jsonl"})
    job = wait_done(client, client.batches.create(model="gemini-2.5-flash", src=uploaded.name).name)
    output = client.files.get(name=job.dest.file_name)
    assert output.source.name == "GENERATED" and output.download_uri
    assert output.mime_type == "application/jsonl"
    data = client.files.download(file=output)
    assert len(data) == output.size_bytes and json.loads(data)["key"] == "a"


def test_multi_chunk_upload_keeps_every_byte(client: genai.Client) -> None:
    line = request_line("k", "y" * 1000).encode() + b"\n"
    data = line * (9 * 1024 * 1024 // len(line) + 1)  # > 8 MiB: two chunks
    f = client.files.upload(file=io.BytesIO(data), config={"mime_type": "jsonl"})
    assert f.size_bytes == len(data)
    import base64
    import hashlib

    assert base64.b64decode(f.sha256_hash).decode() == hashlib.sha256(data).hexdigest()


def test_batches_list_pages_newest_first(client: genai.Client) -> None:
    src = [{"contents": [{"parts": [{"text": "hi"}], "role": "user"}]}]
    names = [client.batches.create(model="gemini-2.5-flash", src=src).name for _ in range(5)]
    listed = [b.name for b in client.batches.list(config={"page_size": 2})]
    assert listed == names[::-1]


def test_delete_batch_then_get_is_404(client: genai.Client) -> None:
    src = [{"contents": [{"parts": [{"text": "hi"}], "role": "user"}]}]
    job = wait_done(client, client.batches.create(model="gemini-2.5-flash", src=src).name)
    client.batches.delete(name=job.name)
    with pytest.raises(errors.ClientError) as exc:
        client.batches.get(name=job.name)
    assert exc.value.code == 404 and exc.value.status == "NOT_FOUND"
    assert job.name not in [b.name for b in client.batches.list()]


def test_cancel_finished_batch_changes_nothing(client: genai.Client) -> None:
    src = [{"contents": [{"parts": [{"text": "hi"}], "role": "user"}]}]
    job = wait_done(client, client.batches.create(model="gemini-2.5-flash", src=src).name)
    client.batches.cancel(name=job.name)
    assert client.batches.get(name=job.name).state.name == "JOB_STATE_SUCCEEDED"


def test_errors_have_googles_shape_and_status(client: genai.Client, tmp_path: Path) -> None:
    with pytest.raises(errors.ClientError) as exc:
        client.batches.get(name="batches/doesnotexist")
    assert (exc.value.code, exc.value.status) == (404, "NOT_FOUND")
    with pytest.raises(errors.ClientError) as exc:
        client.files.get(name="files/doesnotexist")
    assert (exc.value.code, exc.value.status) == (403, "PERMISSION_DENIED")
    with pytest.raises(errors.ClientError) as exc:
        client.files.delete(name="files/doesnotexist")
    assert exc.value.code == 403
    with pytest.raises(errors.ClientError) as exc:
        client.files.upload(file=io.BytesIO(b"data"), config={"mime_type": "bad/x"})
    assert exc.value.code == 400 and "Unsupported MIME type" in exc.value.message
    with pytest.raises(errors.ClientError) as exc:
        client.batches.create(model="gemini-2.5-flash", src="files/doesnotexist")
    assert exc.value.code == 403
    image = client.files.upload(file=io.BytesIO(b"\x89PNG"), config={"mime_type": "image/png"})
    with pytest.raises(errors.ClientError) as exc:
        client.batches.create(model="gemini-2.5-flash", src=image.name)
    assert exc.value.code == 400 and "JSON Lines" in exc.value.message
    empty = client.files.upload(file=io.BytesIO(b"\n\n"), config={"mime_type": "jsonl"})
    with pytest.raises(errors.ClientError) as exc:
        client.batches.create(model="gemini-2.5-flash", src=empty.name)
    assert exc.value.code == 400 and "no requests" in exc.value.message


def test_other_api_keys_see_nothing(live_server: ThreadServer, api_key: str) -> None:
    mine = make_client(live_server.url, api_key)
    theirs = make_client(live_server.url, api_key + "-other")
    uploaded = mine.files.upload(file=io.BytesIO(request_line("a", "x").encode()), config={"mime_type": "jsonl"})
    job = mine.batches.create(model="gemini-2.5-flash", src=uploaded.name)
    with pytest.raises(errors.ClientError) as exc:
        theirs.batches.get(name=job.name)
    assert exc.value.code == 404
    with pytest.raises(errors.ClientError) as exc:
        theirs.files.get(name=uploaded.name)
    assert exc.value.code == 403
    assert list(theirs.batches.list()) == [] and list(theirs.files.list()) == []


def test_base_url_with_a_path_prefix(live_server: ThreadServer, api_key: str) -> None:
    client = genai.Client(api_key=api_key, http_options={"base_url": live_server.url + "/some/prefix/"})
    uploaded = client.files.upload(file=io.BytesIO(request_line("a", "x").encode()), config={"mime_type": "jsonl"})
    assert uploaded.uri.startswith(live_server.url + "/some/prefix/")
    job = wait_done(client, client.batches.create(model="gemini-2.5-flash", src=uploaded.name).name)
    assert result_lines(client, job.dest.file_name)[0]["key"] == "a"


def test_empty_file_upload(client: genai.Client) -> None:
    f = client.files.upload(file=io.BytesIO(b""), config={"mime_type": "text/plain"})
    assert f.size_bytes in (0, None)  # proto3 JSON: "0" is still sent by us; the SDK may read it as 0


def test_tuned_model_names_are_kept(live_server: ThreadServer, api_key: str) -> None:
    body = {
        "batch": {"inputConfig": {"requests": {"requests": [{"request": {"contents": [{"parts": [{"text": "x"}]}]}}]}}}
    }
    r = httpx.post(
        f"{live_server.url}/v1beta/tunedModels/my-model:batchGenerateContent",
        json=body,
        headers={"x-goog-api-key": api_key},
    )
    assert r.status_code == 200 and r.json()["metadata"]["model"] == "tunedModels/my-model"


async def test_async_client_end_to_end(live_server: ThreadServer, api_key: str, tmp_path: Path) -> None:
    import asyncio

    client = make_client(live_server.url, api_key).aio
    src = write_jsonl(tmp_path / "in.jsonl", [request_line(f"k{i}", "hi") for i in range(3)])
    uploaded = await client.files.upload(file=src, config={"mime_type": "jsonl"})
    job = await client.batches.create(model="gemini-2.5-flash", src=uploaded.name)
    for _ in range(600):
        job = await client.batches.get(name=job.name)
        if job.done:
            break
        await asyncio.sleep(0.05)
    assert job.state.name == "JOB_STATE_SUCCEEDED"
    data = await client.files.download(file=job.dest.file_name)
    assert [json.loads(line)["key"] for line in data.decode().splitlines()] == ["k0", "k1", "k2"]
    assert [b.name async for b in await client.batches.list()] == [job.name]
    await client.batches.delete(name=job.name)
    await client.files.delete(name=uploaded.name)


pytestmark = pytest.mark.anyio
