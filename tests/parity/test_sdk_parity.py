"""Google's own samples, through google-genai unchanged, reproduce the real service's recorded answers.

Each test quotes the real answer it reproduces and where it was recorded (the cookbook notebook
quickstarts/Batch_mode.ipynb, whose saved cell outputs came from the real service).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from google import genai

from tests.sdk.helpers import make_client, request_line, result_lines, wait_done, write_jsonl
from tests.servers import ThreadServer


@pytest.fixture
def client(live_server: ThreadServer, api_key: str) -> genai.Client:
    return make_client(live_server.url, api_key, "v1beta")


def test_list_omits_inline_results_and_get_keeps_them(client: genai.Client, tmp_path: Path) -> None:
    """Batch_mode.ipynb, "List Recent Jobs": "The list API currently doesn't return inlined_responses";
    the saved output prints no Type line for an inline job, so its `dest` is None in the list, while
    a file job lists `dest.file_name`."""
    inline = client.batches.create(
        model="gemini-2.5-flash",
        src=[{"contents": [{"parts": [{"text": "Write a short poem about a cloud."}]}]}],
        config={"display_name": "my-batch-job-inline-example"},
    )
    uploaded = client.files.upload(
        file=write_jsonl(tmp_path / "in.jsonl", [request_line("request_1", "hi")]), config={"mime_type": "jsonl"}
    )
    from_file = client.batches.create(model="gemini-2.5-flash", src=uploaded.name)
    wait_done(client, inline.name)
    wait_done(client, from_file.name)

    listed = {job.name: job for job in client.batches.list(config={"page_size": 10}).page}
    assert listed[inline.name].state.name == "JOB_STATE_SUCCEEDED"
    assert listed[inline.name].dest is None
    assert listed[from_file.name].dest is not None
    assert listed[from_file.name].dest.file_name == f"files/batch-{from_file.name.removeprefix('batches/')}"

    full = client.batches.get(name=inline.name)
    assert full.dest is not None and full.dest.inlined_responses is not None
    assert len(full.dest.inlined_responses) == 1 and full.dest.inlined_responses[0].response.text


def test_embedding_result_lines_carry_token_count(client: genai.Client, tmp_path: Path) -> None:
    """Batch_mode.ipynb, "Batch embeddings", the real result file:
    {"response":{"tokenCount":"1","embedding":{"values":[-0.034119852,0.0025719088,0.017325249]}},"key":"request_1"}
    """
    src = tmp_path / "embeddings_batch_requests.jsonl"
    src.write_text(
        '{"key": "request_1", "request": {"output_dimensionality": 3, "content": {"parts": [{"text": "1"}]}}}\n'
        '{"key": "request_2", "request": {"output_dimensionality": 4, "content": {"parts": [{"text": "2"}]}}}\n'
    )
    uploaded = client.files.upload(file=src, config={"mime_type": "jsonl"})
    job = client.batches.create_embeddings(model="gemini-embedding-001", src={"file_name": uploaded.name})
    job = wait_done(client, job.name)
    assert job.state.name == "JOB_STATE_SUCCEEDED"
    raw = client.files.download(file=job.dest.file_name).decode()
    lines = [json.loads(line) for line in raw.splitlines()]
    assert [line["key"] for line in lines] == ["request_1", "request_2"]
    for line, dim in zip(lines, (3, 4), strict=True):
        assert list(line) == ["response", "key"]
        assert list(line["response"]) == ["tokenCount", "embedding"]
        assert line["response"]["tokenCount"] == "1"  # int64: a string
        assert len(line["response"]["embedding"]["values"]) == dim
    assert raw.splitlines()[0].startswith('{"response":{"tokenCount":"1","embedding":{"values":[')
    assert result_lines(client, job.dest.file_name) == lines
