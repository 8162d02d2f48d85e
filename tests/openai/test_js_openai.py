"""The official `openai` npm package (pinned in tests/js_openai/package.json) against the emulator's
OpenAI-compatible layer: one batch workflow (upload → batch → poll → output and error files → list →
delete) and the synchronous calls (streaming chat, base64 embeddings). Each scenario of
tests/js_openai/e2e.mjs runs in Node with its own API key. `make test` installs
tests/js_openai/node_modules with `npm ci`; without it these tests fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.servers import ThreadServer

JS_DIR = Path(__file__).resolve().parents[1] / "js_openai"
TIMEOUT_S = 120
_SCRUBBED = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID")


def run_scenario(scenario: str, server: ThreadServer, api_key: str) -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: the openai npm package tests need Node.js (20+)", pytrace=False)
    installed = JS_DIR / "node_modules" / "openai" / "package.json"
    if not installed.is_file():
        pytest.fail(
            f"{installed.parent.parent} is missing: run `make test` or `cd tests/js_openai && npm ci`", pytrace=False
        )
    wanted = json.loads((JS_DIR / "package.json").read_text())["dependencies"]["openai"]
    have = json.loads(installed.read_text())["version"]
    if have != wanted:
        pytest.fail(f"tests/js_openai has openai {have}, package.json pins {wanted}: run `npm ci`", pytrace=False)
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(EMULATOR_URL=server.url, OPENAI_API_KEY=api_key, NO_COLOR="1")
    done = subprocess.run(
        [node, "e2e.mjs", scenario], cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    if done.returncode != 0:
        pytest.fail(
            f"node {scenario} exited with {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}",
            pytrace=False,
        )
    assert done.stdout.rstrip().endswith(f"ok {scenario}"), done.stdout
    return done.stdout


def test_batch_workflow(live_server: ThreadServer, api_key: str) -> None:
    run_scenario("batch", live_server, api_key)


def test_streaming_chat_and_embeddings(live_server: ThreadServer, api_key: str) -> None:
    run_scenario("sync", live_server, api_key)
