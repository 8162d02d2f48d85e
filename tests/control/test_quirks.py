"""Production quirks as a client sees them, through the official SDK; and none without asking."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from google.genai import errors

from emulator import Settings
from emulator.config import load_scenario
from emulator.control import EmulatorControl
from tests.sdk.helpers import make_client, request_line, wait_done
from tests.servers import ThreadServer, thread_server

INLINE = [
    {"contents": [{"parts": [{"text": f"q{i}"}], "role": "user"}], "metadata": {"key": f"k{i}"}} for i in range(12)
]


@pytest.fixture
def server() -> Iterator[ThreadServer]:
    with thread_server(Settings(data_dir=None, queue_delay=0, request_latency=0, seed=3)) as running:
        yield running


@pytest.fixture
def manual() -> Iterator[ThreadServer]:
    with thread_server(Settings(data_dir=None, clock="manual", queue_delay=60, request_latency=0)) as running:
        yield running


def quirk(server: ThreadServer, key: str, name: str, **params: object) -> None:
    EmulatorControl(server.url).add_fault("quirk", name=name, api_key=key, **params)


def test_no_quirk_means_the_documented_behaviour(server: ThreadServer) -> None:
    client = make_client(server.url, "plain")
    job = wait_done(client, client.batches.create(model="gemini-2.5-flash", src=INLINE).name)
    results = job.dest.inlined_responses
    assert [r.metadata["key"] for r in results] == [f"k{i}" for i in range(12)]  # in order, with metadata


def test_inline_results_out_of_order_and_without_metadata(server: ThreadServer) -> None:
    quirk(server, "k", "inline-out-of-order", min_requests=10)
    quirk(server, "k", "inline-metadata-dropped", display_name="*-no-meta")
    client = make_client(server.url, "k")
    job = wait_done(client, client.batches.create(model="gemini-2.5-flash", src=INLINE).name)
    keys = [r.metadata["key"] for r in job.dest.inlined_responses]
    assert sorted(keys) == sorted(f"k{i}" for i in range(12)) and keys != [f"k{i}" for i in range(12)]
    assert [r.metadata["key"] for r in client.batches.get(name=job.name).dest.inlined_responses] == keys  # seeded
    small = wait_done(client, client.batches.create(model="gemini-2.5-flash", src=INLINE[:3]).name)
    assert [r.metadata["key"] for r in small.dest.inlined_responses] == ["k0", "k1", "k2"]  # below min_requests
    bare = client.batches.create(model="gemini-2.5-flash", src=INLINE, config={"display_name": "x-no-meta"})
    assert all(r.metadata is None for r in wait_done(client, bare.name).dest.inlined_responses)


def test_succeeded_before_output(server: ThreadServer) -> None:
    quirk(server, "k", "succeeded-before-output", polls=2)
    client = make_client(server.url, "k")
    job = client.batches.create(model="gemini-2.5-flash", src=INLINE[:2])
    EmulatorControl(server.url).wait_idle()
    first, second, third = (client.batches.get(name=job.name) for _ in range(3))
    assert first.state.name == second.state.name == "JOB_STATE_SUCCEEDED"
    assert first.dest is None and second.dest is None  # a collector must re-poll until output exists
    assert len(third.dest.inlined_responses) == 2


def test_late_completion_after_cancel(manual: ThreadServer) -> None:
    quirk(manual, "k", "late-completion-after-cancel")
    client, control = make_client(manual.url, "k"), EmulatorControl(manual.url)
    job = client.batches.create(model="gemini-2.5-flash", src=INLINE[:2])
    client.batches.cancel(name=job.name)
    cancelled = client.batches.get(name=job.name)
    assert cancelled.state.name == "JOB_STATE_CANCELLED" and cancelled.done
    control.advance(minutes=2)
    finished = client.batches.get(name=job.name)
    assert finished.state.name == "JOB_STATE_SUCCEEDED" and len(finished.dest.inlined_responses) == 2


def test_stuck_then_expired_for_one_model(manual: ThreadServer) -> None:
    quirk(manual, "k", "stuck-then-expired", model="gemini-2.5-pro")
    client, control = make_client(manual.url, "k"), EmulatorControl(manual.url)
    slow = client.batches.create(model="gemini-2.5-pro", src=INLINE[:1])
    fast = client.batches.create(model="gemini-2.5-flash", src=INLINE[:1])
    control.advance(hours=24)
    assert client.batches.get(name=fast.name).state.name == "JOB_STATE_SUCCEEDED"
    assert client.batches.get(name=slow.name).state.name == "JOB_STATE_PENDING"
    control.advance(hours=25)
    assert client.batches.get(name=slow.name).state.name == "JOB_STATE_EXPIRED"


def test_output_discarded_after_an_age(manual: ThreadServer) -> None:
    quirk(manual, "k", "output-discarded-after", seconds=3600)
    client, control = make_client(manual.url, "k"), EmulatorControl(manual.url)
    uploaded = client.files.upload(file=io.BytesIO(request_line("a", "x").encode()), config={"mime_type": "jsonl"})
    job = client.batches.create(model="gemini-2.5-flash", src=uploaded.name)
    inline = client.batches.create(model="gemini-2.5-flash", src=INLINE[:1])
    control.advance(minutes=2)
    done = client.batches.get(name=job.name)
    assert json.loads(client.files.download(file=done.dest.file_name))["key"] == "a"
    control.advance(hours=2)
    with pytest.raises(errors.ClientError) as exc:
        client.files.download(file=done.dest.file_name)
    assert exc.value.code == 403  # the state still reads SUCCEEDED, the output is gone
    assert client.batches.get(name=job.name).state.name == "JOB_STATE_SUCCEEDED"
    assert client.batches.get(name=inline.name).dest is None


def test_small_file_batch_comes_back_inline(server: ThreadServer) -> None:
    quirk(server, "k", "small-file-batch-inline-output", max_requests=3)
    client = make_client(server.url, "k")
    small = "\n".join(request_line(f"s{i}", "x") for i in range(2)).encode()
    uploaded = client.files.upload(file=io.BytesIO(small), config={"mime_type": "jsonl"})
    job = wait_done(client, client.batches.create(model="gemini-2.5-flash", src=uploaded.name).name)
    assert job.dest.file_name is None
    assert [r.metadata["key"] for r in job.dest.inlined_responses] == ["s0", "s1"]


def test_cross_key_404_is_per_key_isolation(server: ThreadServer) -> None:
    mine, theirs = make_client(server.url, "mine"), make_client(server.url, "theirs")
    job = mine.batches.create(model="gemini-2.5-flash", src=INLINE[:1])
    with pytest.raises(errors.ClientError) as exc:
        theirs.batches.get(name=job.name)
    assert exc.value.code == 404


def test_the_production_scenario_loads_every_quirk() -> None:
    faults = load_scenario("production")["faults"]
    assert {rule.name for rule in faults.quirk} == {
        "stuck-then-expired",
        "inline-out-of-order",
        "inline-metadata-dropped",
        "succeeded-before-output",
        "late-completion-after-cancel",
        "output-discarded-after",
        "small-file-batch-inline-output",
    }
