"""Request parsing and response shaping for the synchronous model endpoints. Pure: no I/O.

Bodies are camelized once (the SDKs mix casings); responses go out in lowerCamelCase. A streamed
answer is the synchronous answer cut into chunks whose texts concatenate back to it exactly, so
`generate_content_stream` and `generate_content` agree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from emulator.casing import camelize
from emulator.errors import InvalidArgument
from emulator.responder.prompt import FILE_URI
from emulator.responder.tokens import prompt_tokens

WORDS_PER_CHUNK = 8


def model_name(model: str) -> str:
    """`gemini-2.5-flash` → `models/gemini-2.5-flash`; `models/...` and `tunedModels/...` stay."""
    return model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"


def parse_generate(body: Mapping[str, Any], path_model: str) -> tuple[dict[str, Any], str]:
    """The camelized `GenerateContentRequest` and the full model name it is for (a `model` in the body
    is dropped, as batch lines drop it, so both paths hash the same request)."""
    request: dict[str, Any] = camelize(dict(body))
    request.pop("model", None)
    return request, model_name(path_model)


def parse_embed(body: Mapping[str, Any], path_model: str) -> tuple[dict[str, Any], str]:
    request: dict[str, Any] = camelize(dict(body))
    model = request.pop("model", None)
    return request, model_name(model) if isinstance(model, str) and model else model_name(path_model)


def parse_batch_embed(body: Mapping[str, Any], path_model: str) -> list[tuple[dict[str, Any], str]]:
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        raise InvalidArgument("* BatchEmbedContentsRequest.requests: requests is not specified")
    parsed = []
    for index, item in enumerate(requests):
        if not isinstance(item, Mapping):
            raise InvalidArgument(f"* BatchEmbedContentsRequest.requests[{index}]: must be an object.")
        parsed.append(parse_embed(item, path_model))
    return parsed


def count_tokens(body: Mapping[str, Any]) -> dict[str, Any]:
    """`countTokens`: the prompt as `generateContent` would count it (`promptTokenCount`), for
    `contents` or a whole `generateContentRequest`."""
    request = camelize(dict(body))
    inner = request.get("generateContentRequest")
    if isinstance(inner, Mapping):
        request = inner
    contents = request.get("contents")
    if not isinstance(contents, list):
        raise InvalidArgument("* CountTokensRequest.contents: contents is not specified")
    total = prompt_tokens(request)
    return {"totalTokens": total, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": total}]}


def file_uris(request: Mapping[str, Any]) -> list[str]:
    """The `fileData.fileUri`s that name uploaded files (`files/<id>` or a URI ending in it)."""
    uris = []
    for content in request.get("contents") or ():
        if isinstance(content, Mapping):
            for part in content.get("parts") or ():
                data = part.get("fileData") if isinstance(part, Mapping) else None
                uri = data.get("fileUri") if isinstance(data, Mapping) else None
                if isinstance(uri, str) and FILE_URI.search(uri):
                    uris.append(uri)
    return uris


def file_name(uri: str) -> str:
    match = FILE_URI.search(uri)
    return f"files/{match.group(1)}" if match else uri


def stream_chunks(response: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The response as stream chunks: text cut every few words, other parts whole, one candidate per
    chunk; each chunk carries `modelVersion` and `responseId`, the last of a candidate its
    `finishReason`, and the very last the full `usageMetadata`."""
    common = {k: response[k] for k in ("modelVersion", "responseId") if k in response}
    usage = response.get("usageMetadata") or {}
    prompt = usage.get("promptTokenCount", 0)
    candidates = response.get("candidates") or []
    pieces: list[tuple[dict[str, Any], bool]] = []
    for position, candidate in enumerate(candidates):
        parts = (candidate.get("content") or {}).get("parts") or []
        cuts: list[dict[str, Any] | None] = [piece for part in parts for piece in _cut(part)]
        cuts = cuts or [None]
        tail = {k: v for k, v in candidate.items() if k not in ("content", "index")}
        for at, piece in enumerate(cuts):
            chunk: dict[str, Any] = {"index": candidate.get("index", position)}
            if piece is not None:
                chunk["content"] = {"parts": [piece], "role": "model"}
            last = at == len(cuts) - 1
            if last:
                chunk.update(tail)
            pieces.append((chunk, last and position == len(candidates) - 1))
    if not pieces:
        yield {**response}
        return
    for chunk, final in pieces:
        out: dict[str, Any] = {"candidates": [chunk]}
        out["usageMetadata"] = usage if final else {"promptTokenCount": prompt, "totalTokenCount": prompt}
        out.update(common)
        yield out


def _cut(part: Mapping[str, Any]) -> list[dict[str, Any]]:
    text = part.get("text")
    if not isinstance(text, str) or not text:
        return [dict(part)]
    words = text.split(" ")
    extra = {k: v for k, v in part.items() if k != "text"}
    pieces = []
    for start in range(0, len(words), WORDS_PER_CHUNK):
        piece = " ".join(words[start : start + WORDS_PER_CHUNK])
        if start + WORDS_PER_CHUNK < len(words):
            piece += " "
        pieces.append({"text": piece, **extra})
    return pieces


def sse_event(chunk: Mapping[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(chunk) + b"\r\n\r\n"
