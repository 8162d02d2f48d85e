"""A small streaming `multipart/form-data` reader, for `POST /openai/files`.

The file part is streamed straight into the Files service (hashed and written as it arrives, flat
memory whatever its size), so the body is never buffered whole. Parts come in either order: the
Python SDK sends `purpose` before `file`, the JS SDK after it. Pure apart from reading the stream.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from emulator.errors import InvalidArgument

MAX_HEADER_BYTES = 16 * 1024
MAX_FIELD_BYTES = 64 * 1024
_PARAM = re.compile(r';\s*([A-Za-z0-9_*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    filename: str | None
    content_type: str | None


def boundary_of(content_type: str | None) -> bytes:
    """The boundary of a `multipart/form-data; boundary=...` content type (400 for anything else)."""
    value = content_type or ""
    if value.split(";", 1)[0].strip().lower() != "multipart/form-data":
        raise InvalidArgument(f"Expected a multipart/form-data body (file and purpose), not {value or 'none'!r}.")
    params = _params(value)
    boundary = params.get("boundary", "")
    if not boundary or len(boundary) > 200:
        raise InvalidArgument("The multipart/form-data body has no boundary.")
    return boundary.encode("latin-1")


def _params(header: str) -> dict[str, str]:
    found = {}
    for key, raw in _PARAM.findall(header):
        raw = raw.strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        found[key.lower()] = raw
    return found


class MultipartReader:
    """`async for part in reader.parts()`: each part's headers; read its content with `content()`
    (or `field()` for a small text field) before asking for the next part. Unread content is skipped."""

    def __init__(self, stream: AsyncIterator[bytes], boundary: bytes) -> None:
        self._stream = stream
        self._delimiter = b"--" + boundary
        self._separator = b"\r\n--" + boundary
        self._buffer = b""
        self._eof = False
        self._in_part = False

    async def _more(self) -> bool:
        if self._eof:
            return False
        async for chunk in self._stream:
            if chunk:
                self._buffer += chunk
                return True
        self._eof = True
        return False

    async def parts(self) -> AsyncIterator[Part]:
        # The preamble, up to the first delimiter (which has no CRLF before it when it opens the body).
        while (at := self._buffer.find(self._delimiter)) < 0:
            self._buffer = self._buffer[-len(self._delimiter) :]
            if not await self._more():
                raise _truncated()
        self._buffer = self._buffer[at:]
        while True:
            if self._in_part:
                async for _ in self.content():
                    pass
            # The buffer starts at a delimiter: "--" after it closes the body, CRLF opens a part.
            while len(self._buffer) < len(self._delimiter) + 2:
                if not await self._more():
                    raise _truncated()
            after = self._buffer[len(self._delimiter) : len(self._delimiter) + 2]
            if after == b"--":
                return
            while (end := self._buffer.find(b"\r\n\r\n")) < 0:
                if len(self._buffer) > MAX_HEADER_BYTES:
                    raise InvalidArgument("A multipart/form-data part has headers that are too long.")
                if not await self._more():
                    raise _truncated()
            head = self._buffer[len(self._delimiter) : end].decode("utf-8", "replace")
            self._buffer = self._buffer[end + 4 :]
            self._in_part = True
            yield self.part(head)

    def part(self, head: str) -> Part:
        """A part from its header lines (a reader of another multipart type overrides this)."""
        return _part(head)

    async def content(self) -> AsyncIterator[bytes]:
        """The current part's bytes, as they arrive."""
        keep = len(self._separator)
        while self._in_part:
            at = self._buffer.find(self._separator)
            if at >= 0:
                piece, self._buffer = self._buffer[:at], self._buffer[at + 2 :]
                self._in_part = False
                if piece:
                    yield piece
                return
            if len(self._buffer) > keep:
                piece, self._buffer = self._buffer[: -keep + 1], self._buffer[-keep + 1 :]
                yield piece
            if not await self._more():
                raise _truncated()

    async def field(self) -> str:
        data = b""
        async for piece in self.content():
            data += piece
            if len(data) > MAX_FIELD_BYTES:
                raise InvalidArgument("A multipart/form-data field is too long.")
        return data.decode("utf-8", "replace")


def _truncated() -> InvalidArgument:
    return InvalidArgument("The multipart/form-data body ended before its closing boundary.")


def _part(head: str) -> Part:
    headers: dict[str, str] = {}
    for line in head.split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    disposition = headers.get("content-disposition", "")
    params = _params(disposition)
    if not disposition.lower().startswith("form-data") or "name" not in params:
        raise InvalidArgument("A multipart/form-data part has no Content-Disposition: form-data; name=...")
    return Part(name=params["name"], filename=params.get("filename"), content_type=headers.get("content-type"))
