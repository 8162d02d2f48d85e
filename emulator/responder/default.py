"""The default fake model: readable, deterministic text and embeddings.

Text is drawn from a fixed vocabulary by a byte stream derived from a digest of (seed, model, canonical
request); its length follows `maxOutputTokens` (a cut answer ends with `finishReason: MAX_TOKENS`).
Embeddings are unit vectors of the model's dimension, derived from the same kind of digest.
"""

from __future__ import annotations

import array
import base64
import hashlib
import math
from collections.abc import Mapping
from typing import Any

import orjson

from emulator.errors import InvalidArgument
from emulator.ids import stable_digest
from emulator.responder import RequestInfo
from emulator.responder.tokens import content_tokens, text_tokens

_WORDS = (
    "the a batch model answer request result data test value system output input line record job queue "
    "response token review summary report analysis context example detail feature option process step "
    "clear simple quick careful useful brief complete stable early final main small large new first next "
    "is are was shows gives returns takes makes keeps uses finds needs helps checks builds runs moves "
    "and or but so then also still often never always here there today later again together instead "
    "of in on for with from about into over after before under between through across within without"
).split()

_EMBEDDING_DIMENSIONS = {"gemini-embedding": 3072, "text-embedding": 768, "embedding": 768, "text-multilingual": 768}
_DEFAULT_EMBEDDING_DIMENSION = 768


def embedding_dimension(model: str) -> int:
    """3072 for `gemini-embedding-*`, 768 for the older embedding models and anything else."""
    model_id = model.rsplit("/", 1)[-1]
    for prefix, dim in _EMBEDDING_DIMENSIONS.items():
        if model_id.startswith(prefix):
            return dim
    return _DEFAULT_EMBEDDING_DIMENSION


def canonical_request(request: Mapping[str, Any]) -> bytes:
    """The request as sorted, compact JSON: the same request spelt differently hashes the same."""
    return orjson.dumps(request, option=orjson.OPT_SORT_KEYS)


class DefaultResponder:
    def __init__(self, seed: int) -> None:
        self.seed = seed

    def configure(self, rules: list[dict[str, Any]]) -> None:
        if rules:
            raise InvalidArgument("This responder takes no rules.")

    def _digest(self, request: Mapping[str, Any], model: str) -> bytes:
        return stable_digest(str(self.seed), model, canonical_request(request))

    def generate(self, request: Mapping[str, Any], info: RequestInfo) -> dict[str, Any]:
        model = info.model
        contents = request.get("contents")
        if not isinstance(contents, list) or not contents:
            raise InvalidArgument("* GenerateContentRequest.contents: contents is not specified")
        digest = self._digest(request, model)
        config = request.get("generationConfig") or {}
        max_tokens = config.get("maxOutputTokens") if isinstance(config, Mapping) else None
        text = _sentences(digest)
        finish = "STOP"
        if isinstance(max_tokens, int | str) and str(max_tokens).isdigit() and text_tokens(text) > int(max_tokens):
            text = text[: max(0, int(max_tokens)) * 4].rstrip()
            finish = "MAX_TOKENS"
        prompt = content_tokens(contents)
        system = request.get("systemInstruction")
        if isinstance(system, Mapping):
            prompt += content_tokens([system])
        out = text_tokens(text)
        return {
            "candidates": [
                {"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": finish, "index": 0}
            ],
            "usageMetadata": {"promptTokenCount": prompt, "candidatesTokenCount": out, "totalTokenCount": prompt + out},
            "modelVersion": model.rsplit("/", 1)[-1],
            "responseId": base64.urlsafe_b64encode(digest[16:32]).decode().rstrip("="),
        }

    def embed(self, request: Mapping[str, Any], info: RequestInfo) -> dict[str, Any]:
        model = info.model
        content = request.get("content")
        if not isinstance(content, Mapping) or not content.get("parts"):
            raise InvalidArgument("* EmbedContentRequest.content: content is not specified")
        dim = embedding_dimension(model)
        wanted = request.get("outputDimensionality")
        if wanted is not None:
            if not str(wanted).isdigit() or not 1 <= int(wanted) <= dim:
                raise InvalidArgument(f"* EmbedContentRequest.output_dimensionality: must be between 1 and {dim}.")
            dim = int(wanted)
        return {"embedding": {"values": _unit_vector(self._digest(request, model), dim)}}


def _sentences(digest: bytes) -> str:
    """Two to four sentences of 6-14 words, every choice read from a stream derived from `digest`
    (cheaper than seeding a `random.Random` per request: this runs once per batch line)."""
    stream = hashlib.shake_256(digest).digest(64)
    count = 2 + stream[0] % 3
    sentences = []
    at = 1 + count
    for i in range(count):
        length = 6 + stream[1 + i] % 9
        words = [_WORDS[b % len(_WORDS)] for b in stream[at : at + length]]
        at += length
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def _unit_vector(digest: bytes, dim: int) -> list[float]:
    raw = array.array("h", hashlib.shake_256(digest).digest(2 * dim))
    norm = math.sqrt(sum(v * v for v in raw)) or 1.0
    return [round(v / norm, 6) for v in raw]
