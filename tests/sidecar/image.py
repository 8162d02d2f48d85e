"""The image without a container engine: read the Dockerfile, then run its ENTRYPOINT and HEALTHCHECK
on the host with the environment a container would get (`make test-image` runs the image itself).

A `Container` is what `docker run -e ... image` would start: the Dockerfile's ENV, then the
example's variables, then overrides (a free loopback port and a temporary data directory instead
of 0.0.0.0:8790 and /data), in a working directory laid out like the image's WORKDIR. The commands
themselves are the Dockerfile's, word for word, less the init (tini) that is PID 1 in the container;
`gemini-batch-emulator` resolves to this interpreter's console script.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docs" / "ci" / "docker-compose.yml"
GITHUB = ROOT / "docs" / "ci" / "github-actions.yml"
GITLAB = ROOT / "docs" / "ci" / "gitlab-ci.yml"
BIN = Path(sys.executable).parent  # where the project's console script lives


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int


def instructions(path: Path = DOCKERFILE) -> list[Instruction]:
    """Each instruction with its arguments, continuation lines joined and comments dropped."""
    out: list[Instruction] = []
    pending, start = "", 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        text = pending + stripped
        pending = ""
        keyword, _, args = text.partition(" ")
        out.append(Instruction(keyword.upper(), args.strip(), start))
    return out


def final_stage(all_instructions: list[Instruction] | None = None) -> list[Instruction]:
    """The instructions from the last FROM on: what the image that runs is made of."""
    items = all_instructions if all_instructions is not None else instructions()
    last_from = max(i for i, instr in enumerate(items) if instr.keyword == "FROM")
    return items[last_from:]


def only(stage: list[Instruction], keyword: str) -> Instruction:
    found = [i for i in stage if i.keyword == keyword]
    assert len(found) == 1, f"expected exactly one {keyword}, found {len(found)}"
    return found[0]


def exec_form(args: str) -> list[str]:
    """A JSON-array (exec form) command; shell form is refused (no shell as PID 1, signals reach us)."""
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


def env_of(stage: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for instr in stage:
        if instr.keyword == "ENV":
            for word in shlex.split(instr.args):
                key, sep, value = word.partition("=")
                assert sep, f"ENV on line {instr.line}: use KEY=value"
                env[key] = value
    return env


def base_image(all_instructions: list[Instruction] | None = None) -> str:
    """The default of `ARG BASE`, the image both stages are built FROM: name:tag@sha256:digest."""
    items = all_instructions if all_instructions is not None else instructions()
    (arg,) = [i.args for i in items if i.keyword == "ARG" and i.args.startswith("BASE=")]
    return arg.removeprefix("BASE=")


INIT = ["tini", "--"]  # the container's PID 1, which forwards signals to the emulator and reaps


def entrypoint_command(stage: list[Instruction] | None = None) -> list[str]:
    """ENTRYPOINT followed by CMD, as `docker run` would execute them."""
    stage = stage or final_stage()
    cmd = [i for i in stage if i.keyword == "CMD"]
    return exec_form(only(stage, "ENTRYPOINT").args) + (exec_form(cmd[-1].args) if cmd else [])


def healthcheck(stage: list[Instruction] | None = None) -> tuple[dict[str, str], list[str]]:
    """(options such as interval and start-period, the command) of the HEALTHCHECK."""
    args = only(stage or final_stage(), "HEALTHCHECK").args
    options: dict[str, str] = {}
    while args.startswith("--"):
        option, _, args = args.partition(" ")
        key, _, value = option[2:].partition("=")
        options[key] = value
        args = args.strip()
    kind, _, command = args.partition(" ")
    assert kind == "CMD", f"HEALTHCHECK must run a command, not {kind!r}"
    return options, exec_form(command.strip())


def seconds(duration: str) -> float:
    """A Dockerfile duration: 5s, 1m30s, 500ms."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(float(n) * units[u] for n, u in parts)


def example_env(path: Path) -> dict[str, str]:
    """The GEMINI_EMULATOR_* variables a YAML example sets (`KEY: value` or `- KEY=value`)."""
    pattern = re.compile(r"""^\s*-?\s*(GEMINI_EMULATOR_[A-Z_]+)\s*[:=]\s*["']?([^"'\n#]*?)["']?\s*(?:#.*)?$""", re.M)
    return dict(pattern.findall(path.read_text()))


def container_env(extra: dict[str, str], overrides: dict[str, str]) -> dict[str, str]:
    """The host's environment without its own GEMINI_EMULATOR_* settings, then the image's ENV,
    the example's variables and the test's overrides, in that order (as `docker run -e` does)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("GEMINI_EMULATOR_")}
    base["PATH"] = f"{BIN}{os.pathsep}{base.get('PATH', '')}"
    return {**base, **env_of(final_stage()), **extra, **overrides}


class Container:
    """The image's ENTRYPOINT run on the host as a container would run it."""

    def __init__(self, workdir: Path, data_dir: Path, env: dict[str, str] | None = None, *args: str) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.data_dir = data_dir
        self.args = args
        self.env = container_env(
            env or {},
            {
                "GEMINI_EMULATOR_HOST": "127.0.0.1",  # never 0.0.0.0 on a shared machine
                "GEMINI_EMULATOR_PORT": str(self.port),
                "GEMINI_EMULATOR_DATA_DIR": str(data_dir),
            },
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"container-{self.port}.log"
        self.runs = 0

    def start(self) -> Container:
        """`docker run`: start the ENTRYPOINT (plus any arguments appended after the image)."""
        if not (self.workdir / "fixtures").exists():  # the image's WORKDIR has the shipped fixtures
            (self.workdir / "fixtures").symlink_to(ROOT / "fixtures")
        self.runs += 1
        command = entrypoint_command() + list(self.args)
        if command[: len(INIT)] == INIT:  # a process of the host's needs no init of its own
            command = command[len(INIT) :]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                command, cwd=self.workdir, env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        return self

    def healthy(self) -> bool:
        """The HEALTHCHECK's command, run as Docker runs it: exit status 0 means healthy."""
        options, command = healthcheck()
        timeout = seconds(options.get("timeout", "30s"))
        done = subprocess.run(command, cwd=self.workdir, env=self.env, capture_output=True, timeout=timeout + 5)
        return done.returncode == 0

    def wait_healthy(self, timeout: float = 20.0) -> float:
        """Poll the health check until it passes; returns the seconds it took."""
        started = time.monotonic()
        while not self.healthy():
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"the container exited with {self.proc.returncode}:\n{self.logs()}")
            if time.monotonic() - started > timeout:
                raise AssertionError(f"not healthy after {timeout:.0f} s:\n{self.logs()}")
            time.sleep(0.1)
        return time.monotonic() - started

    def stop(self, timeout: float = 10.0) -> int:
        """`docker stop`: SIGTERM, then SIGKILL after the grace period. Returns the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"still running {timeout:.0f} s after SIGTERM:\n{self.logs()}") from None
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> Container:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.kill()
