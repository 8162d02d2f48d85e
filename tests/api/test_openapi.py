"""The OpenAPI document matches the routes, and a bounded fuzz run finds no 5xx and no malformed error.

`make fuzz` runs the same with a larger budget (FUZZ_EXAMPLES).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from emulator import Settings
from emulator.app import create_app
from emulator.asgi.routing import all_routes
from tests.servers import ThreadServer, thread_server

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


def documented(path: str) -> str:
    """A route's path as the document spells it: /v1beta/... → /{version}/..., convertors dropped."""
    path = re.sub(r"\{(\w+):\w+\}", r"{\1}", path)
    return re.sub(r"^(/upload|/download)?/v1beta/", lambda m: f"{m.group(1) or ''}/{{version}}/", path)


def test_every_route_is_documented_and_every_documented_path_served() -> None:
    app = create_app(Settings(data_dir=None))
    served = {
        documented(route.path)
        for route in all_routes(app.routes)
        if hasattr(route, "path")
        and not route.path.startswith(
            (
                "/v1/",
                "/v1alpha/",
                "/upload/v1/",
                "/upload/v1alpha/",
                "/download/v1/",
                "/download/v1alpha/",
                "/_emulator/ui",
            )
        )
        and "/openai/" not in route.path
        and route.path != "/"
    }
    with thread_server(Settings(data_dir=None)) as server:
        document = httpx.get(f"{server.url}/_emulator/openapi.json").json()
    assert served == set(document["paths"])


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[ThreadServer]:
    with thread_server(Settings(data_dir=None, queue_delay=0, request_latency=0)) as server:
        yield server


def google_error_shape(response: Any) -> None:
    """Every non-200 answer is {"error": {"code", "message", "status"}} with the HTTP status as code."""
    if response.status_code == 200:
        return
    error = response.json()["error"]
    assert error["code"] == response.status_code and error["message"] and error["status"], response.text


def fuzz_operation(operation: Any, base_url: str, counter: list[int]) -> None:
    """Hypothesis over one operation's generated requests: no 5xx, every error in Google's shape."""

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        counter[0] += 1
        response = case.call(base_url=base_url, timeout=30)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
        )
        google_error_shape(response)

    check()


def test_fuzz_the_whole_surface(fuzz_server: ThreadServer) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/_emulator/openapi.json")
    counter = [0]
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:  # wait-idle too: nothing runs for long with no queue delay or latency
        fuzz_operation(operation, fuzz_server.url, counter)
    print(f"fuzz: {counter[0]} generated requests over {len(operations)} operations, no failure")
    assert counter[0] >= len(operations)
    if EXAMPLES >= 300:  # `make fuzz`: at least 5,000 requests (issue 16)
        assert counter[0] >= 5000, counter[0]
