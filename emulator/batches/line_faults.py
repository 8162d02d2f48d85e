"""What a line fault does to an answer: a finish reason other than STOP, or a blocked prompt.

Shapes follow what the real service returns: a candidate stopped for SAFETY (or RECITATION, ...)
carries no content and its safety ratings; a blocked prompt has no candidates at all, only
`promptFeedback.blockReason`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.errors import GOOGLE_MESSAGES, Code
from emulator.responder.tokens import content_tokens

_MESSAGES = {
    **GOOGLE_MESSAGES,
    Code.UNAVAILABLE: "The service is currently unavailable.",
    Code.INVALID_ARGUMENT: "Request contains an invalid argument.",
}
_CATEGORIES = (
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
)


def default_message(code: Code) -> str:
    return _MESSAGES.get(code, f"The request failed with {code.name}.")


def prompt_text(request: Mapping[str, Any]) -> str:
    """Every text part of the request (system instruction included), joined by newlines."""
    texts: list[str] = []
    for content in [request.get("systemInstruction"), *(request.get("contents") or [])]:
        if isinstance(content, Mapping):
            texts.extend(
                p["text"]
                for p in content.get("parts") or ()
                if isinstance(p, Mapping) and isinstance(p.get("text"), str)
            )
    return "\n".join(texts)


def _ratings(blocked_category: str | None) -> list[dict[str, Any]]:
    return [
        {
            "category": c,
            "probability": "HIGH" if c == blocked_category else "NEGLIGIBLE",
            **({"blocked": True} if c == blocked_category else {}),
        }
        for c in _CATEGORIES
    ]


def with_finish_reason(response: dict[str, Any], reason: str) -> dict[str, Any]:
    """The answer, stopped for `reason`: cut in half for MAX_TOKENS, without content otherwise."""
    out = dict(response)
    candidates = []
    for candidate in response.get("candidates") or []:
        candidate = dict(candidate)
        candidate["finishReason"] = reason
        if reason == "MAX_TOKENS":
            parts = candidate.get("content", {}).get("parts") or []
            candidate["content"] = {
                **candidate.get("content", {}),
                "parts": [{**p, "text": p["text"][: len(p["text"]) // 2]} if "text" in p else p for p in parts],
            }
        else:
            candidate.pop("content", None)
            if reason == "SAFETY":
                candidate["safetyRatings"] = _ratings(_CATEGORIES[1])
        candidates.append(candidate)
    out["candidates"] = candidates
    if reason != "MAX_TOKENS":
        usage = dict(out.get("usageMetadata") or {})
        usage.pop("candidatesTokenCount", None)
        usage["totalTokenCount"] = usage.get("promptTokenCount", 0)
        out["usageMetadata"] = usage
    return out


def blocked_response(request: Mapping[str, Any], model: str, reason: str) -> dict[str, Any]:
    """A prompt the model refused to answer: no candidates, `promptFeedback.blockReason`."""
    prompt = content_tokens(request.get("contents") or [])
    return {
        "promptFeedback": {"blockReason": reason, "safetyRatings": _ratings(_CATEGORIES[1])},
        "usageMetadata": {"promptTokenCount": prompt, "totalTokenCount": prompt},
        "modelVersion": model.rsplit("/", 1)[-1],
    }
