"""The default fake model, unit by unit: pure and fast, no server."""

from __future__ import annotations

import math
from typing import Any

import pytest

from emulator.errors import InvalidArgument, PermissionDenied
from emulator.responder import FileInfo, RequestInfo
from emulator.responder.default import DefaultResponder
from emulator.responder.tokens import MEDIA_PART_TOKENS, prompt_tokens, text_tokens

INFO = RequestInfo(model="models/gemini-2.5-flash")


def ask(text: str = "Tell me about batches.", **config: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": text}]}]}
    if config:
        request["generationConfig"] = config
    return request


def texts(answer: dict[str, Any], index: int = 0) -> list[str]:
    return [p["text"] for p in answer["candidates"][index]["content"]["parts"] if "text" in p and not p.get("thought")]


def test_default_answer_has_usage_version_and_id() -> None:
    answer = DefaultResponder(0).generate(ask(), INFO)
    (text,) = texts(answer)
    usage = answer["usageMetadata"]
    assert usage["candidatesTokenCount"] == text_tokens(text)
    assert usage["promptTokenCount"] == prompt_tokens(ask())
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    assert "thoughtsTokenCount" not in usage
    assert answer["modelVersion"] == "gemini-2.5-flash" and answer["responseId"]
    assert answer["candidates"][0]["finishReason"] == "STOP"


def test_candidate_count_gives_distinct_indexed_candidates() -> None:
    answer = DefaultResponder(0).generate(ask(candidateCount=3), INFO)
    assert [c["index"] for c in answer["candidates"]] == [0, 1, 2]
    assert len({texts(answer, i)[0] for i in range(3)}) == 3
    total = sum(text_tokens(texts(answer, i)[0]) for i in range(3))
    assert answer["usageMetadata"]["candidatesTokenCount"] == total
    with pytest.raises(InvalidArgument, match="candidate_count"):
        DefaultResponder(0).generate(ask(candidateCount=9), INFO)


def test_stop_sequences_cut_before_the_first_one() -> None:
    full = texts(DefaultResponder(0, "echo").generate(ask("one two. three four. five"), INFO))[0]
    assert full == "one two. three four. five"
    cut = DefaultResponder(0, "echo").generate(ask("one two. three four. five", stopSequences=["four", "two"]), INFO)
    assert texts(cut) == ["one "] and cut["candidates"][0]["finishReason"] == "STOP"


def test_max_output_tokens_truncates_with_max_tokens() -> None:
    answer = DefaultResponder(0).generate(ask(maxOutputTokens=3), INFO)
    (text,) = texts(answer)
    assert text_tokens(text) <= 3 and answer["candidates"][0]["finishReason"] == "MAX_TOKENS"


def test_thinking_budget_reports_thoughts_and_include_thoughts_adds_a_thought_part() -> None:
    answer = DefaultResponder(0).generate(ask(thinkingConfig={"thinkingBudget": 50, "includeThoughts": True}), INFO)
    usage = answer["usageMetadata"]
    assert 0 < usage["thoughtsTokenCount"] <= 50
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"] + 50 or (
        usage["totalTokenCount"]
        == usage["promptTokenCount"] + usage["candidatesTokenCount"] + usage["thoughtsTokenCount"]
    )
    parts = answer["candidates"][0]["content"]["parts"]
    assert parts[0]["thought"] is True and "thought" not in parts[1]
    off = DefaultResponder(0).generate(ask(thinkingConfig={"thinkingBudget": 0, "includeThoughts": True}), INFO)
    assert "thoughtsTokenCount" not in off["usageMetadata"]


def test_thoughts_count_against_max_output_tokens() -> None:
    answer = DefaultResponder(0).generate(ask(maxOutputTokens=20, thinkingConfig={"thinkingBudget": 20}), INFO)
    assert texts(answer) == [""] and answer["candidates"][0]["finishReason"] == "MAX_TOKENS"


def test_echo_and_fixed_modes() -> None:
    request = {
        "contents": [
            {"role": "user", "parts": [{"text": "first"}]},
            {"role": "model", "parts": [{"text": "x"}]},
            {"role": "user", "parts": [{"text": "second"}]},
        ]
    }
    assert texts(DefaultResponder(0, "echo").generate(request, INFO)) == ["second"]
    assert texts(DefaultResponder(0, "fixed", "OK").generate(request, INFO)) == ["OK"]


def test_files_are_mentioned_and_missing_uploads_are_refused() -> None:
    files = {"files/abc": FileInfo("files/abc", "image/png", 1234)}
    info = RequestInfo(model="models/m", files=lambda uri: files.get("files/" + uri.rsplit("/", 1)[-1]))
    request: dict[str, Any] = {
        "contents": [
            {
                "parts": [
                    {"fileData": {"fileUri": "http://h/v1beta/files/abc", "mimeType": "image/png"}},
                    {"inlineData": {"mimeType": "text/plain", "data": "aGVsbG8="}},
                    {"text": "describe"},
                ]
            }
        ]
    }
    answer = DefaultResponder(0).generate(request, info)
    assert texts(answer)[0].startswith("File files/abc (image/png, 1234 bytes). Inline data (text/plain, 5 bytes).")
    assert answer["usageMetadata"]["promptTokenCount"] == 2 * MEDIA_PART_TOKENS + text_tokens("describe")
    request["contents"][0]["parts"][0]["fileData"]["fileUri"] = "files/gone"
    with pytest.raises(PermissionDenied, match="gone"):
        DefaultResponder(0).generate(request, info)
    # Without a lookup (or for other URIs) the part is accepted as is.
    assert (
        "gs://b/x.png"
        in texts(
            DefaultResponder(0).generate({"contents": [{"parts": [{"fileData": {"fileUri": "gs://b/x.png"}}]}]}, info)
        )[0]
    )


WEATHER = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "parameters": {
        "type": "OBJECT",
        "properties": {"city": {"type": "STRING"}, "days": {"type": "INTEGER", "minimum": 1, "maximum": 7}},
        "required": ["city"],
    },
}
STOCKS = {
    "name": "get_stock_price",
    "description": "Stock price",
    "parametersJsonSchema": {
        "type": "object",
        "properties": {"ticker": {"type": "string", "pattern": "^[A-Z]{3,4}$"}},
        "required": ["ticker"],
    },
}


def with_tools(text: str, mode: str | None = None, **calling: Any) -> dict[str, Any]:
    request: dict[str, Any] = {**ask(text), "tools": [{"functionDeclarations": [WEATHER, STOCKS]}]}
    if mode:
        request["toolConfig"] = {"functionCallingConfig": {"mode": mode, **calling}}
    return request


def calls(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [p["functionCall"] for p in answer["candidates"][0]["content"]["parts"] if "functionCall" in p]


def test_auto_calls_functions_the_message_mentions() -> None:
    (call,) = calls(DefaultResponder(0).generate(with_tools("What's the weather in Paris?"), INFO))
    assert call["name"] == "get_weather" and isinstance(call["args"]["city"], str)
    assert 1 <= call["args"].get("days", 1) <= 7
    both = calls(DefaultResponder(0).generate(with_tools("weather, and the stock price of ACME"), INFO))
    assert [c["name"] for c in both] == ["get_weather", "get_stock_price"]
    assert calls(DefaultResponder(0).generate(with_tools("Tell me a joke"), INFO)) == []


def test_any_always_calls_the_best_matching_allowed_function() -> None:
    (call,) = calls(DefaultResponder(0).generate(with_tools("how is ACME trading? stock?", "ANY"), INFO))
    assert call["name"] == "get_stock_price" and len(call["args"]["ticker"]) in (3, 4)
    (call,) = calls(DefaultResponder(0).generate(with_tools("joke", "ANY", allowedFunctionNames=["get_weather"]), INFO))
    assert call["name"] == "get_weather"
    assert calls(DefaultResponder(0).generate(with_tools("weather", "NONE"), INFO)) == []


def test_a_function_response_gets_a_text_answer() -> None:
    request = with_tools("weather in Paris?", "ANY")
    request["contents"] += [
        {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"sky": "clear"}}}]},
    ]
    answer = DefaultResponder(0).generate(request, INFO)
    assert calls(answer) == [] and texts(answer)[0].startswith("Based on the result of get_weather:")


def test_code_execution_and_search_tools_get_well_formed_parts() -> None:
    request = {**ask("compute it"), "tools": [{"codeExecution": {}}, {"googleSearch": {}}]}
    candidate = DefaultResponder(0).generate(request, INFO)["candidates"][0]
    kinds = [next(iter(p)) for p in candidate["content"]["parts"]]
    assert kinds == ["text", "executableCode", "codeExecutionResult", "text"]
    assert candidate["content"]["parts"][2]["codeExecutionResult"]["outcome"] == "OUTCOME_OK"
    grounding = candidate["groundingMetadata"]
    assert grounding["webSearchQueries"] == ["compute it"] and grounding["groundingChunks"][0]["web"]["uri"]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def embed(text: str, **extra: Any) -> list[float]:
    request = {"content": {"parts": [{"text": text}]}, **extra}
    values: list[float] = DefaultResponder(0).embed(request, RequestInfo(model="models/gemini-embedding-001"))[
        "embedding"
    ]["values"]
    return values


def test_embeddings_are_unit_length_and_shared_words_are_closer() -> None:
    cat = embed("The cat sat on the mat")
    assert len(cat) == 3072 and math.isclose(cosine(cat, cat), 1.0, abs_tol=1e-4)
    near = embed("A cat on a mat")
    far = embed("Quarterly revenue grew in Europe")
    assert cosine(cat, near) > 0.4 > 0.2 > cosine(cat, far)
    assert len(embed("x", outputDimensionality=8)) == 8


def test_task_type_changes_the_vector_but_queries_still_find_documents() -> None:
    query = embed("cat mat", taskType="RETRIEVAL_QUERY")
    document = embed("the cat on the mat", taskType="RETRIEVAL_DOCUMENT", title="cats")
    other = embed("stock market report", taskType="RETRIEVAL_DOCUMENT")
    assert cosine(query, document) > cosine(query, other) + 0.3
    assert embed("cat mat", taskType="CLUSTERING") != embed("cat mat", taskType="CLASSIFICATION")
    with pytest.raises(InvalidArgument, match="task_type"):
        embed("x", taskType="NOT_A_TASK")
