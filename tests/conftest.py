from __future__ import annotations

import uuid
from collections.abc import Iterator

# httpx imports httpcore on its first request. Made inside a `pytester` test, that import is undone at
# the test's end (pytester restores sys.modules), and the next request imports httpcore again: its
# exceptions are then new classes that httpx no longer maps, so a refused connection escapes as a raw
# `httpcore.ConnectError` instead of `httpx.ConnectError` (it broke `ProcessServer.start` after
# tests/webhooks/test_fixture.py). Imported here, once, before any test, it stays.
import httpcore  # noqa: F401
import pytest
from hypothesis import HealthCheck, settings

from emulator import Settings
from tests.servers import ThreadServer, thread_server

# Hypothesis's checks of time (a deadline per example, the too-slow health check) would turn a busy
# machine (two cores shared by two xdist workers, servers and SDK processes) into a failure: the
# tests here assert behaviour, never time.
settings.register_profile("emulator", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("emulator")


@pytest.fixture(scope="session")
def live_server() -> Iterator[ThreadServer]:
    """One emulator for the session; tests stay isolated by using their own API key (state is
    partitioned by key, as on the real service)."""
    settings = Settings(data_dir=None, port=0, queue_delay=0.05, request_latency=0.0)
    with thread_server(settings) as server:
        yield server


@pytest.fixture
def api_key() -> str:
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
