"""The SDK workflow every CI example runs against the emulator: upload a JSONL file, create a batch
from it, poll until it is done, download the results and check them. Exits non-zero on any error.

    GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8790 GOOGLE_API_KEY=any-key python docs/ci/smoke.py

Needs only `pip install google-genai`. tests/sidecar/ runs it against the image's entrypoint.
"""

import json
import os
import tempfile
import time
import urllib.request

from google import genai

BASE_URL = os.environ["GOOGLE_GEMINI_BASE_URL"].rstrip("/")
LINES = 20

# A service container may be listening before the emulator is ready: wait for its health check.
deadline = time.monotonic() + 60
while True:
    try:
        with urllib.request.urlopen(f"{BASE_URL}/_emulator/health", timeout=2) as response:
            if response.status == 200:
                break
    except OSError:
        pass
    if time.monotonic() > deadline:
        raise SystemExit(f"the emulator at {BASE_URL} did not become healthy")
    time.sleep(0.2)

client = genai.Client()  # GOOGLE_GEMINI_BASE_URL and GOOGLE_API_KEY (any value) from the environment
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "requests.jsonl")
    with open(path, "w") as f:
        for i in range(LINES):
            line = {"key": f"request-{i}", "request": {"contents": [{"parts": [{"text": f"Summarise item {i}."}]}]}}
            f.write(json.dumps(line) + "\n")
    uploaded = client.files.upload(file=path, config={"mime_type": "jsonl"})

job = client.batches.create(model="gemini-2.5-flash", src=uploaded.name, config={"display_name": "ci-smoke"})
while not (job := client.batches.get(name=job.name)).done:
    time.sleep(0.2)
assert job.state.name == "JOB_STATE_SUCCEEDED", job.state

results = [json.loads(line) for line in client.files.download(file=job.dest.file_name).decode().splitlines()]
assert [r["key"] for r in results] == [f"request-{i}" for i in range(LINES)], "results out of order or missing"
assert all(r["response"]["candidates"][0]["content"]["parts"][0]["text"] for r in results)
client.close()
print(f"ok: {job.name} answered {len(results)} requests; results in {job.dest.file_name}")
