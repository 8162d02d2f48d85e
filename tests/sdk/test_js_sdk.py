"""The official JS SDK (`@google/genai`, pinned in tests/js/package.json) against the live emulator.

Each test runs one scenario of tests/js/e2e.mjs in Node with its own API key (state is partitioned
by key). `make test` installs tests/js/node_modules with `npm ci`; without it these tests fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.servers import ThreadServer

JS_DIR = Path(__file__).resolve().parents[1] / "js"
SCRIPT = JS_DIR / "e2e.mjs"
TIMEOUT_S = 120

# Inherited settings that would redirect or reconfigure the SDK behind the test's back.
_SCRUBBED = (
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_VERTEX_BASE_URL",
    "GOOGLE_GENAI_API_VERSION",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
)


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: the JS SDK tests need Node.js (20+)", pytrace=False)
    installed = JS_DIR / "node_modules" / "@google" / "genai" / "package.json"
    if not installed.is_file():
        pytest.fail(f"{JS_DIR / 'node_modules'} is missing: run `make test` or `cd tests/js && npm ci`", pytrace=False)
    wanted = json.loads((JS_DIR / "package.json").read_text())["dependencies"]["@google/genai"]
    have = json.loads(installed.read_text())["version"]
    if have != wanted:
        pytest.fail(
            f"tests/js/node_modules has @google/genai {have}, package.json pins {wanted}: run `npm ci`", pytrace=False
        )
    return node


def run_scenario(scenario: str, server: ThreadServer, api_key: str, *, script: Path = SCRIPT, **extra_env: str) -> str:
    """Run `scenario` of `script` (tests/js/e2e.mjs unless told) in Node against `server`."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(EMULATOR_URL=server.url, GEMINI_API_KEY=api_key, NO_COLOR="1", **extra_env)
    cmd = [_node(), str(script), scenario]
    try:
        proc = subprocess.run(cmd, cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        out, err = (s.decode(errors="replace") if isinstance(s, bytes) else (s or "") for s in (exc.stdout, exc.stderr))
        pytest.fail(
            f"node {scenario} timed out after {TIMEOUT_S} s\n--- stdout\n{out}\n--- stderr\n{err}", pytrace=False
        )
    if proc.returncode != 0:
        pytest.fail(
            f"node {scenario} exited with {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}",
            pytrace=False,
        )
    assert proc.stdout.rstrip().endswith(f"ok {scenario}"), proc.stdout
    print(proc.stdout)  # the step lines, shown by `pytest -rP` or `-s`
    return proc.stdout


def test_files_upload_get_list_download_delete(live_server: ThreadServer, api_key: str) -> None:
    """Path upload (mimeType 'jsonl', client-chosen name), get, list pageSize 1 over all pages,
    download of a batch output and of the upload, delete then get → 403. apiVersion v1beta."""
    run_scenario("files", live_server, api_key)


def test_batch_from_file_via_env_base_url(live_server: ThreadServer, api_key: str) -> None:
    """Client configured only by GOOGLE_GEMINI_BASE_URL: file batch, poll to JOB_STATE_SUCCEEDED,
    download dest.fileName; keys once and in order; a non-JSON line gets an error line."""
    run_scenario("batch-file", live_server, api_key, GOOGLE_GEMINI_BASE_URL=live_server.url)


def test_inline_batch(live_server: ThreadServer, api_key: str) -> None:
    """src as InlinedRequest[] → dest.inlinedResponses with metadata echoed and readable text."""
    run_scenario("batch-inline", live_server, api_key)


def test_embeddings_batches(live_server: ThreadServer, api_key: str) -> None:
    """createEmbeddings inline → dest.inlinedEmbedContentResponses (8-dim); from a file → JSONL output."""
    run_scenario("embeddings", live_server, api_key)


def test_batches_list_cancel_delete(live_server: ThreadServer, api_key: str) -> None:
    """Cancel a 20,000-line batch at once (CANCELLED, or SUCCEEDED if it won the race), list with
    pageSize 2 over 4 batches, delete then get → 404."""
    run_scenario("batch-admin", live_server, api_key)


def test_error_mapping(live_server: ThreadServer, api_key: str) -> None:
    """Missing batch → 404, missing file → 403, MIME type bad/x → 400 "Unsupported MIME type",
    batch on a missing file → 403."""
    run_scenario("errors", live_server, api_key)
