"""Scripted answers and responder selection: rules, rule files, `--responder` values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulator import Settings
from emulator.config import ConfigError
from emulator.errors import ApiError, InvalidArgument
from emulator.responder import RequestInfo
from emulator.responder.default import DefaultResponder
from emulator.responder.registry import build_responder
from emulator.responder.scripted import ScriptedResponder, compile_rules, load_rules

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "responses"


def ask(text: str, system: str | None = None, tools: bool = False) -> dict[str, Any]:
    request: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": text}]}]}
    if system:
        request["systemInstruction"] = {"parts": [{"text": system}]}
    if tools:
        request["tools"] = [{"functionDeclarations": [{"name": "lookup_order"}]}]
    return request


def text_of(answer: dict[str, Any]) -> str:
    return str(answer["candidates"][0]["content"]["parts"][0]["text"])


def scripted(rules: list[dict[str, Any]]) -> ScriptedResponder:
    return ScriptedResponder(DefaultResponder(0), DefaultResponder(0), rules)


def test_first_matching_rule_wins_and_others_fall_through() -> None:
    responder = scripted([{"match": {"text": "hello"}, "text": "one"}, {"match": {"text": "hel"}, "text": "two"}])
    info = RequestInfo(model="models/m")
    assert text_of(responder.generate(ask("hello there"), info)) == "one"
    assert text_of(responder.generate(ask("help"), info)) == "two"
    assert responder.generate(ask("other"), info) == DefaultResponder(0).generate(ask("other"), info)


def test_match_on_key_model_system_and_tools() -> None:
    responder = scripted(
        [
            {"match": {"key": "line-*"}, "text": "by key"},
            {"match": {"model": "gemini-2.5-pro"}, "text": "by model"},
            {"match": {"system": "(?i)pirate"}, "text": "by system"},
            {"match": {"tools": True}, "text": "by tools"},
        ]
    )
    assert text_of(responder.generate(ask("x"), RequestInfo(model="models/m", key="line-7"))) == "by key"
    assert text_of(responder.generate(ask("x"), RequestInfo(model="models/gemini-2.5-pro"))) == "by model"
    assert (
        text_of(responder.generate(ask("x", system="You are a PIRATE"), RequestInfo(model="models/m"))) == "by system"
    )
    assert text_of(responder.generate(ask("x", tools=True), RequestInfo(model="models/m"))) == "by tools"


def test_scripted_text_is_shaped_like_any_answer() -> None:
    responder = scripted([{"text": "alpha beta gamma"}])
    request = ask("x")
    request["generationConfig"] = {"stopSequences": ["gamma"], "candidateCount": 2}
    answer = responder.generate(request, RequestInfo(model="models/m"))
    assert [c["content"]["parts"][0]["text"] for c in answer["candidates"]] == ["alpha beta ", "alpha beta "]
    assert answer["usageMetadata"]["candidatesTokenCount"] == 6


def test_response_and_error_and_embedding_answers() -> None:
    response = {"candidates": [{"content": {"role": "model", "parts": [{"text": "raw"}]}, "finishReason": "SAFETY"}]}
    responder = scripted(
        [
            {"match": {"text": "raw"}, "response": response},
            {"match": {"text": "quota"}, "error": {"code": 429}},
            {"match": {"text": "^vec$"}, "embedding": [1, 0]},
        ]
    )
    info = RequestInfo(model="models/m")
    answer = responder.generate(ask("raw"), info)
    assert answer["candidates"] == response["candidates"]
    assert answer["usageMetadata"]["candidatesTokenCount"] == 1 and answer["modelVersion"] == "m"
    with pytest.raises(ApiError) as caught:
        responder.generate(ask("quota"), info)
    assert caught.value.http_status == 429 and caught.value.code.name == "RESOURCE_EXHAUSTED"
    assert responder.embed({"content": {"parts": [{"text": "vec"}]}}, info) == {"embedding": {"values": [1, 0]}}
    with pytest.raises(ApiError):  # error rules apply to embeddings too
        responder.embed({"content": {"parts": [{"text": "quota"}]}}, info)


def test_configure_replaces_rules_all_or_nothing() -> None:
    responder = scripted([{"text": "old"}])
    with pytest.raises(InvalidArgument, match=r"rules\[1\]"):
        responder.configure([{"text": "new"}, {"text": "a", "error": {"code": 500}}])
    assert responder.rules == [{"text": "old"}]
    responder.configure([])
    assert text_of(responder.generate(ask("x"), RequestInfo(model="models/m"))) != "old"
    responder.reset()
    assert responder.rules == [{"text": "old"}]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"match": {"text": "("}, "text": "x"}, "regular expression"),
        ({"match": {"colour": "red"}, "text": "x"}, "unknown field 'colour'"),
        ({"txt": "x"}, "unknown field 'txt'"),
        ({"match": {}}, "exactly one of"),
        ({"error": {"code": 777}}, "not an HTTP status"),
        ({"error": {"status": "NOPE"}}, "canonical status"),
        ({"embedding": ["a"]}, "numbers"),
        ({"match": {"tools": "yes"}, "text": "x"}, "true or false"),
    ],
)
def test_bad_rules_name_the_rule_and_field(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        compile_rules([rule])


def test_fixture_rule_files_load_and_work() -> None:
    toml_rules = load_rules(FIXTURES / "examples.toml")
    json_rules = load_rules(FIXTURES / "examples.json")
    responder = scripted(toml_rules + json_rules)
    info = RequestInfo(model="models/gemini-2.5-flash", key="flaky-3")
    with pytest.raises(ApiError):
        responder.generate(ask("anything"), info)
    info = RequestInfo(model="models/gemini-2.5-flash")
    assert text_of(responder.generate(ask("Hello!"), info)) == "Hello! How can I help?"
    call = responder.generate(ask("where is my order?", tools=True), info)["candidates"][0]["content"]["parts"][0]
    assert call["functionCall"]["name"] == "lookup_order"
    assert json.loads(text_of(responder.generate(ask("read this invoice"), info)))["total"] == 42.5


def test_build_responder_honours_the_settings(tmp_path: Path) -> None:
    info = RequestInfo(model="models/m")
    assert text_of(build_responder(Settings(responder="echo")).generate(ask("say this"), info)) == "say this"
    assert text_of(build_responder(Settings(responder="fixed:OK: done")).generate(ask("x"), info)) == "OK: done"
    hooked = build_responder(Settings(responder="tests.outputs.hooks:shout"))
    assert text_of(hooked.generate(ask("quiet"), info)) == "QUIET"
    assert text_of(hooked.generate(ask("pass"), info)) == text_of(DefaultResponder(0).generate(ask("pass"), info))
    assert (
        text_of(build_responder(Settings(responder="tests.outputs.hooks:Constant")).generate(ask("x"), info))
        == "constant"
    )
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([{"text": "scripted"}]))
    assert text_of(build_responder(Settings(responses=rules)).generate(ask("x"), info)) == "scripted"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"responder": "telepathic"}, "responder must be"),
        ({"responder": "no_such_module_xyz:f"}, "responder: cannot load"),
        ({"responder": "tests.outputs.hooks:missing"}, "responder: cannot load"),
        ({"responses": Path("/nonexistent/rules.toml")}, "responses: cannot read"),
    ],
)
def test_bad_responder_settings_raise_config_error(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_responder(Settings(**settings))


def test_a_bad_rule_file_raises_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rules]]\nmatch = { text = "(" }\ntext = "x"\n')
    with pytest.raises(ConfigError, match=r"responses: .*bad.toml.*rules\[0\]"):
        build_responder(Settings(responses=bad))
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(ConfigError, match="responses"):
        build_responder(Settings(responses=broken))
