"""The built-in responder is built on first use; whatever can fail is still built, and fails, at start-up."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from emulator import Emulator, Settings
from emulator.config import ConfigError
from emulator.responder import LazyResponder, RequestInfo, build_responder, responder_for
from emulator.responder.default import DefaultResponder
from emulator.responder.scripted import ScriptedResponder

INFO = RequestInfo(model="models/gemini-2.5-flash", key="k1")


def ask(text: str) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}]}


@pytest.mark.parametrize("responder", ["default", "echo", "fixed:OK"])
def test_built_in_responder_is_built_on_first_use_and_answers_as_built(responder: str) -> None:
    settings = Settings(responder=responder, seed=3)
    lazy = responder_for(settings)
    assert isinstance(lazy, LazyResponder)
    assert lazy._built is None
    answer = lazy.generate(ask("hello there"), INFO)
    assert lazy._built is not None
    assert answer == build_responder(settings).generate(ask("hello there"), INFO)
    embed = {"content": {"parts": [{"text": "hi"}]}}
    assert lazy.embed(embed, INFO) == build_responder(settings).embed(embed, INFO)


def test_lazy_responder_is_seen_and_pickled_as_the_built_one() -> None:
    lazy = responder_for(Settings())
    assert isinstance(lazy, ScriptedResponder)
    assert type(lazy.base) is DefaultResponder  # type: ignore[attr-defined]
    assert lazy.rules == []  # type: ignore[attr-defined]
    assert type(pickle.loads(pickle.dumps(lazy))) is ScriptedResponder


def test_lazy_responder_takes_rules_at_run_time_and_resets() -> None:
    lazy = responder_for(Settings())
    lazy.configure([{"text": "scripted"}])
    answer = lazy.generate(ask("x"), INFO)
    assert answer["candidates"][0]["content"]["parts"][0]["text"] == "scripted"
    lazy.reset()  # type: ignore[attr-defined]
    assert lazy.rules == []  # type: ignore[attr-defined]


def test_custom_responder_and_rule_file_are_built_at_once(tmp_path: Path) -> None:
    assert not isinstance(responder_for(Settings(responder="tests.outputs.hooks:shout")), LazyResponder)
    rules = tmp_path / "rules.json"
    rules.write_text('[{"text": "scripted"}]')
    assert not isinstance(responder_for(Settings(responses=rules)), LazyResponder)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"responder": "no_such_module_xyz:f"}, "responder: cannot load"),
        ({"responses": Path("/nonexistent/rules.toml")}, "responses: cannot read"),
    ],
)
def test_bad_responder_settings_still_fail_when_the_emulator_is_built(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Emulator(Settings(**settings))
