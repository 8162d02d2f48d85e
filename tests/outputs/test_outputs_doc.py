"""docs/outputs.md is part of the product: its marked examples run against a live emulator."""

from __future__ import annotations

from pathlib import Path

from tests.servers import ThreadServer
from tests.test_docs import ROOT, examples_in, run_example


def test_outputs_doc_examples_run(live_server: ThreadServer, api_key: str, tmp_path: Path) -> None:
    blocks = examples_in(ROOT / "docs" / "outputs.md")
    assert len(blocks) >= 6, "docs/outputs.md should carry tested examples"
    for code in blocks:
        run_example(code, live_server, api_key, tmp_path)
