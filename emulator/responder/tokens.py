"""One token estimator for every count the emulator reports.

Gemini's tokenizer is not public; for English text a token is about four characters. The estimate is
`ceil(characters / 4)` per text, and a fixed 258 tokens per inline or file media part (what Gemini
bills for an image).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MEDIA_PART_TOKENS = 258


def text_tokens(text: str) -> int:
    return (len(text) + 3) // 4


def content_tokens(contents: Iterable[Mapping[str, Any]]) -> int:
    total = 0
    for content in contents:
        if not isinstance(content, Mapping):
            continue
        for part in content.get("parts") or ():
            if not isinstance(part, Mapping):
                continue
            if isinstance(part.get("text"), str):
                total += text_tokens(part["text"])
            elif "inlineData" in part or "fileData" in part:
                total += MEDIA_PART_TOKENS
            else:
                total += text_tokens(str(part))
    return total
