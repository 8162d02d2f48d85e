"""Logs: the JSON and text formatters, one line per request (with the operation the route knows),
and `configure` keeping libraries quiet. tests/sidecar/test_container.py reads a real server's."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import httpx
import orjson
import pytest

from emulator import Settings
from emulator.app import create_app
from emulator.observability.logs import JsonFormatter, RequestLog, TextFormatter, configure


def record(name: str, msg: str, *args: object, level: int = logging.INFO, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord(name, level, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(made, key, value)
    return made


def test_batch_transitions_become_structured_events() -> None:
    started = orjson.loads(
        JsonFormatter().format(record("emulator.batches", "%s PENDING→RUNNING (%d requests)", "batches/b1", 3))
    )
    assert started["event"] == "batch" and started["batch"] == "batches/b1"
    assert (started["from"], started["state"], started["requestCount"]) == (
        "BATCH_STATE_PENDING",
        "BATCH_STATE_RUNNING",
        3,
    )
    assert started["message"] == "batches/b1 PENDING→RUNNING (3 requests)"
    assert started["level"] == "info" and started["logger"] == "emulator.batches"
    assert started["time"].endswith("Z")
    ended = orjson.loads(
        JsonFormatter().format(record("emulator.batches", "%s %s (%d ok, %d failed)", "batches/b1", "SUCCEEDED", 2, 1))
    )
    assert (ended["state"], ended["successfulRequestCount"], ended["failedRequestCount"]) == (
        "BATCH_STATE_SUCCEEDED",
        2,
        1,
    )
    other = orjson.loads(JsonFormatter().format(record("emulator.batches", "runner step failed")))
    assert "event" not in other


def test_extra_fields_and_exceptions_stay_on_one_line() -> None:
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        failing = record("emulator.app", "unexpected", level=logging.ERROR, event="custom", count=2)
        failing.exc_info = sys.exc_info()
    line = JsonFormatter().format(failing)
    assert "\n" not in line
    parsed = orjson.loads(line)
    assert parsed["event"] == "custom" and parsed["count"] == 2 and "boom" in parsed["exception"]
    colored = orjson.loads(JsonFormatter().format(record("uvicorn.error", "Started", color_message="\x1b[1mStarted")))
    assert "color_message" not in colored


def test_text_lines_are_readable() -> None:
    line = TextFormatter().format(record("emulator.requests", "GET /v1beta/batches 200 1.0ms batches.list"))
    assert line.endswith(" INFO emulator.requests: GET /v1beta/batches 200 1.0ms batches.list")
    assert line[:24].endswith("Z") and "T" in line[:24]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    names = ("emulator", "uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in names})
    yield
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_configure_sends_ours_at_the_level_asked_and_libraries_at_warning() -> None:
    stream = io.StringIO()
    configure("debug", "json", stream)
    logging.getLogger("emulator.batches").debug("ours")
    logging.getLogger("uvicorn.error").info("server")
    logging.getLogger("aiosqlite").debug("every statement")
    logging.getLogger("aiosqlite").warning("trouble")
    messages = [orjson.loads(line)["message"] for line in stream.getvalue().splitlines()]
    assert messages == ["ours", "server", "trouble"]
    with pytest.raises(ValueError, match="log format"):
        configure("info", "xml", stream)


@pytest.mark.anyio
async def test_one_request_line_per_request_with_its_operation(caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(Settings(data_dir=None, queue_delay=0, request_latency=0))
    caplog.set_level(logging.DEBUG, logger="emulator.requests")
    async with app.state.emulator.running():
        transport = httpx.ASGITransport(app=RequestLog(app))
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
            await http.get("/v1beta/batches?key=secret-key")
            await http.get("/v1beta/files/missing", headers={"x-goog-api-key": "k"})
            await http.get("/_emulator/health")
            await http.get("/no/such/route")
    lines = [r for r in caplog.records if r.name == "emulator.requests"]
    assert [(r.levelno, r.getMessage().split(" ")[:3]) for r in lines] == [
        (logging.INFO, ["GET", "/v1beta/batches", "200"]),
        (logging.INFO, ["GET", "/v1beta/files/missing", "403"]),
        (logging.DEBUG, ["GET", "/_emulator/health", "200"]),
        (logging.INFO, ["GET", "/no/such/route", "404"]),
    ]
    listed, missing, health, unknown = lines
    assert listed.__dict__["operation"] == "batches.list" and "batches.list key=key-" in listed.getMessage()
    assert "secret-key" not in listed.getMessage(), "query strings (keys, upload ids) are never logged"
    assert missing.__dict__["operation"] == "files.get" and missing.__dict__["status"] == 403
    assert "operation" not in health.__dict__ and "operation" not in unknown.__dict__
    assert all(r.__dict__["event"] == "request" and r.__dict__["durationMs"] >= 0 for r in lines)
