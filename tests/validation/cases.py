"""The table of invalid requests (issue 16): each with what the real API answers.

A case is a `generateContent` (or `embedContent`, `countTokens`) body for a model, and the expected
HTTP status, Google status string, field path (`fieldViolations[0].field`; None when the error
has no field violations) and a fragment of the message. The same bodies are sent synchronously,
as inline batch requests and as JSONL file lines (tests/validation/test_table.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TEXT = [{"parts": [{"text": "hi"}]}]
GEMINI = "gemini-2.5-flash"
EMBEDDING = "gemini-embedding-001"


@dataclass(frozen=True)
class Case:
    id: str
    body: dict[str, Any]
    status: int
    code: str
    path: str | None
    message: str
    model: str = GEMINI
    method: str = "generateContent"
    batchable: bool = True  # a body a batch line can carry (generate bodies on a generate model)
    extra: dict[str, Any] = field(default_factory=dict)


def _gen(id: str, body: dict[str, Any], path: str | None, message: str, **kw: Any) -> Case:
    return Case(id, body, 400, "INVALID_ARGUMENT", path, message, **kw)


def _config(**config: Any) -> dict[str, Any]:
    return {"contents": TEXT, "generationConfig": config}


CASES: list[Case] = [
    # unknown names at several depths
    _gen("unknown-top", {"contents": TEXT, "contnets": 1}, "", 'Unknown name "contnets": Cannot find field.'),
    _gen("unknown-part", {"contents": [{"parts": [{"txt": "hi"}]}]}, "contents[0].parts[0]", 'Unknown name "txt"'),
    _gen("unknown-content", {"contents": [{"parts": [{"text": "a"}], "rol": "user"}]}, "contents[0]", '"rol"'),
    _gen("unknown-config", _config(temprature=1), "generation_config", 'Unknown name "temprature"'),
    _gen("unknown-snake-config", _config(max_tokens=5), "generation_config", 'Unknown name "max_tokens"'),
    _gen(
        "unknown-thinking",
        _config(thinkingConfig={"budget": 5}),
        "generation_config.thinking_config",
        'Unknown name "budget"',
    ),
    _gen(
        "unknown-schema-property",
        _config(
            responseMimeType="application/json", responseSchema={"type": "OBJECT", "properties": {"a": {"typ": 1}}}
        ),
        "generation_config.response_schema.properties[0].value",
        'Unknown name "typ"',
    ),
    _gen(
        "unknown-function-parameter",
        {
            "contents": TEXT,
            "tools": [
                {
                    "functionDeclarations": [
                        {"name": "f", "parameters": {"type": "OBJECT", "additionalProperties": False}}
                    ]
                }
            ],
        },
        "tools[0].function_declarations[0].parameters",
        'Unknown name "additionalProperties"',
    ),
    _gen("unknown-safety", {"contents": TEXT, "safetySettings": [{"categry": "x"}]}, "safety_settings[0]", '"categry"'),
    _gen(
        "unknown-inline-data",
        {"contents": [{"parts": [{"inlineData": {"mime": "a", "data": ""}}]}]},
        "contents[0].parts[0].inline_data",
        '"mime"',
    ),
    _gen(
        "unknown-system",
        {"contents": TEXT, "systemInstruction": {"parts": [{"texts": "x"}]}},
        "system_instruction.parts[0]",
        '"texts"',
    ),
    _gen(
        "unknown-tool-config", {"contents": TEXT, "toolConfig": {"mode": "ANY"}}, "tool_config", 'Unknown name "mode"'
    ),
    # wrong types
    _gen("contents-number", {"contents": 197186}, "contents", "Invalid value at 'contents'"),
    _gen("contents-string", {"contents": "hi"}, "contents", "Invalid value at 'contents'"),
    _gen(
        "parts-object",
        {"contents": [{"parts": {"text": "hi"}}]},
        "contents[0].parts",
        "Invalid value at 'contents[0].parts'",
    ),
    _gen("temperature-word", _config(temperature="hot"), "generation_config.temperature", '(TYPE_FLOAT), "hot"'),
    _gen("temperature-bool", _config(temperature=True), "generation_config.temperature", "(TYPE_FLOAT), true"),
    _gen(
        "max-tokens-fraction", _config(maxOutputTokens=1.5), "generation_config.max_output_tokens", "(TYPE_INT32), 1.5"
    ),
    _gen("max-tokens-huge", _config(maxOutputTokens=2**40), "generation_config.max_output_tokens", "(TYPE_INT32)"),
    _gen("text-number", {"contents": [{"parts": [{"text": 5}]}]}, "contents[0].parts[0].text", "(TYPE_STRING), 5"),
    _gen(
        "text-list",
        {"contents": [{"parts": [{"text": ["a"]}]}]},
        "contents[0].parts[0]",
        "Proto field is not repeating, cannot start list.",
    ),
    _gen(
        "text-object",
        {"contents": [{"parts": [{"text": {"a": 1}}]}]},
        "contents[0].parts[0]",
        "(text), Starting an object on a scalar field",
    ),
    _gen("role-number", {"contents": [{"parts": [{"text": "a"}], "role": 1}]}, "contents[0].role", "(TYPE_STRING), 1"),
    _gen("stop-sequences-string", _config(stopSequences=5), "generation_config.stop_sequences", "(TYPE_STRING), 5"),
    _gen(
        "bad-base64",
        {"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "!!!"}}]}]},
        "contents[0].parts[0].inline_data.data",
        "Base64 decoding failed",
    ),
    _gen("config-list", {"contents": TEXT, "generationConfig": [1]}, "", "Proto field is not repeating"),
    # bad enums
    _gen(
        "bad-harm-category",
        {"contents": TEXT, "safetySettings": [{"category": "HARM_X", "threshold": "BLOCK_NONE"}]},
        "safety_settings[0].category",
        'HarmCategory), "HARM_X"',
    ),
    _gen(
        "bad-threshold",
        {"contents": TEXT, "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "NEVER"}]},
        "safety_settings[0].threshold",
        '"NEVER"',
    ),
    _gen(
        "bad-schema-type",
        _config(responseMimeType="application/json", responseSchema={"type": "null"}),
        "generation_config.response_schema.type",
        'Type), "null"',
    ),
    _gen("bad-modality", _config(responseModalities=["SMELL"]), "generation_config.response_modalities[0]", '"SMELL"'),
    _gen(
        "bad-thinking-level",
        _config(thinkingConfig={"thinkingLevel": "EXTREME"}),
        "generation_config.thinking_config.thinking_level",
        '"EXTREME"',
    ),
    # oneof conflicts
    _gen(
        "two-data",
        {"contents": [{"parts": [{"text": "a", "inlineData": {"mimeType": "x", "data": ""}}]}]},
        "contents[0].parts[0]",
        "oneof field 'data' is already set. Cannot set 'inlineData'",
    ),
    _gen(
        "text-and-file",
        {"contents": [{"parts": [{"text": "a", "fileData": {"fileUri": "files/x"}}]}]},
        "contents[0].parts[0]",
        "Cannot set 'fileData'",
    ),
    # semantic checks
    _gen("no-contents", {}, None, "* GenerateContentRequest.contents: contents is not specified"),
    _gen("empty-contents", {"contents": []}, None, "contents is not specified"),
    _gen("empty-parts", {"contents": [{"parts": []}]}, None, "contents[0].parts: contents.parts must not be empty."),
    _gen("no-parts", {"contents": [{"role": "user"}]}, None, "contents.parts must not be empty."),
    _gen(
        "empty-part",
        {"contents": [{"parts": [{}]}]},
        None,
        "required oneof field 'data' must have one initialized field",
    ),
    _gen(
        "empty-text", {"contents": [{"parts": [{"text": ""}]}]}, None, "contents[0].parts[0].data: required oneof field"
    ),
    _gen(
        "bad-role",
        {"contents": [{"parts": [{"text": "a"}], "role": "assistant"}]},
        None,
        "Please use a valid role: user, model.",
    ),
    _gen("system-role", {"contents": [{"parts": [{"text": "a"}], "role": "system"}]}, None, "Please use a valid role"),
    _gen("max-tokens-over-limit", _config(maxOutputTokens=70000), None, "maxOutputTokens value of 70000"),
    _gen("max-tokens-zero", _config(maxOutputTokens=0), None, "maxOutputTokens value of 0"),
    _gen("candidates-over-limit", _config(candidateCount=9), None, "candidateCount value of 9"),
    _gen(
        "candidates-gemini-3",
        _config(candidateCount=2),
        None,
        "Multiple candidates is not enabled",
        model="gemini-3-flash-preview",
    ),
    _gen(
        "both-schemas",
        _config(
            responseMimeType="application/json",
            responseSchema={"type": "STRING"},
            responseJsonSchema={"type": "string"},
        ),
        None,
        "response_schema must be omitted",
    ),
    _gen("bad-mime", _config(responseMimeType="text/csv"), None, "allowed mimetypes are text/plain, application/json"),
    _gen(
        "thinking-on-2.0",
        _config(thinkingConfig={"thinkingBudget": 100}),
        None,
        "thinking_config is not supported.",
        model="gemini-2.0-flash",
    ),
    _gen(
        "thoughts-on-2.0",
        _config(thinkingConfig={"includeThoughts": True}),
        None,
        "Thinking is not enabled for models/gemini-2.0-flash",
        model="gemini-2.0-flash",
    ),
    _gen(
        "level-on-2.5",
        _config(thinkingConfig={"thinkingLevel": "LOW"}),
        None,
        "Thinking level is not supported for this model.",
    ),
    _gen(
        "budget-0-on-pro",
        _config(thinkingConfig={"thinkingBudget": 0}),
        None,
        "Budget 0 is invalid",
        model="gemini-2.5-pro",
    ),
    # models
    Case(
        "unknown-model",
        {"contents": TEXT},
        404,
        "NOT_FOUND",
        None,
        "models/gemini-9.9-ultra-typo is not found for API version v1beta, or is not supported for generateContent. "
        "Call ListModels",
        model="gemini-9.9-ultra-typo",
    ),
    Case(
        "embedding-model-for-generate",
        {"contents": TEXT},
        404,
        "NOT_FOUND",
        None,
        "models/gemini-embedding-001 is not found for API version v1beta, or is not supported for generateContent",
        model=EMBEDDING,
    ),
    # embeddings
    _gen(
        "embed-unknown-name",
        {"content": {"parts": [{"text": "a"}]}, "taskType": "RETRIEVAL_QUERY", "dims": 3},
        "",
        'Unknown name "dims"',
        model=EMBEDDING,
        method="embedContent",
    ),
    _gen(
        "embed-bad-task",
        {"content": {"parts": [{"text": "a"}]}, "taskType": "SEARCH"},
        "task_type",
        '"SEARCH"',
        model=EMBEDDING,
        method="embedContent",
    ),
    _gen(
        "embed-dimensions-over",
        {"content": {"parts": [{"text": "a"}]}, "outputDimensionality": 4096},
        None,
        "outputDimensionality value of 4096",
        model=EMBEDDING,
        method="embedContent",
    ),
    _gen(
        "embed-no-content",
        {},
        None,
        "* EmbedContentRequest.content: content is not specified",
        model=EMBEDDING,
        method="embedContent",
    ),
    _gen(
        "embed-empty-part",
        {"content": {"parts": [{"text": ""}]}},
        None,
        "EmbedContentRequest.content contains an empty Part.",
        model=EMBEDDING,
        method="embedContent",
    ),
    Case(
        "generate-model-for-embed",
        {"content": {"parts": [{"text": "a"}]}},
        404,
        "NOT_FOUND",
        None,
        "models/gemini-2.5-flash is not found for API version v1beta, or is not supported for embedContent",
        method="embedContent",
    ),
    # countTokens
    _gen(
        "count-unknown-name",
        {"contents": TEXT, "model": "x", "extra": 1},
        "",
        'Unknown name "extra"',
        method="countTokens",
        batchable=False,
    ),
    _gen(
        "count-empty",
        {"contents": []},
        None,
        "* CountTokensRequest.contents: contents is not specified",
        method="countTokens",
        batchable=False,
    ),
]
