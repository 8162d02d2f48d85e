"""Run an emulator inside the current process, on a free loopback port, for tests.

    from emulator import Settings
    from emulator.testing import serve_in_thread

    with serve_in_thread(Settings(data_dir=None)) as server:
        client = genai.Client(api_key="test", http_options={"base_url": server.url})

The pytest plugin uses this; it is public for other test runners too.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from emulator.config import PER_KEY, Settings, read_document, scenario_document, scenario_path
from emulator.emulator import Emulator

__all__ = ["GeminiEmulator", "RunningServer", "serve_in_thread"]


@dataclass
class RunningServer:
    url: str
    emulator: Emulator


@contextlib.contextmanager
def serve_in_thread(settings: Settings, *, startup_timeout: float = 20) -> Iterator[RunningServer]:
    """An emulator served by uvicorn in a background thread; stopped (and its data removed, when
    ephemeral) on exit."""
    import uvicorn

    from emulator.app import create_app
    from emulator.asgi.protocol import uvicorn_options

    sock = socket.socket()
    sock.bind((settings.host, 0))  # always a free port: tests run side by side
    port = sock.getsockname()[1]
    emulator = Emulator(settings)
    config = uvicorn.Config(create_app(emulator=emulator), log_level="warning", lifespan="on", **uvicorn_options())
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="gemini-emulator")
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            sock.close()
            raise RuntimeError("the emulator did not start")
        time.sleep(0.005)
    try:
        yield RunningServer(f"http://{settings.host}:{port}", emulator)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


# Marker arguments an API key can carry on a shared emulator (the settings the control plane can set
# for one key, a scenario, scripted answers); anything else needs a server of its own.
PER_KEY_OPTIONS = PER_KEY | {"scenario", "responses"}


class GeminiEmulator:
    """One test's view of an emulator: its own API key, and helpers that read well in a test.

    Everything it changes (clock, latency, faults) applies to its key only, so tests sharing one
    emulator (or one docker sidecar, across xdist workers) never see each other.
    """

    def __init__(self, url: str, api_key: str, control: Any) -> None:
        self.url = url
        self.api_key = api_key
        self.control = control

    # -- configuration -------------------------------------------------------------------------
    def configure(self, **options: Any) -> None:
        """Apply marker-style options to this key: `scenario` (a name or path), `clock` ("manual"),
        `clock_start`, `request_error_rate`, `queue_delay`, `request_latency`, `batch_overhead`,
        `faults` ({"http": [...], "job": [...], "line": [...]}) and `responses` (scripted rules,
        which are emulator-wide)."""
        unknown = set(options) - PER_KEY_OPTIONS
        if unknown:
            raise TypeError(f"unknown option(s) for one API key: {', '.join(sorted(unknown))}")
        document: dict[str, Any] = {}
        if options.get("scenario"):
            document = read_document(scenario_path(str(options["scenario"])))
        given = {k: v for k, v in options.items() if k in PER_KEY and v is not None and v != {}}
        for key, value in scenario_document(given).items():
            if key == "faults":  # rule lists add up
                value = {kind: [*document.get("faults", {}).get(kind, []), *rules] for kind, rules in value.items()}
            if isinstance(value, dict):  # a table: the options win key by key
                value = {**(document.get(key) or {}), **value}
            document[key] = value
        if document:
            self.control.configure(apiKey=self.api_key, **document)
        if options.get("responses") is not None:
            self.control.set_responses(list(options["responses"]))

    def add_fault(self, kind: str, **rule: Any) -> str:
        """A fault rule for this key: kind "http", "job" or "line" (see docs/faults.md)."""
        rule_id: str = self.control.add_fault(kind, api_key=self.api_key, **rule)
        return rule_id

    def fail_next_batch(self, outcome: str = "FAILED", *, at: float = 0.0, message: str | None = None) -> str:
        """The next batch this key creates ends `outcome` (FAILED, EXPIRED, CANCELLED or HANG)."""
        rule: dict[str, Any] = {"outcome": outcome, "at": at, "next_n": 1}
        if message:
            rule["message"] = message
        return self.add_fault("job", **rule)

    def script(self, *rules: dict[str, Any]) -> None:
        """Scripted answers (emulator-wide): see docs/outputs.md for the rule format."""
        self.control.set_responses(list(rules))

    # -- time ----------------------------------------------------------------------------------
    def advance(self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0) -> str:
        """Move this key's clock forward; batches due by then are done when this returns."""
        now: str = self.control.advance(seconds, minutes=minutes, hours=hours, days=days, api_key=self.api_key)["now"]
        return now

    def now(self) -> str:
        now: str = self.control.clock(api_key=self.api_key)["now"]
        return now

    # -- batches -------------------------------------------------------------------------------
    def batch(self, name: str) -> dict[str, Any]:
        """The raw operation JSON of a batch (what REST users see, `batchStats` included)."""
        import httpx

        response = httpx.get(f"{self.url}/v1beta/{name}", headers={"x-goog-api-key": self.api_key}, timeout=30)
        result: dict[str, Any] = response.json()
        if response.status_code != 200:
            raise AssertionError(f"{name}: {response.status_code} {result}")
        return result

    def wait_for_batch(self, name: str, timeout: float = 30.0) -> dict[str, Any]:
        """Wait (in real time) until a batch is done; returns its operation JSON."""
        deadline = time.monotonic() + timeout
        while True:
            operation = self.batch(name)
            if operation.get("done"):
                return operation
            if time.monotonic() > deadline:
                state = operation["metadata"]["state"]
                hint = ""
                if self.control.clock(api_key=self.api_key)["mode"] == "manual":
                    hint = " This key's clock is manual: advance it (gemini_emulator.advance(hours=...))."
                raise AssertionError(f"{name} is still {state} after {timeout:g} s.{hint}")
            time.sleep(0.02)

    # -- the journal ---------------------------------------------------------------------------
    def requests(self, operation: str | None = None) -> list[dict[str, Any]]:
        """What this key's clients sent, oldest first; `operation` may be a glob (`files.*`)."""
        entries: list[dict[str, Any]] = self.control.requests(operation, api_key=self.api_key)
        return entries

    def _summary(self) -> str:
        calls = [
            f"{r['operation']} {r.get('resource', '')} -> {r['status']}".replace("  ", " ") for r in self.requests()
        ]
        return "\n  ".join(calls) if calls else "(no calls)"

    def assert_called(
        self, operation: str, *, times: int | None = None, at_least: int | None = None, resource: str | None = None
    ) -> list[dict[str, Any]]:
        """Assert how often an operation (a glob, e.g. `batches.get`) was called by this test's key."""
        calls = [r for r in self.requests(operation) if resource is None or r.get("resource") == resource]
        what = operation + (f" on {resource}" if resource else "")
        if times is not None and len(calls) != times:
            raise AssertionError(
                f"expected {what} to be called {times} time(s), it was called {len(calls)} time(s). "
                f"Calls made:\n  {self._summary()}"
            )
        if at_least is not None and len(calls) < at_least:
            raise AssertionError(
                f"expected {what} at least {at_least} time(s), it was called {len(calls)} time(s). "
                f"Calls made:\n  {self._summary()}"
            )
        if times is None and at_least is None and not calls:
            raise AssertionError(f"expected {what} to be called; it was not. Calls made:\n  {self._summary()}")
        return calls

    def assert_not_called(self, operation: str) -> None:
        calls = self.requests(operation)
        if calls:
            raise AssertionError(f"expected no {operation} call, got {len(calls)}. Calls made:\n  {self._summary()}")

    def assert_polled_with_backoff(
        self, batch: str | None = None, *, factor: float = 1.0, tolerance: float = 0.05
    ) -> list[float]:
        """Assert that successive `batches.get` polls (of `batch`, or of any one batch) waited at
        least `factor` times longer each time (real time, give or take `tolerance` seconds of
        scheduling noise). Returns the intervals, in seconds."""
        polls = [r for r in self.requests("batches.get") if batch is None or r.get("resource") == batch]
        if len(polls) < 3:
            raise AssertionError(f"expected at least 3 polls to judge back-off, got {len(polls)}.")
        stamps = [_seconds(r["wallTime"]) for r in polls]
        gaps = [b - a for a, b in itertools.pairwise(stamps)]
        for before, after in itertools.pairwise(gaps):
            if after + tolerance < before * factor:
                shown = ", ".join(f"{g:.3f}" for g in gaps)
                raise AssertionError(f"the client did not back off: intervals between polls were {shown} s.")
        return gaps

    def assert_downloaded(self, file_name: str, *, times: int = 1) -> None:
        """Assert a file's bytes were fetched exactly `times` times."""
        self.assert_called("files.download", times=times, resource="files/" + file_name.removeprefix("files/"))

    def reset(self) -> None:
        """Forget this key's files, batches, faults, journal and clock."""
        self.control.reset(api_key=self.api_key)


def _seconds(stamp: str) -> float:
    from emulator.clock import parse_time

    return parse_time(stamp) / 1_000_000
