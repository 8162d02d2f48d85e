"""Many clients and many batches at once against one `gemini-batch-emulator serve` process.

- N clients (threads, each its own API key and input) run the whole workflow through the real SDK
  at the same time: upload, create, poll, download; 0 errors and 0 lost lines.
- 100 batches at once: a huge one and 99 small ones become due together (a manual clock moves once);
  each small one finishes while the huge one is still running (the runner takes every batch in turn,
  a chunk at a time). States are compared, never times.

Reduced sizes here (16 clients); `python -m bench concurrency` runs 64 clients and a larger batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.perf.workloads import FAIRNESS_ARGS, fairness, run_clients
from tests.servers import ProcessServer

pytestmark = pytest.mark.slow

CLIENTS = 16
LINES_EACH = 200
HUGE = 40_000


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ProcessServer]:
    with ProcessServer(tmp_path / "data", "--request-latency", "0", "--queue-delay", "0") as running:
        yield running


def test_concurrent_clients_run_the_whole_workflow_without_an_error_or_a_lost_line(
    server: ProcessServer, tmp_path: Path
) -> None:
    result = run_clients(server.url, tmp_path, CLIENTS, LINES_EACH)
    assert result.errors == []
    assert result.lost == 0


def test_small_batches_are_not_stuck_behind_a_huge_one(tmp_path: Path) -> None:
    with ProcessServer(tmp_path / "data", *FAIRNESS_ARGS) as server:
        result = fairness(server.url, tmp_path, HUGE, small=99)
    assert result.problems == []
    assert result.small_done_before_huge == result.small == 99
    assert result.huge_state_when_small_done == "BATCH_STATE_RUNNING"
    assert result.huge_done_then < result.huge_lines
