"""Embeddings by feature hashing: texts that share words point the same way.

Each lowercased word of the text (and, for `RETRIEVAL_DOCUMENT`, of the `title`) adds ±1 to a few
dimensions chosen by a hash of the word, so cosine similarity grows with the words two texts share and
unrelated texts come out nearly orthogonal. A small fixed component per `taskType` (the same one
for `RETRIEVAL_QUERY` and `RETRIEVAL_DOCUMENT`, so queries still find documents) makes the same text
embed a little differently per task, and keeps a text with no words from being the zero vector. The
result is scaled to unit length and rounded to 6 decimals.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from emulator.errors import InvalidArgument
from emulator.responder.tokens import content_tokens

TASK_TYPES = frozenset(
    {
        "TASK_TYPE_UNSPECIFIED",
        "RETRIEVAL_QUERY",
        "RETRIEVAL_DOCUMENT",
        "SEMANTIC_SIMILARITY",
        "CLASSIFICATION",
        "CLUSTERING",
        "QUESTION_ANSWERING",
        "FACT_VERIFICATION",
        "CODE_RETRIEVAL_QUERY",
    }
)
# Tasks that must stay comparable with each other share one task component.
_TASK_FAMILY = {
    "RETRIEVAL_DOCUMENT": "RETRIEVAL",
    "RETRIEVAL_QUERY": "RETRIEVAL",
    "QUESTION_ANSWERING": "RETRIEVAL",
    "FACT_VERIFICATION": "RETRIEVAL",
    "CODE_RETRIEVAL_QUERY": "RETRIEVAL",
}
_WORD = re.compile(r"\w+")
_SLOTS_PER_WORD = 4
_TASK_WEIGHT = 0.15


def check_task_type(task_type: object) -> str:
    if task_type is None:
        return "TASK_TYPE_UNSPECIFIED"
    if not isinstance(task_type, str) or task_type.upper() not in TASK_TYPES:
        raise InvalidArgument(
            f"Invalid value at 'task_type' ({task_type!r}): expected one of {', '.join(sorted(TASK_TYPES))}."
        )
    return task_type.upper()


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def embed_text(words: Iterable[str], dim: int, task_type: str) -> list[float]:
    """A unit vector of `dim` values for these words (a bag of words: order does not matter)."""
    counts: dict[int, float] = {}
    total = 0
    for word in words:
        total += 1
        digest = hashlib.blake2b(word.encode(), digest_size=4 * _SLOTS_PER_WORD).digest()
        for i in range(_SLOTS_PER_WORD):
            slot = int.from_bytes(digest[4 * i : 4 * i + 4], "little")
            index = (slot >> 1) % dim
            counts[index] = counts.get(index, 0.0) + (1.0 if slot & 1 else -1.0)
    task = _task_vector(_TASK_FAMILY.get(task_type, task_type), dim)
    weight = _TASK_WEIGHT * math.sqrt(total * _SLOTS_PER_WORD) or _TASK_WEIGHT
    # |c + w·t|² = |c|² + 2w(c·t) + w², with c sparse and t of unit length: no dense pass needed.
    sparse_sq = sum(c * c for c in counts.values())
    dot = sum(c * task[i] for i, c in counts.items())
    norm = math.sqrt(sparse_sq + 2 * weight * dot + weight * weight) or 1.0
    scale = 1e6 / norm
    a = weight * scale
    out = [round(t * a) / 1e6 for t in task]
    for i, c in counts.items():
        out[i] = round((c + weight * task[i]) * scale) / 1e6
    return out


@functools.lru_cache(maxsize=64)
def _task_vector(family: str, dim: int) -> tuple[float, ...]:
    """A fixed pseudo-random unit vector per task family and dimension."""
    raw = hashlib.shake_256(b"embedding-task:" + family.encode()).digest(dim)
    values = [b - 127.5 for b in raw]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return tuple(v / norm for v in values)


def with_token_count(response: dict[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
    """A batch's embedding result as the real service writes it: `{"tokenCount": "1", "embedding":
    {...}}`, the content's token count first, as an int64 string (a response that already has one,
    from a custom responder, is kept)."""
    if "tokenCount" in response:
        return response
    content = request.get("content")
    tokens = content_tokens([content]) if isinstance(content, Mapping) else 0
    return {"tokenCount": str(tokens), **response}
