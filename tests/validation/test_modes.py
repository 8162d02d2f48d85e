"""The escape hatches: --validation strict|lenient|off and --allow-unknown-models, as settings, a
scenario file and the pytest marker set them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from emulator import Settings
from emulator.config import ConfigError, load_scenario
from tests.servers import thread_server

TYPO = {"contents": [{"parts": [{"text": "hi", "txt": "typo"}]}]}
BAD_TYPE = {"contents": [{"parts": [{"text": "hi"}]}], "generationConfig": {"temperature": "hot"}}
KEY = {"x-goog-api-key": "k"}


def call(url: str, body: dict, model: str = "gemini-2.5-flash") -> httpx.Response:
    return httpx.post(f"{url}/v1beta/models/{model}:generateContent", json=body, headers=KEY)


def test_strict_refuses_unknown_names_and_models() -> None:
    with thread_server(Settings(data_dir=None)) as server:
        assert call(server.url, TYPO).status_code == 400
        assert call(server.url, {"contents": [{"parts": [{"text": "a"}]}]}, "gemini-next").status_code == 404


def test_lenient_lets_unknown_names_through_and_journals_them() -> None:
    with thread_server(Settings(data_dir=None, validation="lenient")) as server:
        r = call(server.url, TYPO)
        assert r.status_code == 200, r.text
        assert call(server.url, BAD_TYPE).status_code == 400  # only unknown names are let through
        journal = httpx.get(f"{server.url}/_emulator/requests", params={"operation": "models.generateContent"}).json()
        [warned] = [entry for entry in journal["requests"] if entry.get("warnings")]
        assert warned["status"] == 200
        assert 'Unknown name "txt"' in warned["warnings"][0]


def test_off_answers_anything_but_unknown_models_still_404() -> None:
    with thread_server(Settings(data_dir=None, validation="off")) as server:
        assert call(server.url, TYPO).status_code == 200
        assert call(server.url, BAD_TYPE).status_code == 200
        assert call(server.url, {"contents": [{"parts": [{"text": "a"}]}]}, "gemini-next").status_code == 404


def test_allow_unknown_models() -> None:
    with thread_server(Settings(data_dir=None, allow_unknown_models=True)) as server:
        r = call(server.url, {"contents": [{"parts": [{"text": "a"}]}]}, "gemini-next")
        assert r.status_code == 200 and r.json()["modelVersion"] == "gemini-next"
        assert call(server.url, TYPO, "gemini-next").status_code == 400  # the body is still checked


def test_a_scenario_file_sets_both(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text('validation = "lenient"\nallow_unknown_models = true\n')
    assert load_scenario(str(scenario)) == {"validation": "lenient", "allow_unknown_models": True}
    scenario.write_text('validation = "loose"\n')
    with pytest.raises(ConfigError, match="validation"):
        Settings(**load_scenario(str(scenario)))
    scenario.write_text('allow_unknown_models = "yes"\n')
    with pytest.raises(ConfigError, match="allow_unknown_models"):
        load_scenario(str(scenario))


@pytest.mark.gemini_emulator(validation="lenient", allow_unknown_models=True)
def test_the_marker_sets_both(gemini_emulator) -> None:
    r = call(gemini_emulator.url, TYPO, "gemini-next")
    assert r.status_code == 200, r.text


def test_lenient_inline_batches_are_created_and_journaled() -> None:
    with thread_server(Settings(data_dir=None, validation="lenient", queue_delay=0, request_latency=0)) as server:
        body = {"batch": {"inputConfig": {"requests": {"requests": [{"request": TYPO}]}}}}
        r = httpx.post(f"{server.url}/v1beta/models/gemini-2.5-flash:batchGenerateContent", json=body, headers=KEY)
        assert r.status_code == 200, r.text
        journal = httpx.get(f"{server.url}/_emulator/requests", params={"operation": "batches.create"}).json()
        [created] = journal["requests"]
        assert "requests[0].request.contents[0].parts[0]" in created["warnings"][0]
