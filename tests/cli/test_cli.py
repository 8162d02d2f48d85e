"""The command line: flags, their environment variables, clear failures, and the installed package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from google import genai

from emulator import __version__
from emulator.cli import main
from tests.servers import ProcessServer, cpu_ticks, worker_pids

ROOT = Path(__file__).resolve().parents[2]
FLAGS = [
    "--host",
    "--port",
    "--data-dir",
    "--ephemeral",
    "--seed",
    "--request-latency",
    "--request-error-rate",
    "--queue-delay",
    "--public-url",
    "--log-level",
]


def test_help_explains_every_flag_and_its_environment_variable() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for flag in FLAGS:
        assert flag in result.output
        assert "GEMINI_EMULATOR_" + flag[2:].upper().replace("-", "_") in result.output


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


@pytest.mark.parametrize(
    ("args", "env", "fragment"),
    [
        (["--request-error-rate", "2"], {}, "request-error-rate"),
        ([], {"GEMINI_EMULATOR_PORT": "eighty"}, "port"),
        (["--request-latency", "-1"], {}, "request_latency"),
        (["--public-url", "localhost:1"], {}, "public_url"),
    ],
)
def test_bad_settings_exit_non_zero_naming_the_setting(args: list[str], env: dict[str, str], fragment: str) -> None:
    result = CliRunner().invoke(main, ["serve", *args], env=env)
    assert result.exit_code != 0
    assert fragment in result.output


def test_environment_variables_configure_the_server(tmp_path: Path) -> None:
    env = {"GEMINI_EMULATOR_REQUEST_ERROR_RATE": "1", "GEMINI_EMULATOR_QUEUE_DELAY": "0"}
    with ProcessServer(tmp_path / "data", env=env) as server:
        headers = {"x-goog-api-key": "k"}
        body = {
            "batch": {
                "inputConfig": {"requests": {"requests": [{"request": {"contents": [{"parts": [{"text": "a"}]}]}}]}}
            }
        }
        name = httpx.post(
            f"{server.url}/v1beta/models/gemini-2.5-flash:batchGenerateContent", json=body, headers=headers
        ).json()["name"]
        for _ in range(600):
            op = httpx.get(f"{server.url}/v1beta/{name}", headers=headers).json()
            if op.get("done"):
                break
        items = op["metadata"]["output"]["inlinedResponses"]["inlinedResponses"]
        assert items[0]["error"]["status"] == "INTERNAL"  # every request fails at rate 1
    assert (tmp_path / "data" / "emulator.sqlite3").exists()  # --data-dir from the default flag


@pytest.mark.slow
def test_plain_pip_install_ships_every_asset(tmp_path: Path) -> None:
    """`pip install .` (not editable) must give a package that serves: schema and all."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("gemini_batch_emulator-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert "emulator/storage/schema.sql" in names
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "gemini-batch-emulator = emulator.cli:main" in zf.read(entry_points).decode()
        zf.extractall(tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    probe = subprocess.run(
        [sys.executable, "-c", "import emulator, json; print(json.dumps(emulator.__file__))"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(probe.stdout).startswith(str(tmp_path / "site"))
    site = {"PYTHONPATH": str(tmp_path / "site")}
    with ProcessServer(None, "--workers", "2", "--request-latency", "0", env=site, cwd=tmp_path) as server:
        assert httpx.get(f"{server.url}/_emulator/health").json()["status"] == "ok"
        # The batch workers run the installed package too: a large batch goes through them.
        assert server.proc is not None
        deadline = time.monotonic() + 60
        while len(workers := worker_pids(server.proc.pid)) < 2:
            assert time.monotonic() < deadline, "the batch workers did not start"
            time.sleep(0.05)
        before = sum(cpu_ticks(pid) for pid in workers)
        src = tmp_path / "batch.jsonl"
        src.write_bytes(
            b"".join(b'{"request": {"contents": [{"parts": [{"text": "%d"}]}]}}\n' % i for i in range(3000))
        )
        client = genai.Client(api_key="k", http_options={"base_url": server.url})
        uploaded = client.files.upload(file=str(src), config={"mime_type": "application/jsonl"})
        job = client.batches.create(model="gemini-2.5-flash", src=uploaded.name)
        while (job := client.batches.get(name=job.name)).state in ("JOB_STATE_PENDING", "JOB_STATE_RUNNING"):
            assert time.monotonic() < deadline, "the batch did not finish"
            time.sleep(0.05)
        assert job.dest is not None and job.dest.file_name is not None
        output = client.files.download(file=job.dest.file_name)
        assert len(output.splitlines()) == 3000 and b'"error"' not in output
        assert sum(cpu_ticks(pid) for pid in workers) > before


def test_print_config_never_shows_secrets() -> None:
    env = {"GEMINI_EMULATOR_API_KEYS": "key-one key-two", "GEMINI_EMULATOR_CONTROL_TOKEN": "tok3n"}
    result = CliRunner().invoke(main, ["print-config"], env=env)
    assert result.exit_code == 0
    assert "(2 keys)" in result.output and "(set)" in result.output
    assert "key-one" not in result.output and "tok3n" not in result.output
