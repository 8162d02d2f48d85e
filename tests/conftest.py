from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from emulator import Settings
from tests.servers import ThreadServer, thread_server


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
