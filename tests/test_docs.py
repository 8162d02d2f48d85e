"""The docs are part of the product: their examples run against a live emulator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.servers import ThreadServer

ROOT = Path(__file__).resolve().parent.parent


def examples_in(doc: Path) -> list[str]:
    """Python code blocks preceded by a `<!-- tested ... -->` marker."""
    pattern = re.compile(r"<!-- tested[^>]*-->\s*```python\n(.*?)```", re.S)
    return pattern.findall(doc.read_text())


def run_example(code: str, server: ThreadServer, api_key: str, cwd: Path) -> str:
    env = {**os.environ, "GOOGLE_GEMINI_BASE_URL": server.url, "GOOGLE_API_KEY": api_key}
    env.pop("GEMINI_API_KEY", None)
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_readme_quickstart_runs(live_server: ThreadServer, api_key: str, tmp_path: Path) -> None:
    (code,) = examples_in(ROOT / "README.md")
    out = run_example(code, live_server, api_key, tmp_path).splitlines()
    assert out[0] == "JOB_STATE_SUCCEEDED"
    assert [line.split()[0] for line in out[1:]] == ["request-0", "request-1", "request-2"]


def test_api_doc_examples_run(live_server: ThreadServer, api_key: str, tmp_path: Path) -> None:
    blocks = examples_in(ROOT / "docs" / "api.md")
    assert blocks, "docs/api.md should carry tested examples"
    for code in blocks:
        run_example(code, live_server, api_key, tmp_path)
