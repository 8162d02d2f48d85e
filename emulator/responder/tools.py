"""Tools: when the fake model calls a declared function, and what code execution and grounding look like.

The rule for `tools[].functionDeclarations` with `toolConfig.functionCallingConfig.mode`:

- The latest turn carries a `functionResponse` part → a text answer (the model has its result).
- `NONE` → a text answer.
- `ANY` → always a call. It calls every allowed function the latest user message mentions (below);
  if none is mentioned, the one whose name and description share the most words with the message (the
  first declared on a tie). `allowedFunctionNames` restricts the choice.
- `AUTO` (the default) and `VALIDATED` → a call to every allowed function the latest user message
  mentions, else a text answer. A message mentions a function when it contains its name
  (`get_weather`, any case) or every word of the name but a leading verb such as get, list, find,
  create or send (`weather` for `get_weather`, `current weather` for `getCurrentWeather`).

Arguments are generated from the declaration's `parameters` (OpenAPI subset) or `parametersJsonSchema`,
so they validate against it. Pure: no I/O.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

from emulator.responder.schema import JSON_SCHEMA, OPENAPI, generate_value

# Verbs a function name may start with that a user message need not repeat ("what's the weather?").
LEADING_VERBS = frozenset(
    "get set list fetch find search lookup look query create add update delete remove send make run check "
    "compute calculate read write load save book schedule".split()
)


def declarations(request: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for tool in request.get("tools") or ():
        if isinstance(tool, Mapping):
            for declaration in tool.get("functionDeclarations") or ():
                if isinstance(declaration, Mapping) and isinstance(declaration.get("name"), str):
                    found.append(declaration)
    return found


def has_tool(request: Mapping[str, Any], name: str) -> bool:
    return any(isinstance(tool, Mapping) and name in tool for tool in request.get("tools") or ())


def last_turn_has_function_response(contents: list[Any]) -> bool:
    last = contents[-1] if contents else None
    parts = last.get("parts") if isinstance(last, Mapping) else None
    return any(isinstance(p, Mapping) and "functionResponse" in p for p in parts or ())


def function_responses(contents: list[Any]) -> list[str]:
    last = contents[-1] if contents else None
    names = []
    for part in (last.get("parts") if isinstance(last, Mapping) else None) or ():
        if isinstance(part, Mapping) and isinstance(part.get("functionResponse"), Mapping):
            names.append(str(part["functionResponse"].get("name", "")))
    return names


def choose_calls(request: Mapping[str, Any], user_text: str) -> list[Mapping[str, Any]]:
    """The declarations the model calls for this request (empty: answer with text)."""
    found = declarations(request)
    contents = request.get("contents")
    if not found or (isinstance(contents, list) and last_turn_has_function_response(contents)):
        return []
    config = request.get("toolConfig")
    calling = config.get("functionCallingConfig") if isinstance(config, Mapping) else None
    calling = calling if isinstance(calling, Mapping) else {}
    mode = str(calling.get("mode") or "AUTO").upper()
    if mode == "NONE":
        return []
    allowed = calling.get("allowedFunctionNames")
    if isinstance(allowed, list) and allowed:
        found = [d for d in found if d["name"] in allowed]
    text = user_text.lower()
    mentioned = [d for d in found if _mentions(text, d["name"])]
    if mentioned or mode != "ANY" or not found:
        return mentioned
    words = set(re.findall(r"[a-z0-9]+", text))

    def overlap(declaration: Mapping[str, Any]) -> int:
        about = f"{declaration['name'].replace('_', ' ')} {declaration.get('description') or ''}".lower()
        return len(words & set(re.findall(r"[a-z0-9]+", about)))

    best = max(found, key=overlap)  # max keeps the first of equals
    return [best]


def _mentions(text: str, name: str) -> bool:
    """The message names the function (`get_weather`), or has every word of its name but a leading
    verb (`weather` for `get_weather`, `current` and `weather` for `getCurrentWeather`)."""
    if re.search(rf"(?<![\w]){re.escape(name.lower())}(?![\w])", text):
        return True
    words = name_words(name)
    if len(words) > 1 and words[0] in LEADING_VERBS:
        words = words[1:]
    present = set(re.findall(r"[a-z0-9]+", text))
    return bool(words) and all(word in present for word in words)


def name_words(name: str) -> list[str]:
    """`getCurrentWeather` / `get_current_weather` → ["get", "current", "weather"]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def call_part(declaration: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    """A `functionCall` part whose `args` validate against the declared parameters."""
    args: Any = {}
    if isinstance(declaration.get("parametersJsonSchema"), Mapping):
        args = generate_value(declaration["parametersJsonSchema"], rng, JSON_SCHEMA)
    elif isinstance(declaration.get("parameters"), Mapping):
        args = generate_value(declaration["parameters"], rng, OPENAPI)
    if not isinstance(args, dict):
        args = {"value": args}
    return {"functionCall": {"name": declaration["name"], "args": args}}


def code_execution_parts(answer: str) -> list[dict[str, Any]]:
    """What a model with the code execution tool answers: code, its result, then the text."""
    first = answer.split(". ")[0].rstrip(".") + "."
    return [
        {"text": "Let me compute that."},
        {"executableCode": {"language": "PYTHON", "code": f"print({first!r})\n"}},
        {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": first + "\n"}},
        {"text": answer},
    ]


def grounding_metadata(answer: str, user_text: str, slug: str) -> dict[str, Any]:
    """Plausible `groundingMetadata` for the Google Search tool: one query, one source, one support."""
    first = answer.split(". ")[0]
    query = " ".join(user_text.split()[:12]) or "query"
    uri = f"https://example.com/search/{slug}"
    return {
        "webSearchQueries": [query],
        "groundingChunks": [{"web": {"uri": uri, "title": "example.com"}}],
        "groundingSupports": [
            {
                "segment": {"startIndex": 0, "endIndex": len(first.encode()), "text": first},
                "groundingChunkIndices": [0],
                "confidenceScores": [0.9],
            }
        ],
        "searchEntryPoint": {"renderedContent": f'<div class="emulator-search">{query}</div>'},
    }


def url_context_metadata(user_text: str) -> dict[str, Any] | None:
    urls = re.findall(r"https?://[^\s<>\"')]+", user_text)
    if not urls:
        return None
    return {
        "urlMetadata": [{"retrievedUrl": u, "urlRetrievalStatus": "URL_RETRIEVAL_STATUS_SUCCESS"} for u in urls[:20]]
    }
