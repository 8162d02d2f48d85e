"""Where deliveries may go, and the one HTTP request they make.

The request is a plain HTTP/1.1 POST over asyncio streams (`Content-Length`, `Connection: close`): a
delivery needs nothing more, and a general-purpose client costs several times the CPU per request on
the event loop that also serves the API. Nothing here follows a redirect (a 3xx is just a status),
and at most `cap` bytes of an answer are read.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import ipaddress
import ssl
import time
from typing import NamedTuple
from urllib.parse import urlsplit

MAX_HEADER_LINES = 100
KEPT_BYTES = 1024  # of an answer's body, in the attempt's record
_UNSAFE = frozenset("\r\n\t \x00")


class OutboundError(Exception):
    """The receiver's answer was not HTTP."""


class Answer(NamedTuple):
    """What one attempt got: the status and up to `cap` bytes of the answer, or why there is none."""

    status: int | None
    body: bytes
    error: str | None
    latency_ms: float


async def attempt(
    url: str, headers: dict[str, str], body: bytes, *, cap: int, timeout: float, tls: ssl.SSLContext | None
) -> Answer:
    """`post`, within `timeout` real seconds; a failure is an `Answer` with an `error`, never raised."""
    started = time.perf_counter()
    try:
        status, answer = await asyncio.wait_for(post(url, headers, body, cap=cap, tls=tls), timeout)
    except TimeoutError:
        return Answer(None, b"", f"no answer within {timeout:g} s", _ms(started))
    except Exception as exc:  # refused, reset, not HTTP, a bad certificate: a failed attempt
        return Answer(None, b"", f"{type(exc).__name__}: {exc}", _ms(started))
    return Answer(status, answer, None, _ms(started))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


class Poster:
    """Makes attempts (`attempt`), with the TLS context of https deliveries made, in a thread, for the
    first of them. Never raises: a failure, the TLS context's included, is an `Answer` with an `error`.
    Used by the webhook sender process, and by the server where that process cannot start."""

    def __init__(self) -> None:
        self._tls: ssl.SSLContext | None = None

    async def attempt(self, url: str, headers: dict[str, str], body: bytes, *, cap: int, timeout: float) -> Answer:
        tls = None
        if url.startswith("https:"):
            if self._tls is None:
                try:
                    self._tls = await asyncio.to_thread(tls_context)  # tens of ms: not on the loop
                except Exception as exc:  # no CA store, say
                    return Answer(None, b"", f"{type(exc).__name__}: {exc}", 0.0)
            tls = self._tls
        return await attempt(url, headers, body, cap=cap, timeout=timeout, tls=tls)


def allowed(url: str, patterns: tuple[str, ...]) -> bool:
    """Whether the allow-list lets deliveries go to `url` (http or https only). `loopback` allows
    `localhost` and loopback addresses (127.0.0.0/8, ::1) written as such, never a name that merely
    starts with 127; `*` allows anywhere; a pattern with `://` is matched against the whole URL, any
    other against the host and `host:port` (globs, e.g. `*.internal:8080`)."""
    if _UNSAFE.intersection(url):
        return False
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # an unparseable URL (a bad IPv6 literal, a port out of range)
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    for pattern in patterns:
        if pattern == "loopback":
            if _loopback(host):
                return True
        elif "://" in pattern:
            if fnmatch.fnmatchcase(url, pattern):
                return True
        elif fnmatch.fnmatchcase(host, pattern) or fnmatch.fnmatchcase(f"{host}:{port}", pattern):
            return True
    return False


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def post(
    url: str, headers: dict[str, str], body: bytes, *, cap: int, tls: ssl.SSLContext | None
) -> tuple[int, bytes]:
    """POST `body` to `url` (checked by `allowed`); the status and up to `cap` bytes of the answer."""
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    host = parts.hostname or ""
    reader, writer = await asyncio.open_connection(
        host,
        parts.port or (443 if secure else 80),
        ssl=tls if secure else None,
        server_hostname=host if secure else None,
    )
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [
            f"POST {target} HTTP/1.1",
            f"Host: {parts.netloc.rpartition('@')[2]}",
            f"Content-Length: {len(body)}",
            "Connection: close",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        status = _status(await reader.readline())
        length = None
        for _ in range(MAX_HEADER_LINES):
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length" and value.strip().isdigit():
                length = int(value.strip())
        else:
            raise OutboundError(f"more than {MAX_HEADER_LINES} header lines")
        want = cap if length is None else min(cap, length)
        kept = bytearray()
        while len(kept) < want:
            chunk = await reader.read(want - len(kept))
            if not chunk:
                break
            kept += chunk
        return status, bytes(kept)
    finally:
        writer.close()
        with contextlib.suppress(OSError, asyncio.TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), 1)


def _status(line: bytes) -> int:
    version, _, rest = line.partition(b" ")
    code = rest[:3]
    if not version.startswith(b"HTTP/") or not code.isdigit():
        raise OutboundError(f"not an HTTP answer: {line[:80]!r}")
    return int(code)


def tls_context() -> ssl.SSLContext:
    """What https deliveries verify certificates with (loading the CA store takes tens of
    milliseconds: `Poster` makes it in a thread)."""
    return ssl.create_default_context()
