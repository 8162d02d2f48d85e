"""The fake model's answers through the real google-genai SDK, parsed by the SDK's own machinery
(`response.parsed`, `function_calls`, streaming, pagers), synchronously and in batches."""

from __future__ import annotations

import enum
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path

import httpx
import jsonschema
import pytest
from google import genai
from google.genai import errors, types
from pydantic import BaseModel

from emulator import Settings
from tests.sdk.helpers import make_client, wait_done
from tests.servers import ThreadServer, thread_server

MODEL = "gemini-2.5-flash"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "responses"


class Ingredient(BaseModel):
    name: str
    grams: int | None = None


class Recipe(BaseModel):
    title: str
    servings: int
    ingredients: list[Ingredient]
    vegetarian: bool


class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"
    NEUTRAL = "neutral"


@pytest.fixture
def client(live_server: ThreadServer, api_key: str) -> genai.Client:
    return make_client(live_server.url, api_key)


def test_pydantic_schema_is_parsed_by_the_sdk(client: genai.Client) -> None:
    config: types.GenerateContentConfigDict = {
        "response_mime_type": "application/json",
        "response_schema": list[Recipe],
    }
    response = client.models.generate_content(model=MODEL, contents="Two recipes, please.", config=config)
    assert isinstance(response.parsed, list) and response.parsed
    assert all(isinstance(recipe, Recipe) for recipe in response.parsed)
    again = client.models.generate_content(model=MODEL, contents="Two recipes, please.", config=config)
    assert again.text == response.text  # deterministic


def test_enum_answers_parse_to_the_enum(client: genai.Client) -> None:
    config: types.GenerateContentConfigDict = {"response_mime_type": "text/x.enum", "response_schema": Mood}
    response = client.models.generate_content(model=MODEL, contents="How do you feel?", config=config)
    assert isinstance(response.parsed, Mood)


def test_json_schema_answers_validate(client: genai.Client) -> None:
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "score": {"type": "number", "minimum": 0, "maximum": 1},
            "labels": {"type": "array", "items": {"enum": ["a", "b"]}, "minItems": 1, "maxItems": 2},
        },
        "required": ["id", "score", "labels"],
    }
    config: types.GenerateContentConfigDict = {"response_mime_type": "application/json", "response_json_schema": schema}
    response = client.models.generate_content(model=MODEL, contents="Score it.", config=config)
    jsonschema.validate(response.parsed, schema)


def get_weather(city: str, unit: str = "celsius") -> dict[str, str]:
    """Current weather for a city."""
    return {"city": city, "sky": "clear", "unit": unit}


def test_forced_function_calls_validate_against_the_declaration(client: genai.Client) -> None:
    declaration = types.FunctionDeclaration(
        name="book_flight",
        description="Book a flight",
        parameters=types.Schema(
            type=types.Type.OBJECT,
            properties={
                "origin": types.Schema(type=types.Type.STRING),
                "seats": types.Schema(type=types.Type.INTEGER, minimum=1, maximum=9),
                "class": types.Schema(type=types.Type.STRING, enum=["economy", "business"]),
            },
            required=["origin", "seats", "class"],
        ),
    )
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[declaration])],
        tool_config=types.ToolConfig(
            function_calling_config=types.FunctionCallingConfig(mode=types.FunctionCallingConfigMode.ANY)
        ),
    )
    response = client.models.generate_content(model=MODEL, contents="Get me to Rome.", config=config)
    (call,) = response.function_calls or []
    assert call.name == "book_flight" and call.args is not None
    assert 1 <= call.args["seats"] <= 9 and call.args["class"] in ("economy", "business")


def test_automatic_function_calling_round_trip(client: genai.Client) -> None:
    config = types.GenerateContentConfig(tools=[get_weather])
    response = client.models.generate_content(model=MODEL, contents="What's the weather in Oslo?", config=config)
    assert response.text is not None and response.text.startswith("Based on the result of get_weather:")
    history = response.automatic_function_calling_history or []
    assert any(p.function_call and p.function_call.name == "get_weather" for c in history for p in c.parts or [])


def test_count_tokens_matches_prompt_token_count(client: genai.Client) -> None:
    contents = ["A fairly long prompt about batch processing.", "And a second part."]
    counted = client.models.count_tokens(model=MODEL, contents=contents)
    response = client.models.generate_content(model=MODEL, contents=contents)
    assert response.usage_metadata is not None
    assert counted.total_tokens == response.usage_metadata.prompt_token_count


def test_candidates_thinking_and_stop_sequences(client: genai.Client) -> None:
    config = types.GenerateContentConfig(
        candidate_count=2, thinking_config=types.ThinkingConfig(thinking_budget=128, include_thoughts=True)
    )
    response = client.models.generate_content(model=MODEL, contents="Think about it.", config=config)
    assert len(response.candidates or []) == 2
    usage = response.usage_metadata
    assert usage is not None and usage.thoughts_token_count and usage.thoughts_token_count <= 256
    assert usage.total_token_count == (
        (usage.prompt_token_count or 0) + (usage.candidates_token_count or 0) + usage.thoughts_token_count
    )
    parts = response.candidates[0].content.parts  # type: ignore[index, union-attr]
    assert parts is not None and parts[0].thought is True


def test_stream_concatenates_to_the_synchronous_answer(client: genai.Client) -> None:
    config: types.GenerateContentConfigDict = {"candidate_count": 1, "max_output_tokens": 400}
    whole = client.models.generate_content(model=MODEL, contents="Stream me.", config=config)
    chunks = list(client.models.generate_content_stream(model=MODEL, contents="Stream me.", config=config))
    assert len(chunks) > 1
    assert "".join(chunk.text or "" for chunk in chunks) == whole.text
    assert chunks[-1].usage_metadata == whole.usage_metadata
    assert chunks[-1].candidates[0].finish_reason == whole.candidates[0].finish_reason  # type: ignore[index]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_embeddings_through_the_sdk(client: genai.Client) -> None:
    texts = ["The cat sat on the mat.", "A cat on a mat.", "Quarterly revenue grew."]
    result = client.models.embed_content(
        model="gemini-embedding-001", contents=texts, config={"task_type": "SEMANTIC_SIMILARITY"}
    )
    vectors = [e.values or [] for e in result.embeddings or []]
    assert [len(v) for v in vectors] == [3072] * 3
    assert all(math.isclose(cosine(v, v), 1.0, abs_tol=1e-4) for v in vectors)
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2])
    small = client.models.embed_content(model="text-embedding-004", contents="x", config={"output_dimensionality": 16})
    assert len((small.embeddings or [])[0].values or []) == 16


def test_models_list_and_get(client: genai.Client) -> None:
    names = [m.name for m in client.models.list()]
    assert "models/gemini-2.5-flash" in names and "models/gemini-embedding-001" in names
    model = client.models.get(model=MODEL)
    assert model.display_name == "Gemini 2.5 Flash" and model.input_token_limit == 1_048_576
    with pytest.raises(errors.ClientError) as caught:
        client.models.get(model="no-such-model")
    assert caught.value.code == 404


def test_same_request_same_answer_synchronously_and_in_a_batch(client: genai.Client) -> None:
    configs: list[types.GenerateContentConfigDict] = [
        {},
        {"system_instruction": "Be brief.", "temperature": 0.2, "max_output_tokens": 30},
        {"response_mime_type": "application/json", "response_schema": Recipe},
    ]
    sync = [
        client.models.generate_content(model=MODEL, contents=f"Prompt {i}", config=c) for i, c in enumerate(configs)
    ]
    inlined: list[types.InlinedRequestDict] = [
        {"contents": [{"parts": [{"text": f"Prompt {i}"}], "role": "user"}], "config": c} for i, c in enumerate(configs)
    ]
    job = wait_done(client, client.batches.create(model=MODEL, src=inlined).name or "")
    assert job.dest is not None and job.dest.inlined_responses is not None
    batch = [r.response for r in job.dest.inlined_responses]
    for one, other in zip(sync, batch, strict=True):
        assert other is not None
        assert other.text == one.text
        assert other.usage_metadata == one.usage_metadata
        assert other.response_id == one.response_id
    assert batch[2] is not None and Recipe.model_validate_json(batch[2].text or "")


def test_uploaded_files_reach_the_model(client: genai.Client) -> None:
    uploaded = client.files.upload(file=io.BytesIO(b"\x89PNG fake image bytes"), config={"mime_type": "image/png"})
    part = types.Part.from_uri(file_uri=uploaded.uri or "", mime_type="image/png")
    response = client.models.generate_content(model=MODEL, contents=[part, "What is in this picture?"])
    assert f"File {uploaded.name} (image/png, {uploaded.size_bytes} bytes)." in (response.text or "")
    missing = types.Part.from_uri(file_uri="files/doesnotexist", mime_type="image/png")
    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model=MODEL, contents=[missing, "and this?"])
    assert caught.value.code == 403 and caught.value.status == "PERMISSION_DENIED"


def test_stream_without_alt_sse_is_a_json_array(live_server: ThreadServer, api_key: str) -> None:
    body = {"contents": [{"parts": [{"text": "hi"}]}]}
    url = f"{live_server.url}/v1beta/models/{MODEL}:streamGenerateContent"
    answer = httpx.post(url, json=body, headers={"x-goog-api-key": api_key}).json()
    assert isinstance(answer, list) and answer[-1]["candidates"][0]["finishReason"] == "STOP"


# -- scripted answers on a server of their own (rules are per emulator) -----------------------------
@pytest.fixture(scope="module")
def scripted_server() -> Iterator[ThreadServer]:
    settings = Settings(data_dir=None, port=0, responses=FIXTURES / "examples.toml")
    with thread_server(settings) as server:
        yield server


def test_rule_file_answers_and_errors(scripted_server: ThreadServer, api_key: str) -> None:
    client = make_client(scripted_server.url, api_key)
    assert client.models.generate_content(model=MODEL, contents="hello there").text == "Hello! How can I help?"
    pirate = client.models.generate_content(
        model=MODEL, contents="Hi?", config={"system_instruction": "Talk like a pirate"}
    )
    assert pirate.text == "Arr, that be a fine question."
    lines = [{"key": f"flaky-{i}", "request": {"contents": [{"parts": [{"text": "x"}]}]}} for i in range(2)]
    lines.append({"key": "fine", "request": {"contents": [{"parts": [{"text": "x"}]}]}})
    data = io.BytesIO("\n".join(json.dumps(line) for line in lines).encode())
    uploaded = client.files.upload(file=data, config={"mime_type": "jsonl"})
    job = wait_done(client, client.batches.create(model=MODEL, src=uploaded.name or "").name or "")
    results = [json.loads(x) for x in client.files.download(file=job.dest.file_name or "").decode().splitlines()]  # type: ignore[union-attr]
    assert [("error" in r, r.get("error", {}).get("code")) for r in results] == [
        (True, 429),
        (True, 429),
        (False, None),
    ]


def test_rules_can_be_replaced_at_run_time(scripted_server: ThreadServer, api_key: str) -> None:
    client = make_client(scripted_server.url, api_key)
    rules = [{"match": {"model": "gemini-2.5-pro"}, "error": {"status": "UNAVAILABLE"}}]
    try:
        put = httpx.put(f"{scripted_server.url}/_emulator/responses", json={"rules": rules})
        assert put.status_code == 200, put.text
        with pytest.raises(errors.ServerError) as caught:
            client.models.generate_content(model="gemini-2.5-pro", contents="hello")
        assert caught.value.code == 503
        assert client.models.generate_content(model=MODEL, contents="hello").text != "Hello! How can I help?"
        bad = httpx.put(f"{scripted_server.url}/_emulator/responses", json={"rules": [{"txt": "typo"}]})
        assert bad.status_code == 400 and "rules[0]" in bad.json()["error"]["message"]
    finally:
        scripted_server.emulator.responder.reset()  # type: ignore[attr-defined]
    assert client.models.generate_content(model=MODEL, contents="hello").text == "Hello! How can I help?"
