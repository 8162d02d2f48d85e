"""The table of invalid requests (tests/validation/cases.py), sent as the real API would get them:
synchronously (status, Google status string, field path, message)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from emulator import Settings
from tests.servers import ThreadServer, thread_server
from tests.validation.cases import CASES, Case


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadServer]:
    with thread_server(Settings(data_dir=None, queue_delay=0, request_latency=0)) as running:
        yield running


def field_of(error: dict[str, Any]) -> str | None:
    """`fieldViolations[0].field` ("" when the violation has no field), None without violations."""
    for detail in error.get("details") or ():
        if detail.get("@type", "").endswith("google.rpc.BadRequest"):
            return str(detail["fieldViolations"][0].get("field", ""))
    return None


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_sync(server: ThreadServer, case: Case) -> None:
    r = httpx.post(
        f"{server.url}/v1beta/models/{case.model}:{case.method}", json=case.body, headers={"x-goog-api-key": "k"}
    )
    error = r.json()["error"]
    assert (r.status_code, error["status"], field_of(error)) == (case.status, case.code, case.path), error
    assert case.message in error["message"]
    assert error["code"] == case.status
