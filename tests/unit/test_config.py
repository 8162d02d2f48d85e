"""The settings, in-process and fast: every field described once, and what is derived from that
(scenario tables, flags, variables, checks, the run-time changeable fields, the config view)."""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from emulator.cli import main, serve
from emulator.config import (
    LIVE,
    LOG_LEVELS,
    PER_KEY,
    SETTINGS,
    TABLES,
    ConfigError,
    Setting,
    Settings,
    env_name,
    flag_name,
    live_view,
    scenario_document,
    scenario_settings,
)
from emulator.faults.rules import JOB_TIMING, Span

# Options of the command line that are not settings.
OTHER_OPTIONS = {"scenario", "preset", "ephemeral", "log_format"}


def print_config(*args: str, **env: str) -> dict[str, dict[str, Any]]:
    """`print-config --json ARGS` with only these GEMINI_EMULATOR_* variables set."""
    outside: dict[str, str | None] = {name: None for name in os.environ if name.startswith("GEMINI_EMULATOR_")}
    result = CliRunner().invoke(main, ["print-config", "--json", *args], env={**outside, **env})
    assert result.exit_code == 0, result.output
    config: dict[str, dict[str, Any]] = json.loads(result.output)
    return config


# -- one description per field ---------------------------------------------------------------------
def test_every_field_is_described_once() -> None:
    fields = dataclasses.fields(Settings)
    assert [f.name for f in fields] == list(SETTINGS)
    for item in fields:
        described = item.metadata["setting"]
        assert isinstance(described, Setting)
        assert len(described.help) > 10 and described.help.endswith((".", ")")), item.name
        if described.table is not None and described.table:
            assert described.table in TABLES, item.name


def test_flags_and_variables_are_derived_unique_and_all_on_the_command_line() -> None:
    with_flags = [name for name, s in SETTINGS.items() if s.cli]
    flags = [flag_name(name) for name in with_flags]
    variables = [env_name(name) for name in with_flags]
    assert len(set(flags)) == len(flags) and len(set(variables)) == len(variables)
    assert all(v == "GEMINI_EMULATOR_" + n.upper() for n, v in zip(with_flags, variables, strict=True))
    options = {p.name: p for p in serve.params if isinstance(p, click.Option)}
    assert set(options) == set(with_flags) | OTHER_OPTIONS
    for name in with_flags:
        assert options[name].opts == [flag_name(name)] and options[name].envvar == env_name(name)
        assert options[name].help == SETTINGS[name].help
    assert not {env_name(n) for n in OTHER_OPTIONS} & set(variables)


def test_one_list_of_log_levels() -> None:
    option = next(p for p in serve.params if p.name == "log_level")
    assert isinstance(option.type, click.Choice) and tuple(option.type.choices) == LOG_LEVELS
    for level in LOG_LEVELS:
        assert Settings(log_level=level).log_level == level
    with pytest.raises(ConfigError, match=r"^log_level must be one of critical, "):
        Settings(log_level="loud")


def test_one_definition_of_the_latency_triple() -> None:
    assert tuple(name for name, s in SETTINGS.items() if s.kind == "span") == JOB_TIMING
    assert set(JOB_TIMING) <= PER_KEY <= set(JOB_TIMING) | {"clock", "clock_start", "request_error_rate", "faults"}
    assert set(TABLES["latency"].values()) >= set(JOB_TIMING)
    from emulator.testing import PER_KEY_OPTIONS, plugin

    assert PER_KEY_OPTIONS == PER_KEY | {"scenario", "responses"}
    lines: list[str] = []

    class Config:  # what pytest_configure uses of pytest's
        def addinivalue_line(self, name: str, line: str) -> None:
            lines.append(line)

    plugin.pytest_configure(Config())  # type: ignore[arg-type]
    assert all(f"{name}=None" in lines[0] for name in PER_KEY_OPTIONS)  # the marker's documentation


def test_what_can_change_while_running_is_in_the_scenario_format_and_in_the_view() -> None:
    assert PER_KEY - {"clock", "clock_start"} <= LIVE
    for name in LIVE | PER_KEY:
        assert SETTINGS[name].table is not None, name
    view = live_view(Settings())
    shown = {(table, key) for table, keys in view.items() if isinstance(keys, dict) for key in keys}
    shown |= {("", key) for key, value in view.items() if not isinstance(value, dict)}
    from emulator.casing import to_camel

    expected = {(s.table, to_camel(s.key or n)) for n, s in SETTINGS.items() if s.live and s.kind != "faults"}
    assert shown == expected
    assert json.loads(json.dumps(view)) == view


# -- scenario files --------------------------------------------------------------------------------
def test_a_scenario_is_flattened_into_fields_with_either_casing(tmp_path: Path) -> None:
    document = {
        "seed": 3,
        "requestErrorRate": 0.5,
        "clock": {"mode": "manual", "timeScale": 60, "start": "2026-01-01T00:00:00Z"},
        "latency": {"preset": "realistic", "queueDelay": 5, "http": 0.25},
        "limits": {"max_batch_requests": 10, "fileRetention": 60},
        "responses": "answers.toml",
        "models": "/abs/models.json",
        "workers": "auto",
        "api_keys": ["a", "b"],
    }
    values = scenario_settings(document, base_dir=tmp_path)
    assert values == {
        "seed": 3,
        "request_error_rate": 0.5,
        "clock": "manual",
        "time_scale": 60.0,
        "clock_start": "2026-01-01T00:00:00Z",
        "queue_delay": 5,  # given explicitly: wins over the preset
        "request_latency": "0.05..0.5",
        "batch_overhead": "60..600",
        "http_latency": 0.25,
        "max_batch_requests": 10,
        "file_retention": 60.0,
        "responses": tmp_path / "answers.toml",  # relative to the scenario's directory
        "models": Path("/abs/models.json"),
        "workers": None,
        "api_keys": ("a", "b"),
    }
    Settings(**values)


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"latency": {"queue": 5}}, "latency.queue"),
        ({"colour": "red"}, "'colour'"),
        ({"clock": 5}, "[clock]"),
        ({"port": 80}, "'port'"),  # start-up only, not a scenario key
        ({"seed": "seven"}, "seed must be an integer"),
        ({"seed": 1.5}, "seed must be an integer"),
        ({"limits": {"max_file_bytes": True}}, "max_file_bytes must be an integer"),
        ({"latency": {"http": "fast"}}, "http_latency must be a number"),
        ({"limits": {"max_file_bytes": 0}}, "max_file_bytes must be >= 1"),
        ({"request_error_rate": 2}, "request_error_rate must be between 0 and 1"),
        ({"clock": {"mode": "sundial"}}, "clock must be one of real, manual"),
        ({"clock": {"time_scale": 0}}, "time_scale must be > 0"),
        ({"clock": {"start": "yesterday"}}, "clock_start must be an RFC 3339 time"),
        ({"latency": {"queue_delay": "5..1"}}, "queue_delay"),
        ({"latency": {"preset": "slow"}}, "preset must be one of"),
        ({"responder": 5}, "responder must be a string"),
        ({"responder": "telepathic"}, "responder must be default, echo"),
        ({"public_url": "emulator:8790"}, "public_url must start with http://"),
        ({"api_keys": "one"}, "api_keys must be a list of strings"),
        ({"api_keys": [""]}, "api_keys must not contain an empty key"),
        ({"workers": 65}, "workers must be 'auto' or between 0 and 64"),
        ({"log_level": "trace"}, "log_level must be one of"),
        ({"faults": []}, "faults"),
    ],
)
def test_a_bad_scenario_value_is_refused_naming_its_key(document: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError) as raised:
        scenario_settings(document)
    assert named in str(raised.value)


# Valid values of every setting a scenario can hold, drawn from its description.
def _valid(name: str, s: Setting) -> st.SearchStrategy[Any]:
    if s.choices:
        return st.sampled_from(s.choices)
    if s.kind in ("int", "workers"):
        low = 0 if s.low is None else int(s.low) + (1 if s.above else 0)
        high = 64 if s.kind == "workers" else 2**40 if s.high is None else int(s.high)
        return st.integers(low, high)
    if s.kind == "float":
        high = 1e9 if s.high is None else s.high
        return st.floats(0 if s.low is None else s.low, high, exclude_min=s.above, allow_nan=False)
    if s.kind == "span":
        seconds = st.integers(0, 999_999).map(lambda ms: ms / 1000)  # what str(Span) writes exactly
        return st.tuples(seconds, seconds).map(lambda pair: Span(min(pair), max(pair)))
    if name == "quotas":  # MODEL:METRIC=N limits (docs/quotas.md)
        limits = st.sampled_from(["*:rpm=5", "gemini-2.5-flash:enqueued_tokens=1000", "gemini-2.5-pro:tpm=none"])
        return st.lists(limits, max_size=3).map(tuple)
    if s.kind == "keys":
        return st.lists(st.text(min_size=1, max_size=5), max_size=3).map(tuple)
    if s.kind == "bool":
        return st.booleans()
    if s.kind == "path":
        return st.sampled_from([Path("/abs/file.toml"), Path("/x/y.json")])
    special = {
        "clock_start": st.sampled_from(["2026-01-01T00:00:00Z", "2030-06-30T12:00:00+00:00"]),
        "public_url": st.sampled_from(["http://emulator:8790", "https://example.com/base"]),
        "responder": st.sampled_from(["default", "echo", "fixed:hello", "pkg.mod:answer"]),
    }
    return special.get(name, st.text(max_size=8))


SCENARIO_FIELDS = {n: s for n, s in SETTINGS.items() if s.table is not None and s.kind != "faults"}


@given(st.fixed_dictionaries({}, optional={n: _valid(n, s) for n, s in SCENARIO_FIELDS.items()}))
def test_any_valid_values_survive_a_scenario_document_and_build_settings(values: dict[str, Any]) -> None:
    document = json.loads(json.dumps(scenario_document(values), default=str))  # as a file would hold them
    flattened = scenario_settings(document)
    assert set(flattened) == set(values)
    for name, value in values.items():
        if isinstance(value, Span):
            assert Span.parse(flattened[name], name) == value
        elif isinstance(value, float):
            assert math.isclose(flattened[name], value), name
        else:
            assert flattened[name] == value, name
    settings = Settings(**flattened)
    assert all(isinstance(settings.span(name), Span) for name in JOB_TIMING)


@given(
    st.sampled_from([n for n, s in SETTINGS.items() if s.low is not None]),
    st.floats(min_value=1e-6, max_value=1e12),
)
def test_a_value_below_a_bound_is_refused_naming_the_setting(name: str, below: float) -> None:
    low = SETTINGS[name].low
    assert low is not None
    value = math.floor(low - below) if SETTINGS[name].kind == "int" else low - below
    with pytest.raises(ConfigError, match=f"^{name} must be"):
        Settings(**{name: value})


# -- precedence: defaults < scenario file < environment < flags ------------------------------------
def test_each_source_overrides_the_one_below(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text("seed = 1\nresponder = 'echo'\n[latency]\nqueue_delay = 1\nrequest_latency = 1\n")
    env = {"GEMINI_EMULATOR_SEED": "2", "GEMINI_EMULATOR_QUEUE_DELAY": "2", "GEMINI_EMULATOR_API_KEYS": "k1 k2"}
    config = print_config("--scenario", str(scenario), "--queue-delay", "3", **env)
    in_scenario = f"scenario {scenario}"
    assert config["port"] == {"value": Settings().port, "source": "default"}
    assert config["responder"] == {"value": "echo", "source": in_scenario}
    assert config["request_latency"] == {"value": "1", "source": in_scenario}
    assert config["seed"] == {"value": 2, "source": "environment GEMINI_EMULATOR_SEED"}  # over the scenario
    assert config["api_keys"] == {"value": "(2 keys)", "source": "environment GEMINI_EMULATOR_API_KEYS"}
    assert config["queue_delay"] == {"value": "3", "source": "flag --queue-delay"}  # over the environment
    assert config["workers"] == {"value": None, "source": "default"}  # serve's own default: auto
    assert print_config("--api-key", "k")["api_keys"]["source"] == "flag --api-key"


def test_a_flag_checks_what_settings_check() -> None:
    for args in (["--max-file-bytes", "0"], ["--request-error-rate", "2"], ["--time-scale", "0"]):
        result = CliRunner().invoke(main, ["print-config", *args])
        assert result.exit_code != 0 and args[0] in result.output, args
    result = CliRunner().invoke(main, ["print-config", "--port", "70000"])
    assert result.exit_code != 0 and "port must be between 0 and 65535" in result.output
