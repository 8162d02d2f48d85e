"""The docs are part of the product: their examples run against a live emulator.

A Python block preceded by a `<!-- tested: tests/test_docs.py -->` marker is run in a subprocess with
`GOOGLE_GEMINI_BASE_URL` and a fresh `GOOGLE_API_KEY`. A marker may carry settings,
`<!-- tested: tests/test_docs.py clock=manual queue_delay=3600 -->`: the example then gets an emulator of
its own built with those `Settings` (values read as JSON where they parse, as strings otherwise)
instead of the shared one. docs/outputs.md is run by tests/outputs/.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from emulator import Settings
from tests.servers import ThreadServer, thread_server

ROOT = Path(__file__).resolve().parent.parent
_MARKED = re.compile(r"<!-- tested([^>]*?)-->[ \t]*\n```python\n(.*?)```", re.S)
_SETTING = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(\S+)")
DOCS = sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "outputs.md")


@dataclass(frozen=True)
class Example:
    code: str
    line: int
    settings: dict[str, Any] = field(default_factory=dict)


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def marked_examples(doc: Path) -> list[Example]:
    """Every marked Python block of `doc`, with the line it starts on and its marker's settings."""
    text = doc.read_text()
    return [
        Example(
            code=m.group(2),
            line=text.count("\n", 0, m.start(2)) + 1,
            settings={k: _value(v) for k, v in _SETTING.findall(m.group(1))},
        )
        for m in _MARKED.finditer(text)
    ]


def examples_in(doc: Path) -> list[str]:
    """Python code blocks preceded by a `<!-- tested ... -->` marker."""
    return [example.code for example in marked_examples(doc)]


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


def _run_marked(example: Example, doc: Path, shared: ThreadServer, cwd: Path) -> None:
    api_key = f"docs-{uuid.uuid4().hex}"  # a fresh key: examples never see each other's state
    cwd.mkdir()
    try:
        if example.settings:
            with thread_server(Settings(data_dir=None, **example.settings)) as own:
                run_example(example.code, own, api_key, cwd)
        else:
            run_example(example.code, shared, api_key, cwd)
    except AssertionError as exc:
        raise AssertionError(f"docs/{doc.name}, the example at line {example.line}:\n{exc}") from None


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_doc_examples_run(doc: Path, live_server: ThreadServer, tmp_path: Path) -> None:
    """Each example on its own key (or its own emulator) and in its own directory, so a page's
    examples run side by side."""
    examples = marked_examples(doc)
    assert examples, f"docs/{doc.name} should carry tested examples"
    assert doc.read_text().count("<!-- tested") == len(examples), "a marker must sit right before a ```python fence"
    with ThreadPoolExecutor(max_workers=8) as pool:
        runs = [
            pool.submit(_run_marked, example, doc, live_server, tmp_path / f"line-{example.line}")
            for example in examples
        ]
    for run in runs:
        run.result()


def test_markers_are_read_with_their_settings(tmp_path: Path) -> None:
    doc = tmp_path / "page.md"
    doc.write_text(
        "<!-- tested: tests/test_docs.py -->\n```python\nprint(1)\n```\n\n"
        "<!-- tested: tests/test_docs.py clock=manual queue_delay=3600 clock_start=2026-01-01T00:00:00Z "
        "request_latency=0.5..2 -->\n```python\nprint(2)\n```\n\n"
        "```python\nprint('not marked')\n```\n"
    )
    first, second = marked_examples(doc)
    assert (first.code, first.line, first.settings) == ("print(1)\n", 3, {})
    assert second.settings == {
        "clock": "manual",
        "queue_delay": 3600,
        "clock_start": "2026-01-01T00:00:00Z",
        "request_latency": "0.5..2",
    }
    assert second.line == 8
    assert examples_in(doc) == ["print(1)\n", "print(2)\n"]
    Settings(data_dir=None, **second.settings)  # what a dedicated emulator is built from


def test_the_control_plane_page_lists_every_route() -> None:
    from emulator.admin.routes import routes

    doc = (ROOT / "docs" / "control-plane.md").read_text()
    for route in routes:
        path = re.escape(re.sub(r"\{[^}]*\}", "{id}", route.path))
        for method in sorted((route.methods or set()) - {"HEAD"}):
            assert re.search(rf"{method}[^|\n]*?{path}(?![\w/{{:.-])", doc), f"{method} {route.path}"
