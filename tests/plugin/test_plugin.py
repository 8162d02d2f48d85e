"""The pytest plugin, as its users meet it: example test files run by pytester."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers import ProcessServer

pytestmark = pytest.mark.slow

WORKFLOW = """
import io, json, time
import pytest
from google import genai

LINES = "\\n".join(json.dumps({"key": f"k{i}", "request": {"contents": [{"parts": [{"text": "hi"}]}]}})
                  for i in range(3)).encode()

def run_batch(client):
    uploaded = client.files.upload(file=io.BytesIO(LINES), config={"mime_type": "jsonl"})
    job = client.batches.create(model="gemini-2.5-flash", src=uploaded.name)
    for _ in range(600):
        job = client.batches.get(name=job.name)
        if job.done:
            return job
        time.sleep(0.02)
    raise AssertionError("never finished")
"""


def test_fixtures_wire_the_sdk_and_the_environment(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        WORKFLOW
        + """
def application_code():
    return genai.Client()  # builds its own client from the environment

def test_sdk_client(genai_client, gemini_emulator):
    job = run_batch(genai_client)
    assert job.state.name == "JOB_STATE_SUCCEEDED"
    gemini_emulator.assert_called("batches.create", times=1)
    gemini_emulator.assert_called("batches.get", at_least=1)

def test_application_code(gemini_emulator):
    client = application_code()
    job = run_batch(client)
    assert job.state.name == "JOB_STATE_SUCCEEDED"
    client.files.download(file=job.dest.file_name)
    gemini_emulator.assert_downloaded(job.dest.file_name, times=1)

def test_isolated(genai_client):
    assert list(genai_client.batches.list()) == []  # nothing from the other tests

@pytest.mark.anyio
async def test_async(genai_async_client):
    async with genai_async_client as client:  # closes its connections at the end
        assert [b async for b in await client.batches.list()] == []
"""
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=4)


def test_marker_manual_clock_faults_and_helpers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        WORKFLOW
        + """
@pytest.mark.gemini_emulator(clock="manual", queue_delay=3600, request_latency=60)
def test_a_day_long_job(genai_client, gemini_emulator):
    job = genai_client.batches.create(model="gemini-2.5-flash", src=[{"contents": "hi"}])
    assert genai_client.batches.get(name=job.name).state.name == "JOB_STATE_PENDING"
    gemini_emulator.advance(hours=2)
    assert genai_client.batches.get(name=job.name).state.name == "JOB_STATE_SUCCEEDED"

def test_fail_next_batch(genai_client, gemini_emulator):
    gemini_emulator.fail_next_batch(message="quota")
    first = genai_client.batches.create(model="gemini-2.5-flash", src=[{"contents": "a"}])
    second = genai_client.batches.create(model="gemini-2.5-flash", src=[{"contents": "b"}])
    assert gemini_emulator.wait_for_batch(first.name)["error"]["message"] == "quota"
    assert gemini_emulator.wait_for_batch(second.name)["metadata"]["state"] == "BATCH_STATE_SUCCEEDED"

@pytest.mark.gemini_emulator(request_error_rate=1.0)
def test_every_line_fails(genai_client):
    job = run_batch(genai_client)
    text = genai_client.files.download(file=job.dest.file_name).decode()
    assert text.count('"error"') == 3

@pytest.mark.gemini_emulator(faults={"http": [{"operation": "batches.get", "status": 503, "first_n": 1}]})
def test_http_fault_then_recovery(genai_client, gemini_emulator):
    from google.genai import errors
    job = genai_client.batches.create(model="gemini-2.5-flash", src=[{"contents": "a"}])
    with pytest.raises(errors.ServerError):
        genai_client.batches.get(name=job.name)
    gemini_emulator.wait_for_batch(job.name)

@pytest.mark.gemini_emulator(max_active_batches=1, queue_delay=3600)
def test_settings_of_its_own(genai_client):
    from google.genai import errors
    genai_client.batches.create(model="gemini-2.5-flash", src=[{"contents": "a"}])
    with pytest.raises(errors.ClientError) as exc:
        genai_client.batches.create(model="gemini-2.5-flash", src=[{"contents": "b"}])
    assert exc.value.code == 429
"""
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=5)


def test_conftest_overrides_and_useful_failure_messages(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
import pytest
from emulator import Settings

@pytest.fixture(scope="session")
def gemini_emulator_settings():
    return Settings(data_dir=None, queue_delay=3600)  # batches stay PENDING for an hour
""")
    pytester.makepyfile("""
def test_pending(genai_client, gemini_emulator):
    job = genai_client.batches.create(model="gemini-2.5-flash", src=[{"contents": "a"}])
    assert genai_client.batches.get(name=job.name).state.name == "JOB_STATE_PENDING"
    gemini_emulator.assert_called("batches.create", times=2)
""")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*expected batches.create to be called 2 time(s), it was called 1 time(s). Calls made:*",
            "*batches.create models/gemini-2.5-flash -> 200*",
            "*batches.get batches/* -> 200*",
        ]
    )


def test_parallel_workers_and_sidecar_mode(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(
        WORKFLOW
        + "".join(
            f"""
def test_batch_{i}(genai_client, gemini_emulator):
    job = run_batch(genai_client)
    assert job.state.name == "JOB_STATE_SUCCEEDED"
    assert [b.name for b in genai_client.batches.list()] == [job.name]
    gemini_emulator.assert_called("batches.create", times=1)
"""
            for i in range(4)
        )
        + """
@pytest.mark.gemini_emulator(clock="manual", queue_delay=60)
def test_manual_clock_per_key(genai_client, gemini_emulator):
    job = genai_client.batches.create(model="gemini-2.5-flash", src=[{"contents": "a"}])
    gemini_emulator.advance(minutes=2)
    assert genai_client.batches.get(name=job.name).state.name == "JOB_STATE_SUCCEEDED"
"""
    )
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)
    with ProcessServer(tmp_path / "sidecar", "--queue-delay", "0", "--request-latency", "0") as sidecar:
        result = pytester.runpytest_subprocess("-n", "2", "--gemini-emulator-url", sidecar.url)
        result.assert_outcomes(passed=5)
        pytester.makepyfile(
            test_own="""
import pytest

@pytest.mark.gemini_emulator(max_active_batches=1)
def test_needs_its_own(gemini_emulator):
    pass
"""
        )
        result = pytester.runpytest_subprocess("test_own.py", "--gemini-emulator-url", sidecar.url)
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(["*needs an emulator of its own*"])
