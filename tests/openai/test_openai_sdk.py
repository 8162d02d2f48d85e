"""The official `openai` Python SDK against the emulator's OpenAI-compatible layer (`/v1beta/openai/`):
files, batches (validation, results, errors, cancel, expiry, paging), chat completions and embeddings,
and the same answers as the native API for the same prompt."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import jsonschema
import openai
import pytest
from google import genai
from google.genai import types
from openai import OpenAI

from emulator.control import EmulatorControl
from tests.servers import ThreadServer

TERMINAL = ("completed", "failed", "expired", "cancelled")
WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["C", "F"]}},
            "required": ["city"],
        },
    },
}


@pytest.fixture
def client(live_server: ThreadServer, api_key: str) -> Iterator[OpenAI]:
    with OpenAI(api_key=api_key, base_url=live_server.url + "/v1beta/openai/", max_retries=0) as client:
        yield client


@pytest.fixture
def control(live_server: ThreadServer) -> Iterator[EmulatorControl]:
    with EmulatorControl(live_server.url) as control:
        yield control


@pytest.fixture
def native(live_server: ThreadServer, api_key: str) -> genai.Client:
    return genai.Client(api_key=api_key, http_options={"base_url": live_server.url})


def chat_line(custom_id: str, text: str, **body: Any) -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": text}], **body},
    }


def upload(client: OpenAI, lines: list[Any]) -> str:
    data = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines).encode()
    return client.files.create(file=("requests.jsonl", data), purpose="batch").id


def wait(client: OpenAI, batch_id: str, until: tuple[str, ...] = TERMINAL) -> openai.types.Batch:
    deadline = time.monotonic() + 20
    while (batch := client.batches.retrieve(batch_id)).status not in until:
        assert time.monotonic() < deadline, batch.status
        time.sleep(0.02)
    return batch


def records(client: OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    assert file_id is not None
    return [json.loads(line) for line in client.files.content(file_id).text.splitlines()]


def test_upload_batch_poll_download(client: OpenAI) -> None:
    input_id = upload(client, [chat_line(f"req-{i}", f"Explain topic {i}.", max_tokens=200) for i in range(4)])
    batch = client.batches.create(
        input_file_id=input_id, endpoint="/v1/chat/completions", completion_window="24h", metadata={"run": "nightly"}
    )
    assert batch.status == "validating" and batch.input_file_id == input_id
    assert batch.request_counts is not None and batch.request_counts.total == 4
    done = wait(client, batch.id)
    assert done.status == "completed" and done.error_file_id is None and done.errors is None
    assert done.request_counts is not None and (done.request_counts.completed, done.request_counts.failed) == (4, 0)
    assert done.metadata == {"run": "nightly"} and done.model == "gemini-2.5-flash"
    assert done.created_at <= (done.in_progress_at or 0) <= (done.finalizing_at or 0) <= (done.completed_at or 0)
    assert done.expires_at == done.created_at + 48 * 3600
    assert done.usage is not None and done.usage.output_tokens > 0
    results = records(client, done.output_file_id)
    assert [r["custom_id"] for r in results] == ["req-0", "req-1", "req-2", "req-3"]
    body = results[0]["response"]["body"]
    assert results[0]["response"]["status_code"] == 200 and results[0]["error"] is None
    completion = openai.types.chat.ChatCompletion.model_validate(body)
    assert completion.choices[0].message.content and completion.choices[0].finish_reason == "stop"
    assert done.usage.input_tokens == sum(r["response"]["body"]["usage"]["prompt_tokens"] for r in results)
    output = client.files.retrieve(done.output_file_id or "")
    assert output.purpose == "batch_output" and output.bytes == len(client.files.content(output.id).content)


def test_batch_answers_are_the_synchronous_answers(client: OpenAI) -> None:
    line = chat_line("only", "Name three rivers.", temperature=0.5)
    batch = client.batches.create(
        input_file_id=upload(client, [line]), endpoint="/v1/chat/completions", completion_window="24h"
    )
    (result,) = records(client, wait(client, batch.id).output_file_id)
    direct = client.chat.completions.create(**line["body"])
    assert result["response"]["body"]["choices"][0]["message"] == direct.choices[0].message.model_dump(
        exclude_none=True
    )


def test_failed_requests_go_to_the_error_file(client: OpenAI, control: EmulatorControl, api_key: str) -> None:
    control.add_fault("line", prompt="(?i)unlucky", status="UNAVAILABLE", api_key=api_key)
    control.add_fault("line", key="retry-*", status=429, api_key=api_key)  # a line rule's key is the custom_id
    lines = [chat_line(f"r{i}", "An unlucky one." if i % 3 == 0 else f"Fine {i}.") for i in range(6)]
    lines.append(chat_line("too-many", "Hi", n=99))  # refused by the model at run time: 400
    lines.append(chat_line("retry-1", "Hi"))
    batch = client.batches.create(
        input_file_id=upload(client, lines), endpoint="/v1/chat/completions", completion_window="24h"
    )
    done = wait(client, batch.id)
    assert done.status == "completed"
    assert done.request_counts is not None and (done.request_counts.completed, done.request_counts.failed) == (4, 4)
    errors = {r["custom_id"]: r for r in records(client, done.error_file_id)}
    assert set(errors) == {"r0", "r3", "too-many", "retry-1"}
    assert errors["retry-1"]["response"]["status_code"] == 429
    assert errors["r0"]["response"]["status_code"] == 503
    assert errors["r0"]["response"]["body"]["error"]["code"] == "UNAVAILABLE"
    assert errors["too-many"]["response"]["status_code"] == 400
    assert [r["custom_id"] for r in records(client, done.output_file_id)] == ["r1", "r2", "r4", "r5"]


def test_a_seeded_error_rate_splits_the_results(client: OpenAI, control: EmulatorControl, api_key: str) -> None:
    control.add_fault("line", rate=0.3, status="INTERNAL", api_key=api_key)
    lines = [chat_line(f"r{i}", f"Question {i}") for i in range(40)]
    batch = client.batches.create(
        input_file_id=upload(client, lines), endpoint="/v1/chat/completions", completion_window="24h"
    )
    done = wait(client, batch.id)
    ok = {r["custom_id"] for r in records(client, done.output_file_id)}
    failed = {r["custom_id"] for r in records(client, done.error_file_id)}
    assert ok.isdisjoint(failed) and ok | failed == {f"r{i}" for i in range(40)}
    assert 0 < len(failed) < 40
    assert done.request_counts is not None and done.request_counts.failed == len(failed)


def test_an_invalid_input_file_fails_validation_with_every_bad_line(client: OpenAI) -> None:
    lines = [
        chat_line("a", "Fine."),
        "{not json",
        "",
        chat_line("a", "Duplicate id."),
        {**chat_line("c", "Wrong url."), "url": "/v1/embeddings"},
        {"custom_id": "d", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": []}},
    ]
    batch = client.batches.create(
        input_file_id=upload(client, lines), endpoint="/v1/chat/completions", completion_window="24h"
    )
    batch = client.batches.retrieve(batch.id)
    assert batch.status == "failed" and batch.failed_at is not None
    assert batch.output_file_id is None and batch.error_file_id is None
    assert batch.errors is not None and batch.errors.data is not None
    found = [(e.line, e.code) for e in batch.errors.data]
    assert found == [
        (2, "invalid_json_line"),
        (4, "duplicate_custom_id"),
        (5, "invalid_url"),
        (6, "missing_required_parameter"),
    ]
    assert batch.request_counts is not None and batch.request_counts.total == 0


def test_cancel_keeps_what_was_answered(client: OpenAI, control: EmulatorControl, api_key: str) -> None:
    control.configure(apiKey=api_key, clock={"mode": "manual"}, latency={"queue_delay": 0, "request_latency": 10})
    lines = [chat_line(f"r{i}", f"Question {i}") for i in range(5)]
    batch = client.batches.create(
        input_file_id=upload(client, lines), endpoint="/v1/chat/completions", completion_window="24h"
    )
    control.advance(seconds=25, api_key=api_key)
    running = client.batches.retrieve(batch.id)
    assert running.status == "in_progress" and running.request_counts is not None
    assert running.request_counts.completed == 2
    cancelling = client.batches.cancel(batch.id)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at is not None
    cancelled = wait(client, batch.id)
    assert cancelled.status == "cancelled" and cancelled.cancelled_at == cancelling.cancelling_at
    assert [r["custom_id"] for r in records(client, cancelled.output_file_id)] == ["r0", "r1"]
    assert cancelled.request_counts is not None and cancelled.request_counts.completed == 2


def test_finalizing_then_completed_and_expired(client: OpenAI, control: EmulatorControl, api_key: str) -> None:
    control.configure(
        apiKey=api_key,
        clock={"mode": "manual"},
        latency={"queue_delay": 0, "request_latency": 0, "batch_overhead": 600},
    )
    slow = client.batches.create(
        input_file_id=upload(client, [chat_line("x", "Hi")]), endpoint="/v1/chat/completions", completion_window="24h"
    )
    control.advance(seconds=1, api_key=api_key)
    assert client.batches.retrieve(slow.id).status == "finalizing"
    control.advance(seconds=600, api_key=api_key)
    assert client.batches.retrieve(slow.id).status == "completed"

    control.configure(apiKey=api_key, latency={"queue_delay": 60 * 3600})  # queued past the 48-hour expiry
    late = client.batches.create(
        input_file_id=upload(client, [chat_line("a", "Hi"), chat_line("b", "Ho")]),
        endpoint="/v1/chat/completions",
        completion_window="24h",
    )
    control.advance(hours=49, api_key=api_key)
    expired = client.batches.retrieve(late.id)
    assert expired.status == "expired" and expired.expired_at == expired.expires_at
    assert expired.output_file_id is None
    errors = records(client, expired.error_file_id)
    assert [(r["custom_id"], r["error"]["code"]) for r in errors] == [("a", "batch_expired"), ("b", "batch_expired")]


def test_a_job_fault_fails_the_batch(client: OpenAI, control: EmulatorControl, api_key: str) -> None:
    control.add_fault("job", outcome="FAILED", message="Quota exceeded.", api_key=api_key)
    batch = client.batches.create(
        input_file_id=upload(client, [chat_line("a", "Hi")]), endpoint="/v1/chat/completions", completion_window="24h"
    )
    failed = wait(client, batch.id)
    assert failed.status == "failed" and failed.errors is not None and failed.errors.data is not None
    assert (failed.errors.data[0].code, failed.errors.data[0].message) == ("internal", "Quota exceeded.")


def test_list_pages_with_after_and_limit(client: OpenAI) -> None:
    input_id = upload(client, [chat_line("a", "Hi")])
    created = [
        client.batches.create(input_file_id=input_id, endpoint="/v1/chat/completions", completion_window="24h").id
        for _ in range(5)
    ]
    newest_first = created[::-1]
    first = client.batches.list(limit=2)
    assert [b.id for b in first.data] == newest_first[:2] and first.has_more
    second = client.batches.list(limit=2, after=first.data[-1].id)
    assert [b.id for b in second.data] == newest_first[2:4]
    assert [b.id for b in client.batches.list(limit=2)] == newest_first  # the SDK's auto-paging
    last = client.batches.list(limit=10, after=newest_first[3])
    assert [b.id for b in last.data] == newest_first[4:] and not last.has_more


def test_files_list_retrieve_delete(client: OpenAI) -> None:
    ids = [upload(client, [chat_line(str(i), "Hi")]) for i in range(3)]
    assert [f.id for f in client.files.list()] == ids[::-1]
    assert [f.id for f in client.files.list(order="asc", limit=2)] == ids
    assert [f.id for f in client.files.list(purpose="batch_output")] == []
    found = client.files.retrieve(ids[0])
    assert (found.filename, found.purpose, found.status) == ("requests.jsonl", "batch", "processed")
    assert json.loads(client.files.content(ids[0]).text)["custom_id"] == "0"
    deleted = client.files.delete(ids[0])
    assert (deleted.id, deleted.deleted) == (ids[0], True)
    with pytest.raises(openai.PermissionDeniedError) as caught:
        client.files.retrieve(ids[0])
    assert caught.value.body == [
        {
            "error": {
                "code": 403,
                "message": f"You do not have permission to access the File {ids[0]} or it may not exist.",
                "status": "PERMISSION_DENIED",
            }
        }
    ]


def test_another_key_sees_nothing(client: OpenAI, live_server: ThreadServer) -> None:
    input_id = upload(client, [chat_line("a", "Hi")])
    batch = client.batches.create(input_file_id=input_id, endpoint="/v1/chat/completions", completion_window="24h")
    with OpenAI(api_key="someone-else", base_url=live_server.url + "/v1beta/openai/", max_retries=0) as other:
        with pytest.raises(openai.NotFoundError):
            other.batches.retrieve(batch.id)
        with pytest.raises(openai.PermissionDeniedError):
            other.files.retrieve(input_id)
        assert all(b.id != batch.id for b in other.batches.list())


def test_bad_requests_are_400s(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.files.create(file=("x.jsonl", b"{}"), purpose="fine-tune")
    input_id = upload(client, [chat_line("a", "Hi")])
    for endpoint in ("/v1/responses", "/v1/completions"):
        with pytest.raises(openai.BadRequestError, match="400"):
            client.batches.create(input_file_id=input_id, endpoint=endpoint, completion_window="24h")
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="gemini-2.5-flash", messages=[{"role": "user", "content": "x"}], n=99)


def test_http_faults_and_the_journal_cover_the_layer(client: OpenAI, control: EmulatorControl, api_key: str) -> None:
    control.add_fault("http", operation="openai.batches.retrieve", status=503, first_n=1, api_key=api_key)
    input_id = upload(client, [chat_line("a", "Hi")])
    batch = client.batches.create(input_file_id=input_id, endpoint="/v1/chat/completions", completion_window="24h")
    with pytest.raises(openai.InternalServerError) as caught:
        client.batches.retrieve(batch.id)
    body: Any = caught.value.body
    assert caught.value.status_code == 503 and body[0]["error"]["status"] == "UNAVAILABLE"
    assert wait(client, batch.id).status == "completed"
    journal = control.requests(api_key=api_key)
    operations = {entry["operation"] for entry in journal}
    assert {"openai.files.create", "openai.batches.create", "openai.batches.retrieve"} <= operations
    assert any(e["status"] == 503 and e["resource"] == f"batches/{batch.id}" for e in journal)


def test_chat_completion_gives_the_native_answer(client: OpenAI, native: genai.Client) -> None:
    messages: Any = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Explain tides."}]
    answer = client.chat.completions.create(model="gemini-2.5-flash", messages=messages)
    same = native.models.generate_content(
        model="gemini-2.5-flash", contents="Explain tides.", config={"system_instruction": "You are terse."}
    )
    assert answer.choices[0].message.content == same.text
    assert answer.usage is not None and same.usage_metadata is not None
    assert answer.usage.prompt_tokens == same.usage_metadata.prompt_token_count
    assert answer.object == "chat.completion" and answer.model == "gemini-2.5-flash"
    limited = client.chat.completions.create(
        model="gemini-2.5-flash", messages=[{"role": "user", "content": "Explain tides."}], max_tokens=3
    )
    assert limited.choices[0].finish_reason == "length"


def test_streaming_concatenates_to_the_answer(client: OpenAI) -> None:
    kwargs: dict[str, Any] = {
        "model": "gemini-2.5-flash",
        "messages": [{"role": "user", "content": "Explain volcanoes."}],
    }
    whole = client.chat.completions.create(**kwargs)
    chunks = list(client.chat.completions.create(**kwargs, stream=True, stream_options={"include_usage": True}))
    assert len(chunks) > 2
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == whole.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage
    with client.chat.completions.stream(**kwargs) as stream:  # the SDK's helper assembles the same answer
        assert stream.get_final_completion().choices[0].message.content == whole.choices[0].message.content


def test_structured_output_follows_the_schema(client: OpenAI, native: genai.Client) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
        "required": ["name", "age"],
        "additionalProperties": False,
    }
    answer = client.chat.completions.create(
        model="gemini-2.5-flash",
        messages=[{"role": "user", "content": "Describe a person."}],
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema, "strict": True}},
    )
    content = answer.choices[0].message.content or ""
    jsonschema.validate(json.loads(content), schema)
    same = native.models.generate_content(
        model="gemini-2.5-flash",
        contents="Describe a person.",
        config={"response_mime_type": "application/json", "response_json_schema": schema},
    )
    assert content == same.text


def test_tools_call_then_answer(client: OpenAI) -> None:
    messages: list[Any] = [{"role": "user", "content": "What's the weather in Paris?"}]
    first = client.chat.completions.create(model="gemini-2.5-flash", messages=messages, tools=[WEATHER])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.tool_calls
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.function.name == "get_weather"
    jsonschema.validate(json.loads(call.function.arguments), WEATHER["function"]["parameters"])
    messages += [
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "18C"},
    ]
    second = client.chat.completions.create(model="gemini-2.5-flash", messages=messages, tools=[WEATHER])
    assert second.choices[0].finish_reason == "stop"
    assert (second.choices[0].message.content or "").startswith("Based on the result of get_weather")
    none = client.chat.completions.create(
        model="gemini-2.5-flash",
        messages=messages[:1],
        tools=[WEATHER],
        tool_choice="none",
    )
    assert none.choices[0].message.tool_calls is None
    streamed = list(
        client.chat.completions.create(model="gemini-2.5-flash", messages=messages[:1], tools=[WEATHER], stream=True)
    )
    deltas = [t for c in streamed for t in c.choices[0].delta.tool_calls or []]
    assert [(t.id, t.function.name if t.function else None) for t in deltas] == [(call.id, "get_weather")]


def test_embeddings_are_the_native_vectors(client: OpenAI, native: genai.Client) -> None:
    floats = client.embeddings.create(
        model="gemini-embedding-001", input=["first text", "second"], dimensions=16, encoding_format="float"
    )
    packed = client.embeddings.create(model="gemini-embedding-001", input=["first text", "second"], dimensions=16)
    same = native.models.embed_content(
        model="gemini-embedding-001", contents="first text", config={"output_dimensionality": 16}
    )
    assert same.embeddings is not None
    assert floats.data[0].embedding == same.embeddings[0].values
    assert [d.index for d in floats.data] == [0, 1] and len(floats.data[1].embedding) == 16
    assert packed.data[0].embedding == pytest.approx(floats.data[0].embedding, rel=1e-6)  # float32 on the wire
    assert floats.usage.prompt_tokens == 3 + 2
    full = client.embeddings.create(model="gemini-embedding-001", input="x", encoding_format="float")
    assert len(full.data[0].embedding) == 3072


def test_embedding_batches(client: OpenAI) -> None:
    lines = [
        {
            "custom_id": f"e{i}",
            "method": "POST",
            "url": "/v1/embeddings",
            "body": {"model": "gemini-embedding-001", "input": f"text {i}", "dimensions": 8},
        }
        for i in range(3)
    ]
    batch = client.batches.create(
        input_file_id=upload(client, lines), endpoint="/v1/embeddings", completion_window="24h"
    )
    done = wait(client, batch.id)
    results = records(client, done.output_file_id)
    direct = client.embeddings.create(
        model="gemini-embedding-001", input="text 1", dimensions=8, encoding_format="float"
    )
    assert results[1]["response"]["body"]["data"][0]["embedding"] == direct.data[0].embedding
    assert [len(r["response"]["body"]["data"][0]["embedding"]) for r in results] == [8, 8, 8]


def test_models_and_other_api_versions(client: OpenAI, live_server: ThreadServer, api_key: str) -> None:
    ids = [m.id for m in client.models.list()]
    assert "models/gemini-2.5-flash" in ids
    assert client.models.retrieve("gemini-2.5-flash").id == "models/gemini-2.5-flash"
    with OpenAI(api_key=api_key, base_url=live_server.url + "/v1/openai/") as v1:
        assert v1.chat.completions.create(
            model="gemini-2.5-flash", messages=[{"role": "user", "content": "Hi"}]
        ).choices


def test_native_batches_stay_out_of_the_openai_list(client: OpenAI, native: genai.Client) -> None:
    src: Any = [{"contents": "Hi"}]
    job = native.batches.create(model="gemini-2.5-flash", src=src)
    assert job.name is not None
    assert list(client.batches.list()) == []
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve(job.name.removeprefix("batches/"))
    native_answer = native.models.generate_content(
        model="gemini-2.5-flash",
        contents="Weather in Paris?",
        config=types.GenerateContentConfig(
            tools=[
                types.Tool(
                    function_declarations=[
                        types.FunctionDeclaration(
                            name="get_weather",
                            description="The current weather in a city.",
                            parameters_json_schema=WEATHER["function"]["parameters"],
                        )
                    ]
                )
            ],
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        ),
    )
    compat = client.chat.completions.create(
        model="gemini-2.5-flash",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER],
    )
    assert native_answer.function_calls is not None and compat.choices[0].message.tool_calls
    call: Any = compat.choices[0].message.tool_calls[0]
    assert json.loads(call.function.arguments) == native_answer.function_calls[0].args
