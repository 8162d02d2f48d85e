"""The fake model: what a request is answered with, in a batch or (later) synchronously.

A responder is pure and synchronous: its answer is a function of (seed, model, canonical request,
and the `RequestInfo` it is given) alone, never of order or time, so the same request gets the same
answer in every batch and after a restart. It raises `ApiError` for a request the real model would
refuse; the batch runner turns that into the request's error line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class FileInfo:
    """What a responder may know of a file a request refers to (`fileData.fileUri`)."""

    name: str
    mime_type: str
    size_bytes: int
    active: bool = True  # False while the file is PROCESSING: using it is refused


# Resolves "files/abc" (or a URI ending in /files/abc) for the caller's API key; None if unknown.
FileLookup = Callable[[str], FileInfo | None]


class FileIndex:
    """Resolves `files/abc`, or any URI ending in `/files/abc`, among a tenant's files: the
    `FileLookup` of a batch. A class, not a closure, so that it can be sent to a worker process."""

    __slots__ = ("files",)

    def __init__(self, files: dict[str, FileInfo]) -> None:
        self.files = files

    def __call__(self, name_or_uri: str) -> FileInfo | None:
        _, found, file_id = name_or_uri.rpartition("files/")
        return self.files.get("files/" + file_id.split(":", 1)[0]) if found else None


@dataclass(slots=True)
class RequestInfo:
    """Everything about a request that is not in its body. (Not frozen only because a frozen
    dataclass costs a microsecond more to build, and one is built per batch line; do not mutate.)"""

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
