"""`print-config`: every effective setting and where it came from (default, scenario file, preset,
environment, flag), exactly as `serve` would resolve them; and the `healthcheck` command."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from emulator.cli import main
from emulator.config import Settings
from tests.servers import ThreadServer, free_port


def print_config(*args: str, env: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    result = CliRunner().invoke(main, ["print-config", "--json", *args], env=env or {})
    assert result.exit_code == 0, result.output
    config: dict[str, dict[str, Any]] = json.loads(result.output)
    return config


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "ci.toml"
    path.write_text('seed = 11\npublic_url = "http://scenario:1"\n[latency]\nqueue_delay = 5\nrequest_latency = 0.5\n')
    return path


def test_every_setting_is_listed_with_its_default() -> None:
    config = print_config(env={})
    assert set(config) == {f.name for f in dataclasses.fields(Settings)} | {"log_format"}
    assert config["port"] == {"value": 8790, "source": "default"}
    assert config["host"] == {"value": "127.0.0.1", "source": "default"}
    assert config["log_format"] == {"value": "text", "source": "default"}
    assert config["faults"]["source"] == "default" and not any(config["faults"]["value"].values())


def test_each_source_is_named_and_precedence_is_servers(scenario: Path) -> None:
    env = {
        "GEMINI_EMULATOR_SCENARIO": str(scenario),
        "GEMINI_EMULATOR_SEED": "22",  # environment beats the scenario
        "GEMINI_EMULATOR_HOST": "0.0.0.0",
        "GEMINI_EMULATOR_LOG_FORMAT": "json",
    }
    config = print_config("--seed", "33", "--queue-delay", "1", env=env)  # flags beat the environment
    assert config["seed"] == {"value": 33, "source": "flag --seed"}
    assert config["queue_delay"] == {"value": "1", "source": "flag --queue-delay"}
    assert config["host"] == {"value": "0.0.0.0", "source": "environment GEMINI_EMULATOR_HOST"}
    assert config["request_latency"] == {"value": "0.5", "source": f"scenario {scenario}"}
    assert config["public_url"] == {"value": "http://scenario:1", "source": f"scenario {scenario}"}
    assert config["log_format"] == {"value": "json", "source": "environment GEMINI_EMULATOR_LOG_FORMAT"}
    assert config["port"]["source"] == "default"


def test_presets_and_ephemeral_are_sources_too(scenario: Path) -> None:
    config = print_config("--scenario", str(scenario), "--preset", "fast", "--ephemeral")
    assert config["queue_delay"] == {"value": "0", "source": "preset fast (flag --preset)"}
    assert config["seed"]["source"] == f"scenario {scenario}"
    assert config["data_dir"] == {"value": None, "source": "flag --ephemeral"}


def test_shipped_scenarios_by_name_and_by_the_images_path(monkeypatch: pytest.MonkeyPatch) -> None:
    by_name = print_config("--scenario", "fast")
    assert by_name["request_latency"]["source"].startswith("scenario ")
    assert by_name["request_latency"]["source"].endswith("fixtures/scenarios/fast.toml")
    monkeypatch.chdir(Path(__file__).resolve().parents[2])  # the image's WORKDIR holds fixtures/ too
    by_path = print_config("--scenario", "fixtures/scenarios/fast.toml")
    assert by_path["request_latency"] == {"value": "0", "source": "scenario fixtures/scenarios/fast.toml"}


def test_the_table_has_one_row_per_setting_with_value_and_source() -> None:
    result = CliRunner().invoke(
        main, ["print-config", "--port", "9000"], env={"GEMINI_EMULATOR_REQUEST_ERROR_RATE": "0.25"}
    )
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split(None, 2)[1:] for line in result.output.splitlines()}
    assert rows["setting"] == ["value", "source"]
    assert rows["port"] == ["9000", "flag --port"]
    assert rows["request_error_rate"] == ["0.25", "environment GEMINI_EMULATOR_REQUEST_ERROR_RATE"]
    assert rows["seed"] == ["0", "default"]
    assert len(rows) == len(dataclasses.fields(Settings)) + 2  # + log_format and the header


def test_a_bad_value_exits_non_zero_naming_it() -> None:
    result = CliRunner().invoke(main, ["print-config"], env={"GEMINI_EMULATOR_REQUEST_LATENCY": "-1"})
    assert result.exit_code != 0 and "request_latency" in result.output


def test_print_config_agrees_with_what_serve_runs(tmp_path: Path) -> None:
    """The values print-config shows are the Settings serve builds (same function, same inputs)."""
    from emulator import cli

    seen: dict[str, Settings] = {}
    real = cli.settings_from

    def spy(*args: Any) -> Settings:
        seen["settings"] = real(*args)
        raise SystemExit(0)  # stop before serving

    env = {"GEMINI_EMULATOR_SEED": "5", "GEMINI_EMULATOR_QUEUE_DELAY": "2..3"}
    args = ["--scenario", "fast", "--port", "9001", "--data-dir", str(tmp_path)]
    config = print_config(*args, env=env)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli, "settings_from", spy)
        CliRunner().invoke(main, ["serve", *args], env=env)
    served = seen["settings"]
    for name, row in config.items():
        if name not in ("log_format", "faults", "api_keys", "control_token"):  # secrets are masked
            value = getattr(served, name)
            assert row["value"] == (value if value is None or isinstance(value, int | float) else str(value)), name


def test_healthcheck_exits_zero_only_when_the_emulator_answers(live_server: ThreadServer) -> None:
    port = live_server.url.rsplit(":", 1)[1]
    ok = CliRunner().invoke(
        main, ["healthcheck"], env={"GEMINI_EMULATOR_PORT": port, "GEMINI_EMULATOR_HOST": "0.0.0.0"}
    )
    assert ok.exit_code == 0, ok.output
    assert httpx.get(f"{live_server.url}/_emulator/health").status_code == 200
    down = CliRunner().invoke(main, ["healthcheck"], env={"GEMINI_EMULATOR_PORT": str(free_port())})
    assert down.exit_code == 1 and "unhealthy" in down.output
    wrong = CliRunner().invoke(main, ["healthcheck", "--url", f"{live_server.url}/v1beta/files"])
    assert wrong.exit_code == 1
