"""A user's test file: the fixtures, the marker and the environment wiring of the pytest plugin, as an
installed wheel provides them (no test extras, no repository on the path)."""

import json
import time
from pathlib import Path

import pytest
from google import genai


def summarize(texts):
    """Application code under test: it builds its own client from the environment."""
    client = genai.Client()
    job = client.batches.create(model="gemini-2.5-flash", src=[{"contents": t} for t in texts])
    while not (job := client.batches.get(name=job.name)).done:
        time.sleep(0.05)
    return [r.response.text for r in job.dest.inlined_responses]


def test_the_emulator_comes_from_the_installed_wheel():
    import emulator

    assert "site-packages" in Path(emulator.__file__).parts, emulator.__file__


def test_inline_batch(genai_client):
    job = genai_client.batches.create(model="gemini-2.5-flash", src=[{"contents": "Say hi."}])
    while not (job := genai_client.batches.get(name=job.name)).done:
        time.sleep(0.05)
    assert job.state.name == "JOB_STATE_SUCCEEDED" and job.dest.inlined_responses[0].response.text


def test_application_code_reads_the_environment(gemini_emulator):
    assert len(summarize(["first", "second"])) == 2
    gemini_emulator.assert_called("batches.create", times=1)


def test_file_batch_upload_and_download(genai_client, gemini_emulator, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"key": "a", "request": {"contents": [{"parts": [{"text": "hi"}]}]}}) + "\n")
    uploaded = genai_client.files.upload(file=path, config={"mime_type": "jsonl"})
    job = genai_client.batches.create(model="gemini-2.5-flash", src=uploaded.name)
    done = gemini_emulator.wait_for_batch(job.name)
    assert done["metadata"]["state"] == "BATCH_STATE_SUCCEEDED"
    job = genai_client.batches.get(name=job.name)
    assert json.loads(genai_client.files.download(file=job.dest.file_name))["key"] == "a"


@pytest.mark.gemini_emulator(clock="manual", queue_delay=6 * 3600)
def test_the_marker_stops_the_clock(genai_client, gemini_emulator):
    job = genai_client.batches.create(model="gemini-2.5-flash", src=[{"contents": "Say hi."}])
    assert genai_client.batches.get(name=job.name).state.name == "JOB_STATE_PENDING"
    gemini_emulator.advance(hours=7)
    assert genai_client.batches.get(name=job.name).state.name == "JOB_STATE_SUCCEEDED"


@pytest.mark.gemini_emulator(request_error_rate=1.0)
def test_the_marker_injects_failing_lines(genai_client):
    job = genai_client.batches.create(model="gemini-2.5-flash", src=[{"contents": "a"}, {"contents": "b"}])
    while not (job := genai_client.batches.get(name=job.name)).done:
        time.sleep(0.05)
    assert all(r.error for r in job.dest.inlined_responses)


@pytest.mark.parametrize("n", range(4))
def test_each_test_has_a_key_of_its_own(genai_client, gemini_emulator, n):
    assert list(genai_client.batches.list()) == []
    genai_client.batches.create(model="gemini-2.5-flash", src=[{"contents": f"test {n}"}])
    other = genai.Client(api_key=f"someone-else-{n}", http_options={"base_url": gemini_emulator.url})
    assert list(other.batches.list()) == []


def test_the_control_client(gemini_emulator_control):
    from emulator.control import EmulatorControl

    assert isinstance(gemini_emulator_control, EmulatorControl)
    assert gemini_emulator_control.health()
