"""Reading a camelized request: its user text, system text and media parts. Pure helpers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# "files/abc", or any URI whose path ends in /files/abc (ours or generativelanguage.googleapis.com).
FILE_URI = re.compile(r"(?:^|/)files/([a-z0-9][a-z0-9-]*)$")


def texts_of(content: Any) -> Iterable[str]:
    if isinstance(content, Mapping):
        for part in content.get("parts") or ():
            if isinstance(part, Mapping) and isinstance(part.get("text"), str) and not part.get("thought"):
                yield part["text"]


def user_text(contents: Any) -> str:
    """Every text part of every user turn (role `user` or none), joined by newlines."""
    if not isinstance(contents, list):
        return ""
    return "\n".join(
        text
        for content in contents
        if isinstance(content, Mapping) and content.get("role", "user") in ("user", None)
        for text in texts_of(content)
    )


def last_user_text(contents: Any) -> str:
    """The text of the latest user turn: what `echo` repeats and function mentions are read from."""
    if not isinstance(contents, list):
        return ""
    for content in reversed(contents):
        if isinstance(content, Mapping) and content.get("role", "user") in ("user", None):
            return "\n".join(texts_of(content))
    return ""


def system_text(request: Mapping[str, Any]) -> str:
    return "\n".join(texts_of(request.get("systemInstruction")))


def media_parts(contents: Any) -> list[Mapping[str, Any]]:
    """The `inlineData` and `fileData` parts, in order (usually none: callers check this first)."""
    found: list[Mapping[str, Any]] = []
    if isinstance(contents, list):
        for content in contents:
            if isinstance(content, Mapping):
                for part in content.get("parts") or ():
                    if isinstance(part, Mapping) and ("fileData" in part or "inlineData" in part):
                        found.append(part)
    return found


def inline_size(data: Any) -> int:
    """Decoded size of base64 `inlineData.data` (standard or URL-safe), without decoding it."""
    if not isinstance(data, str):
        return 0
    stripped = data.strip().rstrip("=")
    return len(stripped) * 3 // 4
