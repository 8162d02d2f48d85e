"""A batch's input tokens, by the estimator `countTokens` and `usageMetadata` use
(emulator.responder.tokens): the prompt of each generate request, the content of each embed request.
Lines that are not valid requests count nothing (they are answered with an error line)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from emulator import googlejson
from emulator.casing import camelize
from emulator.responder.tokens import content_tokens, prompt_tokens


def request_tokens(request: Mapping[str, Any]) -> int:
    """Input tokens of one (camelCase) `GenerateContentRequest` or `EmbedContentRequest`."""
    content = request.get("content")
    if isinstance(content, dict) and "contents" not in request:
        return content_tokens([content])
    return prompt_tokens(request)


def line_tokens(raw: bytes) -> int:
    """Input tokens of one input line: `{"key", "request"}`, `{"request", "metadata"}` or a bare request."""
    obj = _json_object(raw)
    request = None if obj is None else obj.get("request", obj)
    if not isinstance(request, dict):
        return 0
    return request_tokens(camelize(request) if b"_" in raw else request)


def file_tokens(path: Path) -> int:
    """Input tokens of a JSONL input file, a line at a time."""
    with path.open("rb") as f:
        return sum(line_tokens(line) for line in f if line.strip())


def call_tokens(body: bytes) -> int:
    """Input tokens of a synchronous call's body: one request, or `requests` (batchEmbedContents)."""
    obj = _json_object(body)
    if obj is None:
        return 0
    obj = camelize(obj) if b"_" in body else obj
    requests = obj.get("requests")
    if isinstance(requests, list):
        return sum(request_tokens(r) for r in requests if isinstance(r, dict))
    return request_tokens(obj)


def _json_object(raw: bytes) -> dict[str, Any] | None:
    """The JSON object `raw` holds; None if it is not JSON or not an object (then it counts nothing)."""
    try:
        obj = googlejson.loads(raw)  # as the request is read: single quotes and all
    except googlejson.JsonSyntaxError:
        return None
    return obj if isinstance(obj, dict) else None
