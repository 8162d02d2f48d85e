"""Google's JS samples, unchanged but for the base URL and key (tests/js/parity.mjs), against a live
emulator: the cookbook's file-API sample through the `googleapis` discovery client, and js-genai's
batch-embedding sample through @google/genai."""

from __future__ import annotations

import hashlib
from pathlib import Path

from emulator.responder.images import png
from tests.sdk.test_js_sdk import JS_DIR, run_scenario
from tests.servers import ThreadServer

SCRIPT = JS_DIR / "parity.mjs"


def test_file_api_sample_through_the_discovery_client(live_server: ThreadServer, api_key: str, tmp_path: Path) -> None:
    """quickstarts/file-api/sample.js: `google.discoverAPI` on `/$discovery/rest?version=v1beta`,
    `media.upload` (uploadType=multipart; and uploadType=media), `models.generateContent` with the
    file, then files.get/list/delete and batches.list as the discovered client builds them."""
    sample = tmp_path / "gemini_logo.png"
    sample.write_bytes(png(64, 48, hashlib.sha256(b"gemini logo").digest()))
    run_scenario("file-api-sample", live_server, api_key, script=SCRIPT, SAMPLE_PNG=str(sample))


def test_vnd_jsonl_batch_input(live_server: ThreadServer, api_key: str) -> None:
    """js-genai's batches_embed_file sample uploads with mimeType
    application/vnd.google.generativeai.jsonl: accepted, echoed as given, read as JSON Lines."""
    run_scenario("vnd-jsonl", live_server, api_key, script=SCRIPT)
