"""Embeddings ↔ `embedContent`: one native request per input text. Pure.

`input` (a string or a list of strings) → one `EmbedContentRequest` per text,
`{"content": {"parts": [{"text": ...}]}}`, with `dimensions` → `outputDimensionality`: the request a
google-genai `embed_content(model, contents=text, config={"output_dimensionality": d})` sends, so the
vectors are the native ones. Token-id inputs are refused (Gemini embeds text). `encoding_format:
base64` packs each vector as little-endian float32, which is what the `openai` Python SDK asks for by
default and decodes.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from emulator.errors import InvalidArgument
from emulator.openai.chat import model_id, model_name
from emulator.responder.tokens import text_tokens


def inputs(body: Mapping[str, Any], where: str = "") -> list[str]:
    value = body.get("input")
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not texts:
        raise InvalidArgument(f"{where}input is required: a string or a non-empty list of strings.")
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise InvalidArgument(
                f"{where}input[{index}]: only text can be embedded here (token-id arrays are not supported)."
            )
        if not text:
            raise InvalidArgument(f"{where}input[{index}] must not be empty.")
    return texts


def dimensions(body: Mapping[str, Any], where: str = "") -> int | None:
    value = body.get("dimensions")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidArgument(f"{where}dimensions must be a positive integer.")
    return value


def encoding(body: Mapping[str, Any], where: str = "") -> str:
    value = body.get("encoding_format") or "float"
    if value not in ("float", "base64"):
        raise InvalidArgument(f"{where}encoding_format must be float or base64, not {value!r}.")
    return str(value)


def native_request(text: str, dims: int | None) -> dict[str, Any]:
    request: dict[str, Any] = {"content": {"parts": [{"text": text}]}}
    if dims is not None:
        request["outputDimensionality"] = dims
    return request


def to_native(body: Mapping[str, Any]) -> tuple[list[tuple[dict[str, Any], str]], list[str], str]:
    """(native requests with their model, the input texts, the encoding asked for)."""
    model = model_name(body.get("model"))
    texts = inputs(body)
    dims = dimensions(body)
    return [(native_request(text, dims), model) for text in texts], texts, encoding(body)


def vector(values: list[float], encoding_format: str) -> list[float] | str:
    if encoding_format == "base64":
        return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()
    return values


def response(
    answers: Sequence[Mapping[str, Any]], texts: list[str], model: str, encoding_format: str = "float"
) -> dict[str, Any]:
    """A `CreateEmbeddingResponse` for native `EmbedContentResponse`s (`{"embedding": {"values"}}`)."""
    tokens = sum(text_tokens(text) for text in texts)
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": index, "embedding": vector(answer["embedding"]["values"], encoding_format)}
            for index, answer in enumerate(answers)
        ],
        "model": model_id(model),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
