"""The OpenAI layer's pure parts: the chat ↔ generateContent mapping, batch lines, the multipart reader."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import orjson
import pytest

from emulator.batches.models import BatchKind
from emulator.errors import InvalidArgument
from emulator.openai import batch_lines, chat
from emulator.openai.multipart import MultipartReader, boundary_of

CHAT = "/v1/chat/completions"


def test_messages_map_to_contents_and_system_instruction() -> None:
    request, model = chat.to_native(
        {
            "model": "gemini-2.5-flash",
            "messages": [
                {"role": "system", "content": "Be terse."},
                {"role": "developer", "content": [{"type": "text", "text": "No lists."}]},
                {"role": "user", "content": "Weather in Paris and Rome?"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                        },
                        {
                            "id": "c2",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'},
                        },
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": '{"temp": 20}'},
                {"role": "tool", "tool_call_id": "c2", "content": "sunny"},
            ],
            "max_tokens": 50,
            "stop": "END",
            "temperature": 0.2,
        }
    )
    assert model == "models/gemini-2.5-flash"
    assert request["systemInstruction"] == {"parts": [{"text": "Be terse."}, {"text": "No lists."}], "role": "user"}
    user, assistant, answers = request["contents"]
    assert user == {"parts": [{"text": "Weather in Paris and Rome?"}], "role": "user"}
    assert assistant["role"] == "model"
    assert [p["functionCall"] for p in assistant["parts"]] == [
        {"name": "get_weather", "args": {"city": "Paris"}},
        {"name": "get_weather", "args": {"city": "Rome"}},
    ]
    assert answers == {
        "parts": [
            {"functionResponse": {"name": "get_weather", "response": {"temp": 20}}},
            {"functionResponse": {"name": "get_weather", "response": {"content": "sunny"}}},
        ],
        "role": "user",
    }
    assert request["generationConfig"] == {"maxOutputTokens": 50, "stopSequences": ["END"], "temperature": 0.2}


def test_media_parts_tools_and_formats() -> None:
    request, _ = chat.to_native(
        {
            "model": "models/gemini-2.5-pro",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "Compare."},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
                        {"type": "input_audio", "input_audio": {"data": "UklGR", "format": "wav"}},
                        {"type": "file", "file": {"file_id": "file-abc"}},
                    ],
                }
            ],
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
            "tool_choice": {"type": "function", "function": {"name": "f"}},
            "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
            "reasoning_effort": "low",
        }
    )
    parts = request["contents"][0]["parts"]
    assert parts[1] == {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}
    assert parts[2] == {"fileData": {"fileUri": "https://example.com/cat.jpg", "mimeType": "image/jpeg"}}
    assert parts[3] == {"inlineData": {"mimeType": "audio/wav", "data": "UklGR"}}
    assert parts[4] == {"fileData": {"fileUri": "files/file-abc"}}
    assert request["tools"] == [{"functionDeclarations": [{"name": "f", "parametersJsonSchema": {"type": "object"}}]}]
    assert request["toolConfig"] == {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["f"]}}
    assert request["generationConfig"] == {
        "responseMimeType": "application/json",
        "responseJsonSchema": {"type": "object"},
        "thinkingConfig": {"thinkingBudget": 1024},
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"messages": [{"role": "user", "content": "x"}]}, "model is required"),
        ({"model": "m", "messages": []}, "messages is required"),
        ({"model": "m", "messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        ({"model": "m", "messages": [{"role": "tool", "tool_call_id": "nope", "content": "x"}]}, "tool_call_id"),
        ({"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0}, "max_tokens"),
        ({"model": "m", "messages": [{"role": "user", "content": "x"}], "response_format": {"type": "xml"}}, "xml"),
    ],
)
def test_invalid_chat_bodies_are_refused_with_the_field(body: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message.replace("[", r"\[").replace("]", r"\]")):
        chat.to_native(body)


def test_completion_from_a_native_response() -> None:
    response = {
        "candidates": [
            {
                "content": {
                    "parts": [
                        {"text": "hidden", "thought": True},
                        {"text": "Hello"},
                        {"functionCall": {"name": "f", "args": {"a": 1}}},
                    ],
                    "role": "model",
                },
                "finishReason": "STOP",
                "index": 0,
            },
            {"finishReason": "SAFETY", "index": 1},
        ],
        "usageMetadata": {
            "promptTokenCount": 3,
            "candidatesTokenCount": 4,
            "thoughtsTokenCount": 5,
            "totalTokenCount": 12,
        },
        "modelVersion": "gemini-2.5-flash",
        "responseId": "rid",
    }
    out = chat.completion(response, "models/gemini-2.5-flash", 7)
    first, second = out["choices"]
    assert first["message"]["content"] == "Hello" and first["finish_reason"] == "tool_calls"
    assert first["message"]["tool_calls"][0]["function"] == {"name": "f", "arguments": '{"a":1}'}
    assert second == {
        "index": 1,
        "message": {"role": "assistant", "content": None},
        "finish_reason": "content_filter",
        "logprobs": None,
    }
    assert out["usage"] == {
        "prompt_tokens": 3,
        "completion_tokens": 9,
        "total_tokens": 12,
        "completion_tokens_details": {"reasoning_tokens": 5},
    }
    streamed = list(chat.chunks(response, "models/gemini-2.5-flash", 7, include_usage=True))
    assert streamed[-1]["choices"] == [] and streamed[-1]["usage"] == out["usage"]
    calls = [c for chunk in streamed for ch in chunk["choices"] for c in ch["delta"].get("tool_calls", [])]
    assert calls[0]["id"] == first["message"]["tool_calls"][0]["id"]
    blocked = chat.completion({"promptFeedback": {"blockReason": "SAFETY"}}, "models/m", 0)
    assert blocked["choices"][0]["finish_reason"] == "content_filter"


def _line(custom_id: object = "a", url: str = CHAT, body: object = None, method: str = "POST") -> bytes:
    body = body if body is not None else {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "Hi"}]}
    return orjson.dumps({"custom_id": custom_id, "method": method, "url": url, "body": body})


def test_a_valid_line_becomes_a_native_line_with_its_model() -> None:
    native = batch_lines.convert_line(_line(url="/chat/completions"), 1, CHAT, set())
    assert isinstance(native, batch_lines.NativeLine)
    assert orjson.loads(native.data) == {
        "key": "a",
        "request": {"contents": [{"parts": [{"text": "Hi"}], "role": "user"}], "model": "models/gemini-2.5-flash"},
    }


@pytest.mark.parametrize(
    ("raw", "code", "param"),
    [
        (b"{not json", "invalid_json_line", None),
        (b"[1]", "invalid_json_line", None),
        (_line(custom_id=None), "missing_required_parameter", "custom_id"),
        (_line(method="GET"), "invalid_value", "method"),
        (_line(url="/v1/embeddings"), "invalid_url", "url"),
        (_line(body={"messages": [{"role": "user", "content": "x"}]}), "missing_required_parameter", "body.model"),
        (_line(body={"model": "m", "messages": "x"}), "missing_required_parameter", "body.messages"),
        (
            _line(body={"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True}),
            "invalid_value",
            "body.stream",
        ),
    ],
)
def test_invalid_lines_are_reported_with_code_and_line(raw: bytes, code: str, param: str | None) -> None:
    error = batch_lines.convert_line(raw, 7, CHAT, set())
    assert isinstance(error, batch_lines.LineError)
    assert (error.code, error.line, error.param) == (code, 7, param)


def test_duplicate_custom_ids_and_multi_input_embeddings_are_invalid() -> None:
    seen: set[str] = set()
    assert isinstance(batch_lines.convert_line(_line(), 1, CHAT, seen), batch_lines.NativeLine)
    duplicate = batch_lines.convert_line(_line(), 2, CHAT, seen)
    assert isinstance(duplicate, batch_lines.LineError) and duplicate.code == "duplicate_custom_id"
    body = {"model": "gemini-embedding-001", "input": ["a", "b"]}
    error = batch_lines.convert_line(_line(url="/v1/embeddings", body=body), 3, "/v1/embeddings", set())
    assert isinstance(error, batch_lines.LineError) and error.param == "body.input"


def test_results_zip_inputs_with_outputs_and_expire_the_rest() -> None:
    import io

    inputs = [
        orjson.dumps({"key": k, "request": {"model": "models/gemini-2.5-flash", "contents": []}}) + b"\n"
        for k in ("a", "b", "c")
    ]
    ok = {"candidates": [{"content": {"parts": [{"text": "Hi"}]}, "finishReason": "STOP"}], "responseId": "r"}
    outputs = [
        orjson.dumps({"key": "a", "response": ok}),
        orjson.dumps({"key": "b", "error": {"code": 503, "message": "busy", "status": "UNAVAILABLE"}}),
    ]
    out, err = io.BytesIO(), io.BytesIO()
    tally = batch_lines.convert_results(
        iter(inputs), iter(outputs), kind=BatchKind.GENERATE, batch_id="b1", created=5, expired=True, out=out, err=err
    )
    (success,) = [orjson.loads(x) for x in out.getvalue().splitlines()]
    failed, expired = [orjson.loads(x) for x in err.getvalue().splitlines()]
    assert success["custom_id"] == "a" and success["error"] is None
    assert (
        success["response"]["status_code"] == 200
        and success["response"]["body"]["choices"][0]["message"]["content"] == "Hi"
    )
    assert failed["response"]["status_code"] == 503 and failed["response"]["body"]["error"]["code"] == "UNAVAILABLE"
    assert expired == {"id": expired["id"], "custom_id": "c", "response": None, "error": expired["error"]}
    assert expired["error"]["code"] == "batch_expired"
    assert (tally.completed, tally.failed) == (1, 2)
    assert len({success["id"], failed["id"], expired["id"]}) == 3


def _form(boundary: str, purpose_first: bool, content: bytes) -> bytes:
    purpose = f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'.encode()
    file = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="in.jsonl"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + b"\r\n"
    )
    parts = purpose + file if purpose_first else file + purpose
    return b"preamble\r\n" + parts + f"--{boundary}--\r\n".encode()


async def _read(body: bytes, boundary: str, sizes: random.Random) -> dict[str, object]:
    async def stream() -> AsyncIterator[bytes]:
        at = 0
        while at < len(body):
            step = sizes.randint(1, 40)
            yield body[at : at + step]
            at += step

    reader = MultipartReader(stream(), boundary_of(f"multipart/form-data; boundary={boundary}"))
    found: dict[str, object] = {}
    async for part in reader.parts():
        if part.name == "file":
            found["file"] = (part.filename, b"".join([piece async for piece in reader.content()]))
        else:
            found[part.name] = await reader.field()
    return found


@pytest.mark.anyio
@pytest.mark.parametrize("purpose_first", [True, False])
async def test_multipart_parts_in_any_order_and_any_chunking(purpose_first: bool) -> None:
    rng = random.Random(4)
    boundary = "----b0und"
    for _ in range(50):
        content = bytes(rng.choice(b"ab\r\n-") for _ in range(rng.randint(0, 300))) + b"\r\n------b0un"
        found = await _read(_form(boundary, purpose_first, content), boundary, rng)
        assert found == {"purpose": "batch", "file": ("in.jsonl", content)}


@pytest.mark.anyio
async def test_multipart_refuses_a_truncated_body_and_other_content_types() -> None:
    body = _form("xyz", True, b"data")[:-12]
    with pytest.raises(InvalidArgument, match="ended before"):
        await _read(body, "xyz", random.Random(1))
    with pytest.raises(InvalidArgument, match="multipart/form-data"):
        boundary_of("application/json")
