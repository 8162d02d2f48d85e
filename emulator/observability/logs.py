"""Logging for `serve`: one readable line (or one JSON object) per request and per batch transition.

`configure(level, fmt)` installs a single stderr handler on the root logger; uvicorn is started with
`log_config=None` and no access log, so its own lines go through the same handler and format.
`RequestLog` wraps the ASGI app and writes the request lines: the per-operation middleware fills in
the Google method id (`batches.get`), the caller's key fingerprint and any injected fault through
`note_operation`, so a line says what was asked, not just which URL.

JSON lines carry `time`, `level`, `logger`, `message`, and an `event`: `request` (with `method`,
`path`, `status`, `durationMs`, `operation`, `apiKey`, `fault`) or `batch` (with `batch`, `state`,
`from` and the counters the transition reports). Query strings are never logged: upload URLs carry
their session id there, and REST users may pass `?key=`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import re
import sys
import time
from dataclasses import dataclass
from typing import IO, Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOG_FORMATS = ("text", "json")
REQUEST_LOGGER = "emulator.requests"
BATCH_LOGGER = "emulator.batches"

# Control-plane reads that health checks and scrapers repeat every few seconds: debug, not info.
_QUIET_PATHS = re.compile(r"/_emulator/(?:health|metrics|wait-idle|ui/live/.*|ui/static/.*)$")
_TRANSITION = re.compile(r"([A-Z_]+)→([A-Z_]+)")
# LogRecord's own attributes; anything else on a record was passed as `extra=` (uvicorn's
# `color_message` is the same text with terminal colours).
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "color_message"}

request_log = logging.getLogger(REQUEST_LOGGER)


# -- set-up ---------------------------------------------------------------------------------------
def configure(level: str = "info", fmt: str = "text", stream: IO[str] | None = None) -> logging.Handler:
    """Route every logger (ours and uvicorn's) to one handler on stderr, in the chosen format."""
    if fmt not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, not {fmt!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    # --log-level is about the emulator (and the server in front of it); libraries underneath
    # (aiosqlite logs every statement at debug) say only what goes wrong.
    numeric = logging.getLevelName(level.upper())
    root.setLevel(max(numeric, logging.WARNING))
    for name in ("emulator", "uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        logger.setLevel(numeric)
        logger.handlers.clear()
        logger.propagate = True
    return handler


def _timestamp(created: float) -> str:
    return dt.datetime.fromtimestamp(created, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """`2026-01-01T00:00:00.000Z INFO emulator.requests: GET /v1beta/batches/x 200 1.2ms batches.get ...`"""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record.created)} {record.levelname} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line; fields given as `extra=` are kept, batch transitions are parsed."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": _timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.name == BATCH_LOGGER:
            out.update(batch_fields(record))
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def batch_fields(record: logging.LogRecord) -> dict[str, Any]:
    """`event: batch` fields from the runner's transition lines (`%s PENDING→RUNNING (%d requests)`,
    `%s SUCCEEDED (%d ok, %d failed)`); other lines of that logger get none."""
    if hasattr(record, "event"):  # the runner gives its fields itself
        return {}
    args = record.args if isinstance(record.args, tuple) else ()
    if not args or not isinstance(args[0], str) or not args[0].startswith("batches/"):
        return {}
    out: dict[str, Any] = {"event": "batch", "batch": args[0]}
    moved = _TRANSITION.search(str(record.msg))
    if moved:
        out["from"], out["state"] = _state(moved.group(1)), _state(moved.group(2))
        if len(args) > 1 and isinstance(args[1], int):
            out["requestCount"] = args[1]
    elif len(args) >= 4 and isinstance(args[1], str):
        out["state"] = _state(args[1])
        out["successfulRequestCount"], out["failedRequestCount"] = args[2], args[3]
    return out


def _state(name: str) -> str:
    return name if name.startswith("BATCH_STATE_") else "BATCH_STATE_" + name


# -- one line per request -------------------------------------------------------------------------
@dataclass(slots=True)
class RequestInfo:
    """What the route's middleware knows about the request being served."""

    operation: str | None = None
    api_key: str | None = None
    fault: str | None = None


_current: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar("emulator_request", default=None)


def note_operation(operation: str, api_key: str, fault: str | None) -> None:
    """Called by the per-operation middleware; a no-op when no `RequestLog` wraps the app."""
    info = _current.get()
    if info is not None:
        info.operation, info.api_key, info.fault = operation, api_key, fault


class RequestLog:
    """Pure ASGI middleware writing one line per HTTP request once its response has started
    (or the connection was dropped)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        info = RequestInfo()
        token = _current.set(info)
        path = scope.get("root_path", "") + scope["path"]  # as asked: routing updates `scope` in place
        started = time.perf_counter()
        status = 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        except Exception:
            status = status or 500
            raise
        finally:
            _current.reset(token)
            _log_request(scope, path, status, (time.perf_counter() - started) * 1000, info)


def _log_request(scope: Scope, path: str, status: int, ms: float, info: RequestInfo) -> None:
    level = logging.DEBUG if _QUIET_PATHS.search(path) else logging.INFO
    if not request_log.isEnabledFor(level):
        return
    shown = str(status) if status else "dropped"
    parts = [scope["method"], path, shown, f"{ms:.1f}ms"]
    if info.operation:
        parts.append(info.operation)
    if info.api_key:
        parts.append(f"key={info.api_key}")
    if info.fault:
        parts.append(f"fault={info.fault}")
    extra = {
        "event": "request",
        "method": scope["method"],
        "path": path,
        "status": status,
        "durationMs": round(ms, 3),
        "operation": info.operation,
        "apiKey": info.api_key,
        "fault": info.fault,
    }
    request_log.log(level, " ".join(parts), extra={k: v for k, v in extra.items() if v is not None})
