"""pytest + testcontainers-python: the emulator image as a session fixture, one container per run.

    pip install testcontainers google-genai pytest
    docker build -t gemini-batch-emulator .
    pytest docs/ci/testcontainers_example.py

`make test-image` runs this file against the image under podman (TESTCONTAINERS_RYUK_DISABLED=true);
tests/sidecar/ also runs it with a stand-in for testcontainers that starts the image's entrypoint on
the host.
"""

import os
import time
import urllib.request

import pytest
from google import genai
from testcontainers.core.container import DockerContainer

IMAGE = os.environ.get("GEMINI_EMULATOR_IMAGE", "gemini-batch-emulator:latest")


@pytest.fixture(scope="session")
def gemini_base_url():
    container = (
        DockerContainer(IMAGE)
        .with_env("GEMINI_EMULATOR_QUEUE_DELAY", "0")
        .with_env("GEMINI_EMULATOR_REQUEST_LATENCY", "0")
        .with_exposed_ports(8790)
    )
    with container:
        url = f"http://{container.get_container_host_ip()}:{container.get_exposed_port(8790)}"
        deadline = time.monotonic() + 30
        while True:  # ready when the health check answers, as the image's HEALTHCHECK decides
            try:
                with urllib.request.urlopen(f"{url}/_emulator/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.2)
        yield url


@pytest.fixture
def client(gemini_base_url):
    client = genai.Client(api_key="any-key", http_options={"base_url": gemini_base_url})
    yield client
    client.close()


def test_inline_batch_succeeds(client):
    job = client.batches.create(model="gemini-2.5-flash", src=[{"contents": "Say hi."}])
    while not (job := client.batches.get(name=job.name)).done:
        time.sleep(0.1)
    assert job.state.name == "JOB_STATE_SUCCEEDED"
    assert job.dest.inlined_responses[0].response.text
