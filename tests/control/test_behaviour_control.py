"""Behaviour control through the official SDK: the clock, faults, expiry, limits, seeding, isolation."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from google import genai
from google.genai import errors

from emulator import Settings
from emulator.control import ControlError, EmulatorControl
from tests.sdk.helpers import make_client, request_line, wait_done
from tests.servers import ThreadServer, thread_server

INLINE = [{"contents": [{"parts": [{"text": f"question {i}"}], "role": "user"}]} for i in range(10)]


@pytest.fixture
def manual() -> Iterator[ThreadServer]:
    """Time moves only when told: a batch queues an hour, then answers one request every two hours."""
    settings = Settings(
        data_dir=None, clock="manual", clock_start="2026-01-01T00:00:00Z", queue_delay=3600, request_latency=7200
    )
    with thread_server(settings) as server:
        yield server


@pytest.fixture
def fast() -> Iterator[ThreadServer]:
    with thread_server(Settings(data_dir=None, queue_delay=0, request_latency=0, seed=7)) as server:
        yield server


def operation(server: ThreadServer, key: str, name: str) -> dict[str, Any]:
    return httpx.get(f"{server.url}/v1beta/{name}", headers={"x-goog-api-key": key}).json()


def test_a_21_hour_job_finishes_after_one_clock_advance(manual: ThreadServer) -> None:
    client, control = make_client(manual.url, "k"), EmulatorControl(manual.url)
    job = client.batches.create(model="gemini-2.5-flash", src=INLINE)
    assert job.create_time.isoformat() == "2026-01-01T00:00:00+00:00"  # timestamps follow the emulated clock
    control.advance(minutes=59)
    assert client.batches.get(name=job.name).state.name == "JOB_STATE_PENDING"
    control.advance(hours=5)
    running = client.batches.get(name=job.name)
    assert running.state.name == "JOB_STATE_RUNNING"
    assert operation(manual, "k", job.name)["metadata"]["batchStats"]["successfulRequestCount"] == "2"
    control.advance(hours=24)  # no sleeping: the batch is done when advance returns
    done = client.batches.get(name=job.name)
    assert done.state.name == "JOB_STATE_SUCCEEDED" and len(done.dest.inlined_responses) == 10
    assert done.end_time - done.create_time == timedelta(hours=21)  # 1 h queued + 10 x 2 h, exactly


def test_batches_expire_at_48_hours_and_files_disappear(manual: ThreadServer) -> None:
    client, control = make_client(manual.url, "k"), EmulatorControl(manual.url)
    control.configure(latency={"queue_delay": 3600 * 50})  # new batches queue 50 h: longer than they may live
    uploaded = client.files.upload(file=io.BytesIO(request_line("a", "x").encode()), config={"mime_type": "jsonl"})
    job = client.batches.create(model="gemini-2.5-flash", src=uploaded.name)
    control.advance(hours=47)
    assert client.batches.get(name=job.name).state.name == "JOB_STATE_PENDING"
    assert client.files.get(name=uploaded.name).name == uploaded.name
    control.advance(hours=2)
    expired = client.batches.get(name=job.name)
    assert expired.state.name == "JOB_STATE_EXPIRED" and expired.dest is None
    assert expired.end_time - expired.create_time == timedelta(hours=48)
    with pytest.raises(errors.ClientError) as exc:
        client.files.get(name=uploaded.name)
    assert exc.value.code == 403
    assert uploaded.name not in [f.name for f in client.files.list()]


def test_clock_moves_for_one_key_only(manual: ThreadServer) -> None:
    control = EmulatorControl(manual.url)
    mine, theirs = make_client(manual.url, "mine"), make_client(manual.url, "theirs")
    a = mine.batches.create(model="gemini-2.5-flash", src=INLINE[:1])
    b = theirs.batches.create(model="gemini-2.5-flash", src=INLINE[:1])
    control.advance(hours=3, api_key="mine")
    assert mine.batches.get(name=a.name).state.name == "JOB_STATE_SUCCEEDED"
    assert theirs.batches.get(name=b.name).state.name == "JOB_STATE_PENDING"
    assert control.clock(api_key="mine")["now"] > control.clock()["now"]


def test_http_faults_as_the_sdk_sees_them_and_retry_options_recover(fast: ThreadServer) -> None:
    control = EmulatorControl(fast.url)
    plain = make_client(fast.url, "k")  # keep clients referenced: a collected Client closes its connection
    job = plain.batches.create(model="gemini-2.5-flash", src=INLINE[:1])
    control.add_fault("http", operation="batches.get", status=503, first_n=2, api_key="k")
    with pytest.raises(errors.ServerError) as exc:
        plain.batches.get(name=job.name)
    assert exc.value.code == 503 and exc.value.status == "UNAVAILABLE"
    retrying = genai.Client(
        api_key="k",
        http_options={"base_url": fast.url, "retry_options": {"attempts": 3, "initial_delay": 0.05, "max_delay": 0.1}},
    )
    assert retrying.batches.get(name=job.name).name == job.name  # the 2nd 503, then a 200
    statuses = [r["status"] for r in control.requests("batches.get", api_key="k")]
    assert statuses == [503, 503, 200]


def test_429_with_retry_after_and_dropped_connections(fast: ThreadServer) -> None:
    control = EmulatorControl(fast.url)
    control.add_fault("http", operation="batches.create", status="RESOURCE_EXHAUSTED", retry_after=7, api_key="k")
    r = httpx.post(
        f"{fast.url}/v1beta/models/m:batchGenerateContent",
        headers={"x-goog-api-key": "k"},
        json={"batch": {"inputConfig": {"requests": {"requests": [{"request": INLINE[0]}]}}}},
    )
    assert r.status_code == 429 and r.headers["retry-after"] == "7"
    assert r.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    control.add_fault("http", operation="files.list", drop=True, api_key="k")
    client = make_client(fast.url, "k")
    with pytest.raises(Exception, match="peer closed connection") as dropped:
        client.files.list()
    assert type(dropped.value).__name__ == "RemoteProtocolError"  # from httpx (or httpx2, in newer SDKs)
    other_key = make_client(fast.url, "other")  # rules with an API key touch only that key
    assert list(other_key.files.list()) == []


def test_upload_faults_carry_the_upload_status_so_the_sdk_fails_fast(fast: ThreadServer) -> None:
    control = EmulatorControl(fast.url)
    control.add_fault("http", operation="files.upload.chunk", status=500, api_key="k")
    client = make_client(fast.url, "k")
    with pytest.raises(errors.ServerError):
        client.files.upload(file=io.BytesIO(b"x"), config={"mime_type": "text/plain"})
    assert [r["status"] for r in control.requests("files.upload*", api_key="k")] == [200, 500]


@pytest.mark.parametrize(
    ("outcome", "state"),
    [("FAILED", "JOB_STATE_FAILED"), ("CANCELLED", "JOB_STATE_CANCELLED"), ("EXPIRED", "JOB_STATE_EXPIRED")],
)
def test_job_faults_end_matching_batches(fast: ThreadServer, outcome: str, state: str) -> None:
    control, client = EmulatorControl(fast.url), make_client(fast.url, f"k-{outcome}")
    control.add_fault(
        "job", display_name="nightly-*", outcome=outcome, at=0.5, api_key=f"k-{outcome}", message="disk full"
    )
    failing = client.batches.create(model="gemini-2.5-flash", src=INLINE, config={"display_name": "nightly-1"})
    other = client.batches.create(model="gemini-2.5-flash", src=INLINE, config={"display_name": "adhoc"})
    assert wait_done(client, failing.name).state.name == state
    assert wait_done(client, other.name).state.name == "JOB_STATE_SUCCEEDED"
    op = operation(fast, f"k-{outcome}", failing.name)
    if outcome == "FAILED":
        assert op["error"]["message"] == "disk full" and op["error"]["code"] == 13 and "output" not in op["metadata"]
    if outcome == "CANCELLED":  # stopped half way: the first five answers are kept
        assert len(op["metadata"]["output"]["inlinedResponses"]["inlinedResponses"]) == 5


def test_a_hanging_job_runs_until_it_expires(manual: ThreadServer) -> None:
    control, client = EmulatorControl(manual.url), make_client(manual.url, "k")
    control.add_fault("job", outcome="HANG", next_n=1)
    job = client.batches.create(model="gemini-2.5-flash", src=INLINE[:1])
    second = client.batches.create(model="gemini-2.5-flash", src=INLINE[:1])  # only the next one hangs
    control.advance(hours=24)
    assert client.batches.get(name=job.name).state.name == "JOB_STATE_RUNNING"
    assert client.batches.get(name=second.name).state.name == "JOB_STATE_SUCCEEDED"
    control.advance(hours=25)
    assert client.batches.get(name=job.name).state.name == "JOB_STATE_EXPIRED"


def test_line_faults_by_key_prompt_and_finish_reason(fast: ThreadServer) -> None:
    control, client = EmulatorControl(fast.url), make_client(fast.url, "k")
    control.add_fault("line", key="bad-*", status=429, message="slow down", api_key="k")
    control.add_fault("line", prompt="(?i)forbidden", finish_reason="SAFETY", api_key="k")
    control.add_fault("line", prompt="blocked", blocked="SAFETY", api_key="k")
    lines = [
        request_line("bad-1", "x"),
        request_line("ok-1", "a forbidden topic"),
        request_line("ok-2", "blocked"),
        request_line("ok-3", "fine"),
    ]
    uploaded = client.files.upload(file=io.BytesIO("\n".join(lines).encode()), config={"mime_type": "jsonl"})
    job = wait_done(client, client.batches.create(model="gemini-2.5-flash", src=uploaded.name).name)
    results = [json.loads(line) for line in client.files.download(file=job.dest.file_name).decode().splitlines()]
    assert results[0]["error"] == {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}
    assert results[1]["response"]["candidates"][0]["finishReason"] == "SAFETY"
    assert "content" not in results[1]["response"]["candidates"][0]
    assert results[2]["response"]["promptFeedback"]["blockReason"] == "SAFETY"
    assert results[3]["response"]["candidates"][0]["finishReason"] == "STOP"


def test_same_seed_same_faults(fast: ThreadServer) -> None:
    def pattern(url: str) -> list[int]:
        control = EmulatorControl(url)
        control.add_fault("http", operation="files.list", status=503, probability=0.5)
        client = make_client(url, "k")
        seen = []
        for _ in range(20):
            try:
                client.files.list()
                seen.append(200)
            except errors.ServerError:
                seen.append(503)
        return seen

    first = pattern(fast.url)
    with thread_server(Settings(data_dir=None, seed=7)) as again:
        assert pattern(again.url) == first
    assert 3 < first.count(503) < 17


def test_limits_answer_with_the_real_errors() -> None:
    settings = Settings(data_dir=None, queue_delay=3600, max_active_batches=2, max_storage_bytes=10)
    with thread_server(settings) as server:
        client = make_client(server.url, "k")
        for _ in range(2):
            client.batches.create(model="gemini-2.5-flash", src=INLINE[:1])
        with pytest.raises(errors.ClientError) as exc:
            client.batches.create(model="gemini-2.5-flash", src=INLINE[:1])
        assert exc.value.code == 429 and exc.value.status == "RESOURCE_EXHAUSTED"
        other = make_client(server.url, "other")
        assert other.batches.create(model="gemini-2.5-flash", src=INLINE[:1]).name
        with pytest.raises(errors.ClientError) as exc:
            client.files.upload(file=io.BytesIO(b"x" * 11), config={"mime_type": "text/plain"})
        assert exc.value.code == 429


def test_seeded_resources_are_readable_by_name_and_export_round_trips(fast: ThreadServer) -> None:
    control = EmulatorControl(fast.url)
    document = {
        "apiKey": "seeded",
        "files": [{"name": "files/input-1", "mimeType": "application/jsonl", "text": request_line("a", "hello")}],
        "batches": [
            {
                "name": "batches/done-1",
                "model": "gemini-2.5-flash",
                "state": "BATCH_STATE_SUCCEEDED",
                "file": "files/input-1",
            },
            {"name": "batches/failed-1", "model": "gemini-2.5-flash", "state": "FAILED", "requests": INLINE[:2]},
            {"name": "batches/queued-1", "model": "gemini-2.5-flash", "requests": INLINE[:1], "displayName": "q"},
        ],
    }
    assert control.seed(document)["created"] == [
        "files/input-1",
        "batches/done-1",
        "batches/failed-1",
        "batches/queued-1",
    ]
    assert control.seed(document)["skipped"]  # applying it again changes nothing
    client = make_client(fast.url, "seeded")
    done = client.batches.get(name="batches/done-1")
    assert done.state.name == "JOB_STATE_SUCCEEDED"
    assert json.loads(client.files.download(file=done.dest.file_name))["key"] == "a"
    assert client.batches.get(name="batches/failed-1").state.name == "JOB_STATE_FAILED"
    exported = control.export_state(api_key="seeded")
    assert {b["name"] for b in exported["batches"]} == {"batches/done-1", "batches/failed-1", "batches/queued-1"}
    with thread_server(Settings(data_dir=None, queue_delay=0, request_latency=0)) as other:
        EmulatorControl(other.url).seed(exported)
        copy = make_client(other.url, "seeded")
        assert copy.batches.get(name="batches/done-1").state.name == "JOB_STATE_SUCCEEDED"
        assert copy.files.get(name="files/input-1").size_bytes == len(document["files"][0]["text"])


def test_force_reset_and_journal(fast: ThreadServer) -> None:
    control, client = EmulatorControl(fast.url), make_client(fast.url, "j")
    control.configure(latency={"queue_delay": 3600})
    job = client.batches.create(model="gemini-2.5-flash", src=INLINE[:3])
    forced = control.force(job.name, "BATCH_STATE_SUCCEEDED")
    assert forced["metadata"]["state"] == "BATCH_STATE_SUCCEEDED"
    assert len(client.batches.get(name=job.name).dest.inlined_responses) == 3
    with pytest.raises(ControlError) as exc:
        control.force(job.name, "BATCH_STATE_FAILED")
    assert exc.value.code == 400
    assert [r["operation"] for r in control.requests(api_key="j")] == ["batches.create", "batches.get"]
    control.reset(api_key="j")
    assert control.requests(api_key="j") == []
    assert list(client.batches.list()) == []
    control.configure(latency={"queue_delay": 0})


def test_openapi_documents_every_control_route(fast: ThreadServer) -> None:
    from emulator.asgi.routing import all_routes
    from emulator.control.routes import routes

    document = httpx.get(f"{fast.url}/_emulator/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    served = {r.path.replace("{batch_id:rid}", "{batch_id}") for r in all_routes(routes, under="/_emulator")}
    assert served == {path for path in document["paths"] if path.startswith("/_emulator")}


def test_job_rules_can_give_matching_batches_their_own_latency(manual: ThreadServer) -> None:
    control, client = EmulatorControl(manual.url), make_client(manual.url, "k")
    control.add_fault("job", display_name="slow-*", queue_delay=86400, api_key="k")  # no outcome: timing only
    slow = client.batches.create(model="gemini-2.5-flash", src=INLINE[:1], config={"display_name": "slow-1"})
    quick = client.batches.create(model="gemini-2.5-flash", src=INLINE[:1], config={"display_name": "quick-1"})
    control.advance(hours=23)
    assert client.batches.get(name=quick.name).state.name == "JOB_STATE_SUCCEEDED"
    assert client.batches.get(name=slow.name).state.name == "JOB_STATE_PENDING"
    control.advance(hours=3)  # 24 h queued + 2 h for its one request
    assert client.batches.get(name=slow.name).state.name == "JOB_STATE_SUCCEEDED"
