"""Scripted answers: rules matched before the fake model answers, first match wins.

A rule is one JSON object (or TOML table); the same shape in a rule file (`--responses FILE`) and in
`responder.configure(rules)` (the control plane's `PUT /_emulator/responses`):

    {"match": {"key": "user-*", "model": "gemini-2.5-*", "text": "(?i)weather", "system": "pirate",
               "tools": true},
     "text": "Arr, sunny."}

`match` (optional, every condition given must hold; no `match` matches everything):
  key     glob (fnmatch) over the batch line's key or inline metadata["key"]; never matches a
          synchronous request, which has no key
  model   glob over the model id, with or without `models/`
  text    regex (re.search) over the text of every user turn, joined by newlines
  system  regex over the system instruction's text
  tools   true: the request declares tools; false: it declares none

The answer, exactly one of:
  text       the model's text; shaped like any answer (candidateCount, stopSequences,
             maxOutputTokens, usageMetadata, thinking) - generate requests only
  response   a whole GenerateContentResponse, returned as given; `usageMetadata`, `modelVersion`
             and `responseId` are filled in when missing - generate requests only
  embedding  a list of numbers: the embedding's values - embed requests only
  error      {"code": 429 or 8, "status": "RESOURCE_EXHAUSTED", "message": "..."}: the request fails
             with that error (HTTP status on synchronous calls, an error line in a batch); `code`
             may be an HTTP status or a gRPC number, `status` a canonical name; give either or both

`description` (optional) is free text for the reader. Pure: no I/O beyond reading a rule file.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from emulator.errors import GOOGLE_MESSAGES, ApiError, Code, InvalidArgument
from emulator.responder import RequestInfo, Responder
from emulator.responder.default import DefaultResponder
from emulator.responder.prompt import system_text, texts_of, user_text

_MATCH_FIELDS = frozenset({"key", "model", "text", "system", "tools"})
_ANSWERS = ("text", "response", "embedding", "error")
_RULE_FIELDS = frozenset({"match", "description", *_ANSWERS})
_DEFAULT_MESSAGES = {**GOOGLE_MESSAGES, Code.UNAVAILABLE: "The model is overloaded. Please try again later."}


@dataclass(frozen=True, slots=True)
class Rule:
    source: dict[str, Any]
    key: str | None
    model: str | None
    text: re.Pattern[str] | None
    system: re.Pattern[str] | None
    tools: bool | None
    answer: str  # one of _ANSWERS
    value: Any

    def applies_to_generate(self) -> bool:
        return self.answer in ("text", "response", "error")

    def applies_to_embed(self) -> bool:
        return self.answer in ("embedding", "error")


def compile_rules(rules: Any) -> list[Rule]:
    """Validate and compile rules; `InvalidArgument` names the first bad rule and field."""
    if not isinstance(rules, list):
        raise InvalidArgument("Rules must be a list of objects.")
    return [_compile(rule, i) for i, rule in enumerate(rules)]


def _compile(rule: Any, index: int) -> Rule:
    where = f"rules[{index}]"
    if not isinstance(rule, Mapping):
        raise InvalidArgument(f"{where} must be an object.")
    unknown = sorted(set(rule) - _RULE_FIELDS)
    if unknown:
        raise InvalidArgument(f"{where}: unknown field {unknown[0]!r} (allowed: {', '.join(sorted(_RULE_FIELDS))}).")
    answers = [name for name in _ANSWERS if name in rule]
    if len(answers) != 1:
        raise InvalidArgument(f"{where} must have exactly one of {', '.join(_ANSWERS)}.")
    answer = answers[0]
    value = rule[answer]
    match = rule.get("match", {})
    if not isinstance(match, Mapping):
        raise InvalidArgument(f"{where}.match must be an object.")
    unknown = sorted(set(match) - _MATCH_FIELDS)
    if unknown:
        raise InvalidArgument(
            f"{where}.match: unknown field {unknown[0]!r} (allowed: {', '.join(sorted(_MATCH_FIELDS))})."
        )
    for name in ("key", "model", "text", "system"):
        if name in match and not isinstance(match[name], str):
            raise InvalidArgument(f"{where}.match.{name} must be a string.")
    if "tools" in match and not isinstance(match["tools"], bool):
        raise InvalidArgument(f"{where}.match.tools must be true or false.")
    if answer == "text" and not isinstance(value, str):
        raise InvalidArgument(f"{where}.text must be a string.")
    if answer == "response" and not isinstance(value, Mapping):
        raise InvalidArgument(f"{where}.response must be an object (a GenerateContentResponse).")
    if answer == "embedding" and (
        not isinstance(value, list) or not value or not all(isinstance(v, int | float) for v in value)
    ):
        raise InvalidArgument(f"{where}.embedding must be a non-empty list of numbers.")
    if answer == "error":
        value = _error_of(value, where)
    return Rule(
        source=orjson.loads(orjson.dumps(rule)),
        key=match.get("key"),
        model=match.get("model"),
        text=_regex(match.get("text"), f"{where}.match.text"),
        system=_regex(match.get("system"), f"{where}.match.system"),
        tools=match.get("tools"),
        answer=answer,
        value=value,
    )


def _regex(pattern: str | None, where: str) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise InvalidArgument(f"{where} is not a valid regular expression: {exc}.") from None


def _error_of(value: Any, where: str) -> ApiError:
    if not isinstance(value, Mapping):
        raise InvalidArgument(f"{where}.error must be an object with a code or status, and a message.")
    status, code_value, message = value.get("status"), value.get("code"), value.get("message")
    code: Code | None = None
    if status is not None:
        if not isinstance(status, str) or status.upper() not in Code.__members__:
            raise InvalidArgument(f"{where}.error.status {status!r} is not a canonical status name.")
        code = Code[status.upper()]
    elif code_value is not None:
        code = _code_for_number(code_value)
        if code is None:
            raise InvalidArgument(f"{where}.error.code {code_value!r} is not an HTTP status or gRPC code.")
    else:
        raise InvalidArgument(f"{where}.error needs a code or a status.")
    if message is not None and not isinstance(message, str):
        raise InvalidArgument(f"{where}.error.message must be a string.")
    http = code_value if isinstance(code_value, int) and code_value >= 400 else None
    return ApiError(
        message or _DEFAULT_MESSAGES.get(code, code.name.replace("_", " ").capitalize() + "."),
        code=code,
        http_status=http,
    )


def _code_for_number(value: Any) -> Code | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    if 0 < value <= 16:
        return next(code for code in Code if code.rpc == value)
    if value == 500:
        return Code.INTERNAL
    if value in (400, 401, 403, 404, 409, 429, 501, 503):
        return Code.for_http(value)
    return next((code for code in Code if code.http == value), None)


def load_rules(path: Path) -> list[dict[str, Any]]:
    """The rules in a TOML (`[[rules]]` tables) or JSON (a list, or `{"rules": [...]}`) file."""
    data = path.read_bytes()
    parsed: Any
    if path.suffix.lower() == ".toml":
        import tomllib  # here, not at the top: a start-up without a TOML rules file does not pay for it

        parsed = tomllib.loads(data.decode())
    else:
        parsed = orjson.loads(data)
    if isinstance(parsed, Mapping):
        unknown = sorted(set(parsed) - {"rules"})
        if unknown:
            raise InvalidArgument(f"unknown top-level field {unknown[0]!r} (expected 'rules').")
        parsed = parsed.get("rules", [])
    if not isinstance(parsed, list):
        raise InvalidArgument("expected a list of rules, or an object with a 'rules' list.")
    return parsed


class ScriptedResponder:
    """Rules first, then `base`. With no rules this costs one truth test per request."""

    def __init__(self, base: Responder, shaper: DefaultResponder, rules: list[dict[str, Any]] | None = None) -> None:
        self.base = base
        self.shaper = shaper  # builds full responses around a scripted text
        self._rules: list[Rule] = compile_rules(rules or [])
        self._initial = self._rules

    def reset(self) -> None:
        """Back to the rules given at construction (the `--responses` file's)."""
        self._rules = self._initial

    @property
    def rules(self) -> list[dict[str, Any]]:
        """The rules in force, as given."""
        return [rule.source for rule in self._rules]

    def configure(self, rules: list[dict[str, Any]]) -> None:
        self._rules = compile_rules(rules)  # all or nothing: a bad rule leaves the old ones in force

    def generate(self, request: Mapping[str, Any], info: RequestInfo) -> dict[str, Any]:
        if self._rules and (rule := self._find(request, info, generate=True)) is not None:
            if rule.answer == "error":
                raise _fresh(rule.value)
            if rule.answer == "text":
                return self.shaper.answer(request, info, rule.value)
            return self.shaper.complete(orjson.loads(orjson.dumps(rule.value)), request, info)
        return self.base.generate(request, info)

    def embed(self, request: Mapping[str, Any], info: RequestInfo) -> dict[str, Any]:
        if self._rules and (rule := self._find(request, info, generate=False)) is not None:
            if rule.answer == "error":
                raise _fresh(rule.value)
            return {"embedding": {"values": list(rule.value)}}
        return self.base.embed(request, info)

    def _find(self, request: Mapping[str, Any], info: RequestInfo, *, generate: bool) -> Rule | None:
        prompt: str | None = None
        for rule in self._rules:
            if not (rule.applies_to_generate() if generate else rule.applies_to_embed()):
                continue
            if rule.key is not None and (info.key is None or not fnmatch.fnmatchcase(info.key, rule.key)):
                continue
            if rule.model is not None and not _model_matches(info.model, rule.model):
                continue
            if rule.tools is not None and bool(request.get("tools")) != rule.tools:
                continue
            if rule.system is not None and not rule.system.search(system_text(request)):
                continue
            if rule.text is not None:
                if prompt is None:
                    prompt = (
                        user_text(request.get("contents")) if generate else "\n".join(texts_of(request.get("content")))
                    )
                if not rule.text.search(prompt):
                    continue
            return rule
        return None


def _model_matches(model: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(model, pattern) or fnmatch.fnmatchcase(model.removeprefix("models/"), pattern)


def _fresh(error: ApiError) -> ApiError:
    """A new exception per raise: one exception object must not collect tracebacks across requests."""
    return ApiError(error.message, code=error.code, http_status=error.http_status)
