"""The fake model: what a batch request is answered with.

A responder is pure and synchronous: its answer is a function of (seed, model, canonical request)
alone, never of order or time, so the same request gets the same answer in every batch and after a
restart. It raises `ApiError` for a request the real model would refuse; the runner turns that into
the request's error line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Responder(Protocol):
    def generate(self, request: Mapping[str, Any], *, model: str) -> dict[str, Any]:
        """A `GenerateContentResponse` for a camelized `GenerateContentRequest`."""

    def embed(self, request: Mapping[str, Any], *, model: str) -> dict[str, Any]:
        """An `EmbedContentResponse` (`{"embedding": {"values": [...]}}`) for a camelized request."""
