"""README's "Use it in your project" says what the install test and the image test do.

Its pytest example is run by tests/plugin/test_docs_pytest.py (and against the image by
tests/sidecar/test_image.py); the install lines are the ones tests/install/run.sh follows with the built
wheel; the container lines and the compose sidecar use the image's port, volume and the variables the
image test runs it with.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from emulator.testing.plugin import URL_ENV
from tests.sidecar.image import COMPOSE, example_env, exec_form, final_stage, only

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
PROJECT = ROOT / "tests" / "install" / "project"
SECTION = "## Use it in your project"


def section() -> str:
    start = README.index(SECTION)
    return README[start : README.index("\n## ", start + 1)]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section(), re.S)


def commands(program: str) -> list[list[str]]:
    """Each `program ...` line of the section's bash blocks, split as the shell would (comments off)."""
    lines = [line for block in blocks("bash") for line in block.splitlines()]
    return [shlex.split(line, comments=True) for line in lines if line.startswith(program + " ")]


def test_the_section_comes_right_after_the_two_commands() -> None:
    first_heading = README.index("\n## ")
    assert README.index("make run") < README.index("make test") < first_heading
    assert README[first_heading + 1 :].startswith(SECTION)


def test_pip_installs_what_the_install_test_installs() -> None:
    ((pip, install, *packages),) = commands("pip")
    assert (pip, install) == ("pip", "install")
    assert packages[0] == "path/to/gemini-batch-emulator", "a checkout, which pip builds with its pyproject.toml"
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"] == "gemini-batch-emulator"
    run_sh = (ROOT / "tests" / "install" / "run.sh").read_text()
    for package in packages[1:]:
        assert re.search(rf"\b{package}\b", run_sh), f"tests/install/run.sh does not install {package}"


def test_the_dev_dependency_snippet_is_valid_and_names_the_same_packages() -> None:
    (snippet,) = blocks("toml")
    group = [Requirement(r) for r in tomllib.loads(snippet)["dependency-groups"]["dev"]]
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    assert [r.name for r in group] == [Requirement(r).name for r in project]
    assert group[0].name == "gemini-batch-emulator" and group[0].url, "a direct reference: it is not on PyPI"


def test_docker_lines_use_the_images_port_and_volume() -> None:
    stage = final_stage()
    port = only(stage, "EXPOSE").args
    (volume,) = exec_form(only(stage, "VOLUME").args)
    (build,) = commands("docker build")
    (run,) = commands("docker run")
    assert build[:4] == ["docker", "build", "-t", "gemini-batch-emulator"]
    assert run[-1] == "gemini-batch-emulator"
    assert run[run.index("-p") + 1] == f"{port}:{port}"
    assert run[run.index("-v") + 1].endswith(f":{volume}")
    assert " ".join(run) in (ROOT / "docs" / "sidecar.md").read_text(), "the same line as docs/sidecar.md"


def test_the_compose_sidecar_is_configured_as_the_image_test_runs_it() -> None:
    yaml = pytest.importorskip("yaml")
    (snippet,) = blocks("yaml")
    services = yaml.safe_load(snippet)["services"]
    emulator, tests = services["gemini-emulator"], services["tests"]
    assert emulator["image"] == "gemini-batch-emulator"
    assert emulator["environment"] == example_env(COMPOSE), "tests/sidecar/test_image.py runs it with these"
    assert tests["depends_on"]["gemini-emulator"]["condition"] == "service_healthy"
    port = only(final_stage(), "EXPOSE").args
    assert tests["environment"] == {URL_ENV: f"http://gemini-emulator:{port}"}, "the plugin's sidecar mode"
