"""Google's published per-model limits by usage tier (docs/quotas.md gives the source and date).

Each row is `(rpm, tpm, rpd, enqueued_tokens)`; None where the page publishes no value (its `*`), which
the emulator reads as "no limit". Rows are keyed by a model id prefix: the longest prefix of a model's
id picks its row (`gemini-2.5-flash-lite-preview-09-2025` -> `gemini-2.5-flash-lite`), so preview and
numbered versions get the row of their family, as the page lists them. A model no row names has no
tier limit (set one with a `--quota` override).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

Row = tuple[int | None, int | None, int | None, int | None]  # rpm, tpm, rpd, enqueued tokens

TIERS: Final = ("free", "1", "2", "3")
_M = 1_000_000

_FREE: dict[str, Row] = {
    "gemini-2.5-pro": (2, 125_000, 50, None),
    "gemini-2.5-flash": (10, 250_000, 250, None),
    "gemini-2.5-flash-lite": (15, 250_000, 1_000, None),
    "gemini-2.0-flash": (15, _M, 200, None),
    "gemini-2.0-flash-lite": (30, _M, 200, None),
    "gemini-2.5-flash-preview-tts": (3, 10_000, 15, None),
    "gemini-2.0-flash-preview-image-generation": (10, 200_000, 100, None),
    "gemma-3": (30, 15_000, 14_400, None),
    "gemini-embedding": (100, 30_000, 1_000, None),
}
_TIER_1: dict[str, Row] = {
    "gemini-3-pro-preview": (50, _M, 1_000, 50 * _M),
    "gemini-3-flash-preview": (None, None, None, 3 * _M),
    "gemini-2.5-pro": (150, 2 * _M, 10_000, 5 * _M),
    "gemini-2.5-flash": (1_000, _M, 10_000, 3 * _M),
    "gemini-2.5-flash-lite": (4_000, 4 * _M, None, 10 * _M),
    "gemini-2.0-flash": (2_000, 4 * _M, None, 10 * _M),
    "gemini-2.0-flash-lite": (4_000, 4 * _M, None, 10 * _M),
    "gemini-3-pro-image-preview": (20, 100_000, 250, 2 * _M),
    "gemini-2.5-flash-image": (500, 500_000, 2_000, None),
    "gemini-2.5-flash-preview-tts": (10, 10_000, 100, None),
    "gemini-2.5-pro-preview-tts": (10, 10_000, 50, None),
    "gemini-2.0-flash-preview-image-generation": (1_000, _M, 10_000, None),
    "gemma-3": (30, 15_000, 14_400, None),
    "gemini-embedding": (3_000, _M, None, 500_000),
}
_TIER_2: dict[str, Row] = {
    "gemini-3-pro-preview": (1_000, 5 * _M, 50_000, 500 * _M),
    "gemini-3-flash-preview": (None, None, None, 400 * _M),
    "gemini-2.5-pro": (1_000, 5 * _M, 50_000, 500 * _M),
    "gemini-2.5-flash": (2_000, 3 * _M, 100_000, 400 * _M),
    "gemini-2.5-flash-lite": (10_000, 10 * _M, None, 500 * _M),
    "gemini-2.0-flash": (10_000, 10 * _M, None, 1_000 * _M),
    "gemini-2.0-flash-lite": (20_000, 10 * _M, None, 1_000 * _M),
    "gemini-3-pro-image-preview": (500, 500_000, 15_000, 270 * _M),
    "gemini-2.5-flash-image": (2_000, 1_500_000, 50_000, None),
    "gemini-2.5-flash-preview-tts": (1_000, 100_000, 10_000, None),
    "gemini-2.5-pro-preview-tts": (100, 25_000, 1_000, None),
    "gemini-2.0-flash-preview-image-generation": (2_000, 3 * _M, 100_000, None),
    "gemma-3": (30, 15_000, 14_400, None),
    "gemini-embedding": (5_000, 5 * _M, None, 5 * _M),
}
_TIER_3: dict[str, Row] = {
    "gemini-3-pro-preview": (2_000, 8 * _M, None, 1_000 * _M),
    "gemini-3-flash-preview": (None, None, None, 500 * _M),
    "gemini-2.5-pro": (2_000, 8 * _M, None, 1_000 * _M),
    "gemini-2.5-flash": (10_000, 8 * _M, None, 1_000 * _M),
    "gemini-2.5-flash-lite": (30_000, 30 * _M, None, 1_000 * _M),
    "gemini-2.0-flash": (30_000, 30 * _M, None, 5_000 * _M),
    "gemini-2.0-flash-lite": (30_000, 30 * _M, None, 5_000 * _M),
    "gemini-3-pro-image-preview": (5_000, 5 * _M, None, 1_000 * _M),
    "gemini-2.5-flash-image": (5_000, 5 * _M, None, None),
    "gemini-2.5-flash-preview-tts": (1_000, _M, None, None),
    "gemini-2.5-pro-preview-tts": (100, _M, None, None),
    "gemini-2.0-flash-preview-image-generation": (5_000, 5 * _M, None, None),
    "gemma-3": (30, 15_000, 14_400, None),
    "gemini-embedding": (10_000, 10 * _M, None, 10 * _M),
}

TABLES: Final = MappingProxyType(
    {
        "free": MappingProxyType(_FREE),
        "1": MappingProxyType(_TIER_1),
        "2": MappingProxyType(_TIER_2),
        "3": MappingProxyType(_TIER_3),
    }
)


def row_for(tier: str, model: str) -> Row | None:
    """The tier's row for a model id (`models/` prefix or not), by the longest matching prefix."""
    model = model.removeprefix("models/")
    table = TABLES[tier]
    best = max((prefix for prefix in table if model.startswith(prefix)), key=len, default=None)
    return table[best] if best is not None else None
