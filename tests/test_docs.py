"""The docs are part of the product: their examples run against a live emulator.

A Python block preceded by a `<!-- tested: tests/test_docs.py -->` marker is run in a child process with
`GOOGLE_GEMINI_BASE_URL` and a fresh `GOOGLE_API_KEY`. A marker may carry settings,
`<!-- tested: tests/test_docs.py clock=manual queue_delay=3600 -->`: the example then gets an emulator of
its own built with those `Settings` (values read as JSON where they parse, as strings otherwise)
instead of the shared one. docs/outputs.md is run by tests/outputs/.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import io
import json
import multiprocessing
import os
import re
import sys
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest

from emulator import Settings
from tests.servers import ThreadServer, thread_server

ROOT = Path(__file__).resolve().parent.parent
_MARKED = re.compile(r"<!-- tested([^>]*?)-->[ \t]*\n```python\n(.*?)```", re.S)
_SETTING = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(\S+)")
DOCS = sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "outputs.md")
# Pages that must show what they describe in runnable examples (others, e.g. security.md, may not).
FEATURE_PAGES = {"api.md", "clock.md", "latency.md", "faults.md", "control-plane.md", "scenarios.md", "seeding.md"}


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
    """Run `code` as `python -c` would, in a child process with its own environment and directory;
    answers what it printed. The child is forked from a server process that has already imported the
    SDK, which saves most of a second per example."""
    env = {**os.environ, "GOOGLE_GEMINI_BASE_URL": server.url, "GOOGLE_API_KEY": api_key}
    env.pop("GEMINI_API_KEY", None)
    receive, send = _FORKS.Pipe(duplex=False)
    child = _FORKS.Process(target=_example_child, args=(code, env, str(cwd), send), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(_EXAMPLE_TIMEOUT):
            raise AssertionError(f"the example did not finish within {_EXAMPLE_TIMEOUT} s")
        status, stdout, stderr = receive.recv()
    except EOFError:
        status, stdout, stderr = 1, "", "the example's process died without a word"
    finally:
        receive.close()
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
            child.join()
    assert status == 0, stderr
    return str(stdout)


_EXAMPLE_TIMEOUT = 120
_FORKS = multiprocessing.get_context("forkserver")
_FORKS.set_forkserver_preload(["google.genai", "httpx", "emulator.control", "tests.test_docs"])


def _example_child(code: str, env: dict[str, str], cwd: str, send: Connection) -> None:
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.argv, sys.path[0:0] = ["-c"], [""]  # as `python -c`: the working directory comes first
    stdout, stderr = io.StringIO(), io.StringIO()
    status = 0
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                exec(compile(code, "<example>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
            except SystemExit as exit:
                if exit.code not in (None, 0):
                    raise
    except BaseException:
        status = 1
        stderr.write(traceback.format_exc())
    send.send((status, stdout.getvalue(), stderr.getvalue()))
    send.close()


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
    if doc.name in FEATURE_PAGES:
        assert examples, f"docs/{doc.name} should carry tested examples"
    elif not examples:
        pytest.skip(f"docs/{doc.name} has no tested examples")
    assert doc.read_text().count("<!-- tested") == len(examples), "a marker must sit right before a ```python fence"
    runnable = [e for e in examples if not missing_modules(e.code)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        runs = [
            pool.submit(_run_marked, example, doc, live_server, tmp_path / f"line-{example.line}")
            for example in runnable
        ]
    for run in runs:
        run.result()
    if len(runnable) < len(examples):  # e.g. a page about the openai SDK, in an environment without it
        skipped = [f"line {e.line} needs {', '.join(missing_modules(e.code))}" for e in examples if e not in runnable]
        pytest.skip(f"ran {len(runnable)} of {len(examples)} examples; not installed here: {'; '.join(skipped)}")


def missing_modules(code: str) -> list[str]:
    """Top-level modules an example imports that this environment does not have (optional extras)."""
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return sorted(name for name in names if importlib.util.find_spec(name) is None)


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
    from emulator.asgi.routing import all_routes
    from emulator.control.routes import routes

    doc = (ROOT / "docs" / "control-plane.md").read_text()
    for served, route in all_routes(routes, under="/_emulator"):
        path = re.escape(re.sub(r"\{[^}]*\}", "{id}", served))
        for method in sorted((getattr(route, "methods", None) or set()) - {"HEAD"}):
            assert re.search(rf"{method}[^|\n]*?{path}(?![\w/{{:.-])", doc), f"{method} {served}"


def test_run_example_is_python_c_in_a_directory_of_its_own(live_server: ThreadServer, tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("VALUE = 41\n")
    code = "import os, sys, helper\nprint(helper.VALUE + 1, os.environ['GOOGLE_API_KEY'], sys.argv)\n"
    assert run_example(code, live_server, "the-key", tmp_path) == "42 the-key ['-c']\n"
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        run_example("print('partial')\n1 / 0\n", live_server, "k", tmp_path)
    with pytest.raises(AssertionError, match="SystemExit: 3"):
        run_example("import sys\nsys.exit(3)\n", live_server, "k", tmp_path)
    assert run_example("import sys\nsys.exit(0)\n", live_server, "k", tmp_path) == ""


def test_examples_needing_what_is_not_installed_are_told_apart() -> None:
    assert missing_modules("import os\nfrom google import genai\nimport emulator.control\n") == []
    assert missing_modules("import no_such_module_here\nfrom also_missing.sub import x\n") == [
        "also_missing",
        "no_such_module_here",
    ]
