"""A batch's input lines beside their results, a page at a time, with search by key.

Reads the batch's input blob and its output blob in step (result line i answers request line i;
blank input lines are not requests), only up to the output's checkpoint, so a running batch shows
what it has answered so far. Streams both files: flat memory whatever the batch's size. Blocking
I/O: call `read_page` in a worker thread.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

import orjson

from emulator import googlejson
from emulator.batches.lines import is_request_line
from emulator.batches.models import Batch
from emulator.storage.blobs import BlobStore

PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
SHOWN_CHARS = 20_000  # of one line's JSON
SUMMARY_CHARS = 160

Outcome = Literal["ok", "error", "pending", "none"]


@dataclass(frozen=True, slots=True)
class LinePair:
    index: int  # 0-based, among the batch's requests
    key: str | None
    request: str  # the input line, as sent (cut at SHOWN_CHARS)
    prompt: str  # the first text in it, for the table
    outcome: Outcome
    result: str | None  # the output line
    answer: str  # the response's text, or the error, in a few words

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "key": self.key,
            "prompt": self.prompt,
            "outcome": self.outcome,
            "answer": self.answer,
            "request": self.request,
            "result": self.result,
        }


@dataclass(frozen=True, slots=True)
class LinePage:
    lines: list[LinePair]
    page: int  # 1-based
    pages: int
    total: int  # requests in the batch, or lines matching the search
    query: str | None


@dataclass(frozen=True, slots=True)
class Source:
    """Where a batch's lines are, and how much of its output is final."""

    input_path: Path
    output_path: Path
    output_limit: int  # bytes of output that are checkpointed
    inline: bool
    request_count: int
    terminal: bool

    @classmethod
    def of(cls, batch: Batch, blobs: BlobStore) -> Source:
        """A batch's own lines: its input snapshot and its output up to the last checkpoint."""
        return cls(
            input_path=blobs.path(batch.input_blob),
            output_path=blobs.path(batch.output_blob),
            output_limit=batch.output_offset,
            inline=batch.inline,
            request_count=batch.request_count,
            terminal=batch.state.terminal,
        )


def read_page(source: Source, *, page: int = 1, size: int = PAGE_SIZE, query: str | None = None) -> LinePage:
    """Page `page` of the batch's lines, or of those whose key contains `query` (case-insensitive)."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    page = max(1, page)
    needle = query.strip().lower() if query and query.strip() else None
    first = (page - 1) * size
    found: list[LinePair] = []
    matched = 0
    for index, raw, result in _pairs(source):
        key = _key(raw, source.inline, needle)
        if needle is not None and (key is None or needle not in key.lower()):
            continue
        if first <= matched < first + size:
            found.append(_pair(index, key, raw, result, source.terminal))
        matched += 1
        if needle is None and matched >= first + size:
            break
    total = matched if needle is not None else source.request_count
    return LinePage(found, page, max(1, math.ceil(total / size)), total, needle)


def _pairs(source: Source) -> Iterator[tuple[int, bytes, bytes | None]]:
    try:
        fin = source.input_path.open("rb")
    except FileNotFoundError:
        return
    with fin, _open_or_none(source.output_path) as fout:
        left = source.output_limit
        index = 0
        for raw in fin:
            if not is_request_line(raw):
                continue
            result = None
            if fout is not None and left > 0:
                line = fout.readline(left)
                left -= len(line)
                result = line if line.endswith(b"\n") else None
            yield index, raw, result
            index += 1


@contextlib.contextmanager
def _open_or_none(path: Path) -> Iterator[BinaryIO | None]:
    """The output blob, or None: deleted with its output file, or not written yet."""
    try:
        file = path.open("rb")
    except FileNotFoundError:
        yield None
        return
    with file:
        yield file


def _key(raw: bytes, inline: bool, needle: str | None) -> str | None:
    """A line's key (`key`, or `metadata.key` for inline requests). With a search, lines that cannot
    contain it are not parsed."""
    if needle is not None and needle.encode() not in raw.lower():
        return None
    try:
        obj = googlejson.loads(raw)  # input lines are read as the runner reads them
    except googlejson.JsonSyntaxError:
        return None
    if not isinstance(obj, dict):
        return None
    holder = obj.get("metadata") if inline else obj
    key = holder.get("key") if isinstance(holder, dict) else None
    return str(key) if isinstance(key, str | int) and not isinstance(key, bool) else None


def _pair(index: int, key: str | None, raw: bytes, result: bytes | None, terminal: bool) -> LinePair:
    request = _shown(raw)
    if result is None:
        outcome: Outcome = "none" if terminal else "pending"
        return LinePair(index, key, request, _prompt(raw), outcome, None, "")
    try:
        obj = orjson.loads(result)
    except orjson.JSONDecodeError:
        obj = {}
    if isinstance(obj, dict) and "error" in obj:
        return LinePair(index, key, request, _prompt(raw), "error", _shown(result), _error(obj["error"]))
    response = obj.get("response") if isinstance(obj, dict) else None
    return LinePair(index, key, request, _prompt(raw), "ok", _shown(result), _answer(response))


def _shown(raw: bytes) -> str:
    text = raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + f" \u2026 ({len(text):,} characters)"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "\u2026"


def _first_text(value: Any, depth: int = 0) -> str | None:
    """The first `text` string in a request or response, depth first."""
    if depth > 12:
        return None
    if isinstance(value, dict):
        text = value.get("text")
        if isinstance(text, str):
            return text
        for item in value.values():
            if (found := _first_text(item, depth + 1)) is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            if (found := _first_text(item, depth + 1)) is not None:
                return found
    return None


def _prompt(raw: bytes) -> str:
    try:
        obj = googlejson.loads(raw)
    except googlejson.JsonSyntaxError:
        return "(not valid JSON)"
    request = obj.get("request", obj) if isinstance(obj, dict) else obj
    text = _first_text(request)
    return _short(text) if text is not None else ""


def _answer(response: Any) -> str:
    if not isinstance(response, dict):
        return ""
    embedding = response.get("embedding")
    if isinstance(embedding, dict) and isinstance(embedding.get("values"), list):
        return f"embedding of {len(embedding['values'])} values"
    candidates = response.get("candidates")
    if isinstance(candidates, list) and candidates and isinstance(candidates[0], dict):
        parts = (candidates[0].get("content") or {}).get("parts") or []
        texts = [p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)]
        if texts:
            return _short(" ".join(texts))
        reason = candidates[0].get("finishReason")
        if reason:
            return f"(no text; finishReason {reason})"
    feedback = response.get("promptFeedback")
    if isinstance(feedback, dict) and feedback.get("blockReason"):
        return f"(blocked: {feedback['blockReason']})"
    text = _first_text(response)
    return _short(text) if text is not None else ""


def _error(error: Any) -> str:
    if not isinstance(error, dict):
        return _short(str(error))
    status = error.get("status") or error.get("code") or "error"
    return _short(f"{status}: {error.get('message', '')}")
