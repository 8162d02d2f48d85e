"""The fake model: what a request is answered with, in a batch or (later) synchronously.

A responder is pure and synchronous: its answer is a function of (seed, model, canonical request,
and the `RequestInfo` it is given) alone, never of order or time, so the same request gets the same
answer in every batch and after a restart. It raises `ApiError` for a request the real model would
refuse; the batch runner turns that into the request's error line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from emulator.config import Settings


@dataclass(frozen=True, slots=True)
class FileInfo:
    """What a responder may know of a file a request refers to (`fileData.fileUri`)."""

    name: str
    mime_type: str
    size_bytes: int


# Resolves "files/abc" (or a URI ending in /files/abc) for the caller's API key; None if unknown.
FileLookup = Callable[[str], FileInfo | None]


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """Everything about a request that is not in its body."""

    model: str  # full name: "models/gemini-2.5-flash"
    key: str | None = None  # the JSONL line's key, or an inline request's metadata["key"]
    files: FileLookup | None = None


class Responder(Protocol):
    def generate(self, request: Mapping[str, Any], info: RequestInfo) -> dict[str, Any]:
        """A `GenerateContentResponse` for a camelized `GenerateContentRequest`."""

    def embed(self, request: Mapping[str, Any], info: RequestInfo) -> dict[str, Any]:
        """An `EmbedContentResponse` (`{"embedding": {"values": [...]}}`) for a camelized request."""

    def configure(self, rules: list[dict[str, Any]]) -> None:
        """Replace the scripted-answer rules at run time (raises InvalidArgument on a bad rule)."""


def build_responder(settings: Settings) -> Responder:
    """The responder the settings ask for."""
    from emulator.responder.default import DefaultResponder

    return DefaultResponder(settings.seed)
