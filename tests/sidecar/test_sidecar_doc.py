"""docs/sidecar.md shows the CI examples in full: each copy must match its file in docs/ci/."""

from __future__ import annotations

import re

import pytest

from tests.sidecar.image import DOCKERFILE, ROOT, base_image, healthcheck

DOC = ROOT / "docs" / "sidecar.md"
_COPY = re.compile(r"<!-- file: (\S+) -->\n```\w+\n(.*?)```\n", re.S)
EXAMPLES = ["github-actions.yml", "gitlab-ci.yml", "docker-compose.yml", "testcontainers_example.py"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_page_carries_each_example_as_it_is(name: str) -> None:
    copies = dict(_COPY.findall(DOC.read_text()))
    assert copies[f"docs/ci/{name}"] == (ROOT / "docs" / "ci" / name).read_text()


def test_the_page_states_what_the_dockerfile_does() -> None:
    text = DOC.read_text()
    _, command = healthcheck()
    assert f'HEALTHCHECK CMD ["{command[0]}", "{command[1]}"]' in text
    assert "USER 10001:10001" in text and "USER 10001:10001" in DOCKERFILE.read_text()
    assert base_image() in text, "the page names the pinned base, digest included"
    assert re.search(r"about \d+ MB uncompressed, against a target of 150 MB", text)
