"""One token estimator for every count the emulator reports (`usageMetadata`, `countTokens`).

Gemini's tokenizer is not public; for English text a token is about four characters. The estimate is
`ceil(characters / 4)` per text, and a fixed 258 tokens per inline or file media part (what Gemini
bills for an image). Function calls and responses count as their compact JSON. A prompt is the
request's `contents` plus its `systemInstruction`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

MEDIA_PART_TOKENS = 258


def text_tokens(text: str) -> int:
    return (len(text) + 3) // 4


def part_tokens(part: Mapping[str, Any]) -> int:
    text = part.get("text")
    if isinstance(text, str):
        return text_tokens(text)
    if "inlineData" in part or "fileData" in part:
        return MEDIA_PART_TOKENS
    for field in ("functionCall", "functionResponse", "executableCode", "codeExecutionResult"):
        if field in part:
            return text_tokens(orjson.dumps(part[field]).decode())
    return text_tokens(str(part))


def content_tokens(contents: Iterable[Mapping[str, Any]]) -> int:
    return _scan(contents)[0]


def prompt_tokens(request: Mapping[str, Any]) -> int:
    """The prompt of a camelized `GenerateContentRequest` (or `CountTokensRequest` contents)."""
    return scan_prompt(request)[0]


def scan_prompt(request: Mapping[str, Any]) -> tuple[int, int]:
    """(prompt tokens, number of media parts) in one pass: the responder's hot path needs both."""
    contents = request.get("contents")
    tokens, media = _scan(contents) if isinstance(contents, list) else (0, 0)
    system = request.get("systemInstruction")
    if isinstance(system, dict):
        tokens += _scan([system])[0]
    return tokens, media


def _scan(contents: Iterable[Any]) -> tuple[int, int]:
    total = media = 0
    for content in contents:
        if not isinstance(content, dict):
            continue
        for part in content.get("parts") or ():
            if not isinstance(part, dict):
                continue
            text = part.get("text")
            if isinstance(text, str):
                total += (len(text) + 3) // 4
            elif "inlineData" in part or "fileData" in part:
                total += MEDIA_PART_TOKENS
                media += 1
            else:
                total += part_tokens(part)
    return total, media
