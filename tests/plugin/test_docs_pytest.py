"""The pytest examples in the docs are test files: run each with pytest, through the plugin."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def pytest_examples(doc: Path) -> list[str]:
    return re.findall(r"<!-- run-with-pytest -->\s*```python\n(.*?)```", doc.read_text(), re.S)


@pytest.mark.parametrize("doc", ["README.md", "docs/pytest.md"])
def test_pytest_examples_pass(pytester: pytest.Pytester, doc: str) -> None:
    examples = pytest_examples(ROOT / doc)
    assert examples, f"{doc} should carry pytest examples"
    files = {f"test_example_{i}": code for i, code in enumerate(examples)}
    pytester.makepyfile(**files)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    tests = sum(len(re.findall(r"^(?:async )?def test_", code, re.M)) for code in examples)
    result.assert_outcomes(passed=tests)
