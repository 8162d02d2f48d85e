"""Scenarios from the command line: the shipped ones load and behave as their headers say, precedence
(defaults < scenario < environment < flags), clear failures naming the bad key, presets, seed files."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from google import genai
from google.genai import errors

from emulator import Settings
from emulator.cli import main, serve, settings_from
from emulator.config import _TABLES, PRESETS, load_scenario, shipped_scenario_dirs
from emulator.control import EmulatorControl
from emulator.faults.rules import Span
from tests.sdk.helpers import make_client, request_line, wait_done
from tests.servers import ProcessServer, ThreadServer, thread_server

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["fast", "realistic", "flaky-http", "job-fails", "expires", "partial-failures"]
SETTINGS_FIELDS = {f.name for f in dataclasses.fields(Settings)}
ONE = [{"contents": [{"parts": [{"text": "Hi"}], "role": "user"}]}]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings from the environment of whoever runs the suite must not leak into these tests."""
    for name in list(os.environ):
        if name.startswith("GEMINI_EMULATOR_"):
            monkeypatch.delenv(name)


def invoke(*args: str) -> Any:
    """`gemini-batch-emulator ARGS` in-process; a command that unexpectedly passes validation fails
    instead of serving forever."""

    def refuse(self: uvicorn.Server, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("the command would have started serving")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(uvicorn.Server, "run", refuse)
        return CliRunner().invoke(main, list(args))


def settings_for(*args: str) -> Settings:
    """What `serve ARGS` would run with (environment included), through the command's own code."""
    ctx = serve.make_context("serve", list(args))
    params = dict(ctx.params)
    options = {name: value for name, value in params.items() if name in SETTINGS_FIELDS}  # not --log-format
    with ctx:
        return settings_from(ctx, params["scenario"], params["preset"], params["ephemeral"], options)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# --- the shipped scenarios -----------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_loads_by_name_and_by_path(name: str) -> None:
    path = ROOT / "fixtures" / "scenarios" / f"{name}.toml"
    header = path.read_text().splitlines()[0]
    assert header.startswith(f"# {name}: "), "each scenario opens with a comment saying what it is for"
    assert load_scenario(name) == load_scenario(str(path))
    Settings(**load_scenario(name))
    settings = settings_for("--scenario", name, "--ephemeral")
    assert settings.data_dir is None


def test_the_shipped_set_includes_what_the_docs_list() -> None:
    (directory,) = [d for d in shipped_scenario_dirs() if d.resolve() == (ROOT / "fixtures" / "scenarios").resolve()]
    assert set(SHIPPED) <= {p.stem for p in directory.glob("*.toml")}
    scenarios_doc = (ROOT / "docs" / "scenarios.md").read_text()
    fixtures_readme = (ROOT / "fixtures" / "README.md").read_text()
    for name in SHIPPED:
        assert f"| `{name}` |" in scenarios_doc and f"| `{name}` |" in fixtures_readme


def test_the_docs_name_every_scenario_key() -> None:
    """fixtures/README.md and docs/scenarios.md document the whole format: every table and key."""
    readme = (ROOT / "fixtures" / "README.md").read_text()
    scenarios_doc = (ROOT / "docs" / "scenarios.md").read_text()
    for table, keys in _TABLES.items():
        if table:
            assert f"`[{table}]`" in readme and f"[{table}]" in scenarios_doc
        for key in keys:
            assert f"`{key}`" in readme, key
            assert re.search(rf"^(# )?{key} = ", scenarios_doc, re.M), key
    for kind in ("http", "job", "line", "quirk"):
        assert f"`[[faults.{kind}]]`" in readme and f"[[faults.{kind}]]" in scenarios_doc
    for preset in PRESETS:
        assert f"| `{preset}` |" in readme


def test_the_documented_example_of_the_format_is_a_valid_scenario(tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "scenarios.md").read_text()
    (example,) = [block for block in re.findall(r"```toml\n(.*?)```", doc, re.S) if "[[faults.line]]" in block]
    values = load_scenario(str(write(tmp_path / "example.toml", example)))
    settings = Settings(**values)
    assert (settings.seed, settings.clock, settings.time_scale) == (7, "manual", 3600)
    assert settings.queue_delay == Span(60, 600) and settings.request_latency == Span(0.5, 0.5)
    faults = settings.faults
    assert [len(rules) for rules in (faults.http, faults.job, faults.line, faults.quirk)] == [1, 1, 1, 1]
    assert settings.seed_file == tmp_path / "seed.toml"


@pytest.mark.parametrize("path", sorted((ROOT / "fixtures" / "scenarios").glob("*.toml")), ids=lambda p: p.stem)
def test_every_scenario_file_in_the_fixtures_builds_settings(path: Path) -> None:
    Settings(**load_scenario(path.stem))


def test_fast_batches_are_done_when_the_runner_is_idle() -> None:
    with thread_server(Settings(data_dir=None, **load_scenario("fast"))) as server:
        client = make_client(server.url, "k")
        job = client.batches.create(model="gemini-2.5-flash", src=ONE * 3)
        assert EmulatorControl(server.url).wait_idle(timeout=5)
        assert client.batches.get(name=job.name).state.name == "JOB_STATE_SUCCEEDED"


def test_realistic_plays_real_turnaround_an_hour_a_second() -> None:
    settings = Settings(data_dir=None, **load_scenario("realistic"))
    assert (settings.clock, settings.time_scale) == ("real", 3600)
    assert (str(settings.queue_delay), str(settings.request_latency), str(settings.batch_overhead)) == (
        "120..3600",
        "0.05..0.5",
        "60..600",
    )


def test_job_fails_ends_batches_by_display_name() -> None:
    with thread_server(Settings(data_dir=None, **load_scenario("job-fails"))) as server:
        client = make_client(server.url, "k")
        src = [{"contents": [{"parts": [{"text": f"q{i}"}], "role": "user"}]} for i in range(4)]
        names = {
            display: client.batches.create(model="gemini-2.5-flash", src=src, config={"display_name": display}).name
            for display in ("fail-1", "halfway-1", "cancel-1", "expire-1", "hang-1", "other")
        }
        states = {display: wait_done(client, name).state.name for display, name in names.items() if display != "hang-1"}
        assert states == {
            "fail-1": "JOB_STATE_FAILED",
            "halfway-1": "JOB_STATE_FAILED",
            "cancel-1": "JOB_STATE_CANCELLED",
            "expire-1": "JOB_STATE_EXPIRED",
            "other": "JOB_STATE_SUCCEEDED",
        }
        assert client.batches.get(name=names["hang-1"]).state.name == "JOB_STATE_RUNNING"
        assert len(client.batches.get(name=names["cancel-1"]).dest.inlined_responses) == 2
        failed = httpx.get(f"{server.url}/v1beta/{names['fail-1']}", headers={"x-goog-api-key": "k"}).json()
        assert failed["error"]["code"] == 13 and "job-fails scenario" in failed["error"]["message"]
        EmulatorControl(server.url).advance(hours=48)
        assert client.batches.get(name=names["hang-1"]).state.name == "JOB_STATE_EXPIRED"


def test_expires_lets_every_batch_and_file_expire_at_48_hours() -> None:
    values = load_scenario("expires")
    assert values["batch_expiry"] / values["time_scale"] == 4  # about 4 real seconds, as the header says
    with thread_server(Settings(data_dir=None, **{**values, "clock": "manual"})) as server:
        client, control = make_client(server.url, "k"), EmulatorControl(server.url)
        uploaded = client.files.upload(file=io.BytesIO(request_line("a", "x").encode()), config={"mime_type": "jsonl"})
        job = client.batches.create(model="gemini-2.5-flash", src=uploaded.name)
        control.advance(hours=47.9)
        assert client.batches.get(name=job.name).state.name == "JOB_STATE_PENDING"
        control.advance(hours=0.2)
        assert client.batches.get(name=job.name).state.name == "JOB_STATE_EXPIRED"
        with pytest.raises(errors.ClientError) as gone:
            client.files.get(name=uploaded.name)
        assert gone.value.code == 403


def test_partial_failures_fail_some_lines_of_a_successful_batch(tmp_path: Path) -> None:
    with thread_server(Settings(data_dir=None, **load_scenario("partial-failures"))) as server:
        client = make_client(server.url, "k")
        lines = [request_line("retry-1", "x"), request_line("u", "an UNSAFE one"), request_line("b", "BLOCKED")]
        lines += [request_line(f"n{i}", f"question {i}") for i in range(400)]
        uploaded = client.files.upload(file=io.BytesIO("\n".join(lines).encode()), config={"mime_type": "jsonl"})
        job = wait_done(client, client.batches.create(model="gemini-2.5-flash", src=uploaded.name).name)
        assert job.state.name == "JOB_STATE_SUCCEEDED"
        results = [json.loads(r) for r in client.files.download(file=job.dest.file_name).decode().splitlines()]
    assert results[0]["error"]["code"] == 429
    assert results[1]["response"]["candidates"][0]["finishReason"] == "SAFETY"
    assert results[2]["response"]["promptFeedback"]["blockReason"] == "SAFETY"
    rest = results[3:]
    errors_by_code = {code: sum(1 for r in rest if r.get("error", {}).get("code") == code) for code in (500, 503)}
    reasons = [r["response"]["candidates"][0]["finishReason"] for r in rest if "response" in r]
    assert 8 <= errors_by_code[500] <= 40 and 3 <= errors_by_code[503] <= 25
    assert 1 <= reasons.count("MAX_TOKENS") <= 20 and reasons.count("STOP") > 300


@pytest.mark.slow
def test_flaky_http_served_from_the_command_shows_its_faults_and_retries_get_through() -> None:
    with ProcessServer(None, "--scenario", "flaky-http") as server:
        faults = httpx.get(f"{server.url}/_emulator/faults").json()
        assert [(r["id"], r["operation"]) for r in faults["http"]] == [
            ("create-429", "batches.create"),
            ("get-503", "batches.get"),
            ("upload-500", "files.upload"),
            ("file-get-504", "files.get"),
            ("list-slow", "batches.list"),
        ]
        assert faults["http"][0]["retryAfter"] == 1 and faults["http"][0]["when"] == {"firstN": 1}
        refused = httpx.post(
            f"{server.url}/v1beta/models/gemini-2.5-flash:batchGenerateContent",
            headers={"x-goog-api-key": "raw"},
            json={"batch": {"inputConfig": {"requests": {"requests": [{"request": ONE[0]}]}}}},
        )
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
        retrying = genai.Client(
            api_key="sdk",
            http_options={
                "base_url": server.url,
                "retry_options": {"attempts": 5, "initial_delay": 0.05, "max_delay": 0.1},
            },
        )
        job = retrying.batches.create(model="gemini-2.5-flash", src=ONE)
        for _ in range(20):
            job = retrying.batches.get(name=job.name)
        assert job.state.name == "JOB_STATE_SUCCEEDED"
        statuses = [r["status"] for r in EmulatorControl(server.url).requests(api_key="sdk")]
        assert statuses[:2] == [429, 200] and 503 in statuses  # faults struck, and retries got through


# --- precedence: defaults < scenario < environment < flags ----------------------------------------


def test_scenario_over_defaults_environment_over_scenario_flags_over_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = write(tmp_path / "s.toml", 'seed = 5\n[latency]\nqueue_delay = 100\n[clock]\nmode = "manual"\n')
    assert settings_for("--ephemeral").seed == 0  # the default
    from_scenario = settings_for("--scenario", str(scenario))
    assert (from_scenario.seed, from_scenario.queue_delay, from_scenario.clock) == (5, Span(100, 100), "manual")
    assert from_scenario.request_latency == Settings().request_latency  # not in the scenario: the default
    monkeypatch.setenv("GEMINI_EMULATOR_SEED", "6")
    monkeypatch.setenv("GEMINI_EMULATOR_SCENARIO", str(scenario))  # the scenario itself may come from there
    assert settings_for().seed == 6
    assert settings_for("--seed", "7").seed == 7
    assert settings_for("--seed", "7").queue_delay == Span(100, 100)  # the rest of the scenario stays


@pytest.mark.slow
def test_precedence_as_a_running_emulator_reports_it(tmp_path: Path) -> None:
    scenario = write(tmp_path / "s.toml", "seed = 5\n[latency]\nqueue_delay = 100\nrequest_latency = 3\n")
    env = {"GEMINI_EMULATOR_SEED": "6", "GEMINI_EMULATOR_QUEUE_DELAY": "50"}
    with ProcessServer(None, "--scenario", str(scenario), "--queue-delay", "7", env=env) as server:
        config = httpx.get(f"{server.url}/_emulator/config").json()
    assert config["seed"] == 6  # environment over scenario
    assert config["latency"]["queueDelay"] == "7"  # flag over environment and scenario
    assert config["latency"]["requestLatency"] == "3"  # scenario over default


def test_preset_realistic_with_a_time_scale() -> None:
    settings = settings_for("--preset", "realistic", "--time-scale", "3600")
    assert settings.time_scale == 3600
    assert (settings.queue_delay, settings.request_latency, settings.batch_overhead) == (
        Span(120, 3600),
        Span(0.05, 0.5),
        Span(60, 600),
    )
    assert settings_for("--preset", "realistic", "--queue-delay", "0").queue_delay == Span(0, 0)  # flags win
    mixed = settings_for("--scenario", "realistic", "--preset", "fast")  # a preset flag over the scenario
    assert (mixed.time_scale, mixed.queue_delay, mixed.batch_overhead) == (3600, Span(0, 0), Span(0, 0))


def test_a_scenario_preset_yields_to_its_own_explicit_keys(tmp_path: Path) -> None:
    scenario = write(tmp_path / "s.toml", '[latency]\npreset = "realistic"\nqueue_delay = "1..2"\n')
    settings = settings_for("--scenario", str(scenario))
    assert (settings.queue_delay, settings.request_latency) == (Span(1, 2), Span(0.05, 0.5))


def test_relative_paths_in_a_scenario_are_read_from_its_directory(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    scenario = write(tmp_path / "sub" / "s.toml", 'seed_file = "seed.json"\nresponses = "/abs/rules.toml"\n')
    settings = settings_for("--scenario", str(scenario))
    assert settings.seed_file == tmp_path / "sub" / "seed.json"
    assert settings.responses == Path("/abs/rules.toml")


# --- invalid scenarios exit non-zero, naming the offending key ------------------------------------

INVALID = {
    "unknown-table-key": ("[latency]\nqueue = 5\n", "latency.queue"),
    "unknown-top-level-key": ('colour = "red"\n', "'colour'"),
    "unknown-clock-key": ("[clock]\nspeed = 2\n", "clock.speed"),
    "table-expected": ('clock = "manual"\n', "[clock]"),
    "bad-span": ('[latency]\nqueue_delay = "5..1"\n', "queue_delay"),
    "bad-number-span": ('[latency]\nrequest_latency = "soon"\n', "request_latency"),
    "bad-clock-mode": ('[clock]\nmode = "scaled"\n', "clock"),
    "bad-time-scale": ("[clock]\ntime_scale = -1\n", "time_scale"),
    "bad-clock-start": ('[clock]\nstart = "yesterday"\n', "clock_start"),
    "bad-preset": ('[latency]\npreset = "slow"\n', "preset"),
    "bad-rate": ("request_error_rate = 2\n", "request_error_rate"),
    "bad-limit": ("[limits]\nmax_active_batches = 0\n", "max_active_batches"),
    "unknown-fault-field": ("[[faults.http]]\nstatsu = 503\n", "statsu"),
    "unknown-fault-status": ('[[faults.http]]\nstatus = "TEAPOT"\n', "status"),
    "fault-without-effect": ('[[faults.http]]\noperation = "files.get"\n', "http fault http-1"),
    "bad-fault-probability": ("[[faults.http]]\nstatus = 503\nprobability = 1.5\n", "probability"),
    "bad-job-outcome": ('[[faults.job]]\noutcome = "EXPLODE"\n', "outcome"),
    "bad-line-regex": ('[[faults.line]]\nprompt = "("\n', "prompt"),
    "bad-finish-reason": ('[[faults.line]]\nfinish_reason = "BORED"\n', "finishReason"),
    "unknown-fault-kind": ("[[faults.disk]]\nstatus = 503\n", "'disk'"),
    "not-toml": ("seed = \n", "not valid TOML"),
}


@pytest.mark.parametrize(("text", "named"), INVALID.values(), ids=INVALID.keys())
def test_an_invalid_scenario_exits_non_zero_naming_the_key(tmp_path: Path, text: str, named: str) -> None:
    scenario = write(tmp_path / "broken.toml", text)
    result = invoke("serve", "--ephemeral", "--scenario", str(scenario))
    assert result.exit_code == 2, result.output
    assert named in result.output and "Traceback" not in result.output


def test_an_unknown_shipped_name_lists_the_shipped_ones() -> None:
    result = invoke("serve", "--ephemeral", "--scenario", "no-such-scenario")
    assert result.exit_code == 2
    assert "no-such-scenario" in result.output
    assert all(name in result.output for name in SHIPPED)


def test_a_missing_scenario_file_is_named(tmp_path: Path) -> None:
    result = invoke("serve", "--ephemeral", "--scenario", str(tmp_path / "gone.toml"))
    assert result.exit_code == 2 and "gone.toml" in result.output


# --- seed files ----------------------------------------------------------------------------------

SEED_TOML = """
apiKey = "test-key"

[[files]]
name = "files/questions"
mimeType = "application/jsonl"
text = '''
{"key": "q1", "request": {"contents": [{"parts": [{"text": "What is a tide?"}]}]}}
'''

[[batches]]
name = "batches/nightly-1"
model = "gemini-2.5-flash"
state = "BATCH_STATE_SUCCEEDED"
file = "files/questions"

[[batches]]
name = "batches/stuck-1"
state = "RUNNING"
requests = [{contents = [{parts = [{text = "Hello"}]}]}]
"""


@pytest.mark.slow
def test_seed_file_creates_resources_at_start_up_once(tmp_path: Path) -> None:
    seed = write(tmp_path / "seed.toml", SEED_TOML)
    for _ in range(2):  # the second start finds them in --data-dir and skips them
        with ProcessServer(tmp_path / "data", "--seed-file", str(seed)) as server:
            client = make_client(server.url, "test-key")
            nightly = client.batches.get(name="batches/nightly-1")
            assert nightly.state.name == "JOB_STATE_SUCCEEDED"
            (line,) = client.files.download(file=nightly.dest.file_name).decode().splitlines()
            assert json.loads(line)["key"] == "q1"
            assert client.batches.get(name="batches/stuck-1").state.name == "JOB_STATE_RUNNING"
            assert client.files.get(name="files/questions").mime_type == "application/jsonl"
            exported = EmulatorControl(server.url).export_state(api_key="test-key")
            assert sorted(b["name"] for b in exported["batches"]) == ["batches/nightly-1", "batches/stuck-1"]
            other = make_client(server.url, "other-key")  # whose they are: another key does not see them
            with pytest.raises(errors.ClientError):
                other.batches.get(name="batches/nightly-1")


@pytest.mark.slow
def test_a_seed_file_without_api_key_is_shared_by_every_key_and_changed_by_none(tmp_path: Path) -> None:
    """The CI sidecar case: fixtures seeded once, read by tests that each use a key of their own."""
    seed = write(tmp_path / "seed.toml", SEED_TOML.replace('apiKey = "test-key"\n', ""))
    with ProcessServer(None, "--seed-file", str(seed)) as server:
        for key in ("a-test-key", "another-test-key"):
            client = make_client(server.url, key)
            nightly = client.batches.get(name="batches/nightly-1")
            assert nightly.state.name == "JOB_STATE_SUCCEEDED"
            (line,) = client.files.download(file=nightly.dest.file_name).decode().splitlines()
            assert json.loads(line)["key"] == "q1"
            assert client.files.get(name="files/questions").mime_type == "application/jsonl"
            assert {b.name for b in client.batches.list()} == {"batches/nightly-1", "batches/stuck-1"}
            # ... a batch of the key's own can read the shared input file
            own = client.batches.create(model="gemini-2.5-flash", src="files/questions")
            assert own.name not in ("batches/nightly-1", "batches/stuck-1")
        # Read-only for every key: changing a fixture answers as for another key's resource.
        with pytest.raises(errors.ClientError) as cancelled:
            client.batches.cancel(name="batches/stuck-1")
        with pytest.raises(errors.ClientError) as deleted:
            client.files.delete(name="files/questions")
        assert (cancelled.value.code, deleted.value.code) == (404, 403)
        assert (
            make_client(server.url, "a-test-key").batches.get(name="batches/stuck-1").state.name == "JOB_STATE_RUNNING"
        )
        # ... and a key's own upload may take a fixture's file name: the key then reads its own.
        mine = client.files.upload(file=io.BytesIO(b"{}\n"), config={"mime_type": "jsonl", "name": "files/questions"})
        assert client.files.get(name=mine.name).size_bytes == 3
        assert make_client(server.url, "a-test-key").files.get(name="files/questions").size_bytes > 3


def test_a_bad_seed_file_stops_the_emulator_naming_the_file(tmp_path: Path) -> None:
    seed = write(tmp_path / "seed.json", json.dumps({"files": [{"text": "no name"}]}))
    server = ProcessServer(None, "--seed-file", str(seed))
    with pytest.raises(RuntimeError, match="exited"):
        server.start()
    server.stop()


# --- regressions: bugs found while writing these tests ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[clock]\ntime_scale = "fast"\n', "time_scale"),
        ('[limits]\nmax_active_batches = "ten"\n', "max_active_batches"),
        ('[latency]\nhttp = "slow"\n', "http_latency"),
        ('request_error_rate = "x"\n', "request_error_rate"),
        ('seed = "abc"\n', "seed"),
        ('log_level = "loud"\n', "log_level"),
        ('responder = "bogus"\n', "responder"),
    ],
    ids=["time_scale", "max_active_batches", "http", "request_error_rate", "seed", "log_level", "responder"],
)
def test_wrong_types_in_a_scenario_are_named(tmp_path: Path, text: str, named: str) -> None:
    scenario = write(tmp_path / "broken.toml", text)
    result = invoke("serve", "--ephemeral", "--scenario", str(scenario))
    assert result.exit_code == 2 and named in result.output


def test_a_toml_datetime_is_a_clock_start(tmp_path: Path) -> None:
    scenario = write(tmp_path / "s.toml", "[clock]\nstart = 2026-01-01T00:00:00Z\n")
    assert settings_for("--scenario", str(scenario)).clock_start == "2026-01-01T00:00:00+00:00"


@pytest.mark.parametrize("item", [{"state": "BOGUS"}, {"kind": "bogus"}], ids=["state", "kind"])
def test_seeding_an_unknown_state_or_kind_is_a_400_and_creates_nothing(item: dict[str, str]) -> None:
    with thread_server(Settings(data_dir=None)) as server:
        document = {"batches": [{"name": "batches/x", "requests": ONE, **item}]}
        response = httpx.post(f"{server.url}/_emulator/seed", json=document)
        assert response.status_code == 400
        assert EmulatorControl(server.url).export_state()["batches"] == []


@pytest.fixture
def shared_real_clock() -> Iterator[ThreadServer]:
    with thread_server(Settings(data_dir=None, queue_delay=0, request_latency=0)) as server:
        yield server


def test_a_key_with_its_clock_set_back_keeps_its_files(shared_real_clock: ThreadServer) -> None:
    control, client = EmulatorControl(shared_real_clock.url), make_client(shared_real_clock.url, "past")
    control.set_time("2020-01-01T00:00:00Z", api_key="past")
    uploaded = client.files.upload(file=io.BytesIO(b"x"), config={"mime_type": "text/plain"})
    client.batches.create(model="gemini-2.5-flash", src=ONE)  # wakes the runner, which sweeps files
    assert control.wait_idle(timeout=5)
    assert client.files.get(name=uploaded.name).name == uploaded.name  # 48 h of its own time have not passed


def test_quirks_given_to_one_key_through_the_config_are_kept(shared_real_clock: ThreadServer) -> None:
    control = EmulatorControl(shared_real_clock.url)
    config = control.configure(apiKey="mine", faults={"quirk": [{"name": "inline-out-of-order"}]})
    assert [rule["name"] for rule in config["faults"]["quirk"]] == ["inline-out-of-order"]
