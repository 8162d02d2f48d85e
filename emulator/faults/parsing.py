"""Fault rules as scenarios and the control plane write them (TOML/JSON tables, either casing) →
the rule values of `emulator.faults.rules`, refused with `InvalidArgument` naming the rule and field.

Kept apart from `emulator.faults.rules` so that start-up, which needs the rules' types but usually has
no rules to parse, does not pay for loading the parsers; callers import it where rules are given.
"""

from __future__ import annotations

import re
from typing import Any

from emulator.batches.models import Outcome, QuirkName
from emulator.casing import to_camel
from emulator.errors import Code, InvalidArgument
from emulator.faults.rules import (
    JOB_OUTCOMES,
    JOB_TIMING,
    LINE_FINISH_REASONS,
    QUIRKS,
    WEBHOOK_EFFECTS,
    FaultPolicy,
    HttpFault,
    JobFault,
    LineFault,
    QuirkRule,
    Span,
    WebhookFault,
    When,
)


def _code(value: object, what: str) -> tuple[Code, int]:
    """A status given as a name (`UNAVAILABLE`) or an HTTP number (503): the code and HTTP status."""
    if isinstance(value, str) and not value.isdigit():
        try:
            code = Code[value.strip().upper()]
        except KeyError:
            raise InvalidArgument(f"{what}: unknown status {value!r}; use a name such as UNAVAILABLE or 503.") from None
        return code, code.http
    try:
        number = int(str(value))
    except ValueError:
        raise InvalidArgument(f"{what}: {value!r} is not a status.") from None
    if 100 <= number <= 599:
        return Code.for_http(number), number
    for code in Code:
        if code.rpc == number:
            return code, code.http
    raise InvalidArgument(f"{what}: {number} is neither an HTTP status nor a google.rpc code.")


def _number(value: object, what: str, *, low: float = 0, high: float | None = None) -> float:
    try:
        number = float(str(value))
    except ValueError:
        raise InvalidArgument(f"{what}: {value!r} is not a number.") from None
    if number < low or (high is not None and number > high):
        raise InvalidArgument(f"{what}: {number:g} is out of range.")
    return number


def _normalized(raw: dict[str, Any], allowed: set[str], what: str) -> dict[str, Any]:
    out = {}
    for key, value in raw.items():
        name = to_camel(key)
        if name not in allowed:
            raise InvalidArgument(f"{what}: unknown field {key!r}; expected one of {', '.join(sorted(allowed))}.")
        out[name] = value
    return out


def parse_when(raw: dict[str, Any], what: str) -> When:
    fields = _normalized(raw, {"probability", "firstN", "everyNth", "afterN"}, what)

    def count(name: str) -> int | None:
        return int(_number(fields[name], f"{what}.{name}", low=1)) if name in fields else None

    probability = fields.get("probability")
    return When(
        probability=_number(probability, f"{what}.probability", high=1) if probability is not None else None,
        first_n=count("firstN"),
        every_nth=count("everyNth"),
        after_n=count("afterN"),
    )


_WHEN_KEYS = {"probability", "firstN", "everyNth", "afterN"}


def parse_http_fault(raw: dict[str, Any], rule_id: str, tenant_of_key: Any) -> HttpFault:
    what = f"http fault {rule_id}"
    f = _normalized(
        raw,
        {"id", "operation", "apiKey", "status", "message", "retryAfter", "delay", "drop", "when", *_WHEN_KEYS},
        what,
    )
    code, status = _code(f["status"], f"{what}.status") if "status" in f else (None, None)
    if code is None and not f.get("delay") and not f.get("drop"):
        raise InvalidArgument(f"{what}: give a status, a delay or drop = true.")
    when_raw = dict(f.get("when") or {})
    when_raw.update({k: f[k] for k in _WHEN_KEYS if k in f})
    return HttpFault(
        id=str(f.get("id", rule_id)),
        operation=str(f.get("operation", "*")),
        api_key=tenant_of_key(f["apiKey"]) if f.get("apiKey") else None,
        status=status,
        code=code,
        message=str(f["message"]) if "message" in f else None,
        retry_after=_number(f["retryAfter"], f"{what}.retryAfter") if "retryAfter" in f else None,
        delay=_number(f.get("delay", 0), f"{what}.delay"),
        drop=bool(f.get("drop", False)),
        when=parse_when(when_raw, f"{what}.when"),
    )


def parse_job_fault(raw: dict[str, Any], rule_id: str, tenant_of_key: Any) -> JobFault:
    what = f"job fault {rule_id}"
    f = _normalized(
        raw,
        {
            "id",
            "outcome",
            "at",
            "displayName",
            "model",
            "batch",
            "nextN",
            "apiKey",
            "status",
            "message",
            *map(to_camel, JOB_TIMING),
        },
        what,
    )
    timing = {name: Span.parse(f[to_camel(name)], f"{what}.{name}") for name in JOB_TIMING if to_camel(name) in f}
    outcome = str(f.get("outcome", "NONE" if timing else "FAILED")).upper().removeprefix("BATCH_STATE_")
    if outcome == "RUNNING":
        outcome = "HANG"
    if outcome not in JOB_OUTCOMES:
        raise InvalidArgument(f"{what}.outcome: {outcome!r} is not one of {', '.join(JOB_OUTCOMES)}.")
    code = _code(f["status"], f"{what}.status")[0] if "status" in f else Code.INTERNAL
    return JobFault(
        id=str(f.get("id", rule_id)),
        outcome=Outcome(outcome),
        at=_number(f.get("at", 0), f"{what}.at", high=1),
        display_name=str(f["displayName"]) if "displayName" in f else None,
        model=str(f["model"]) if "model" in f else None,
        batch=str(f["batch"]) if "batch" in f else None,
        next_n=int(_number(f["nextN"], f"{what}.nextN", low=1)) if "nextN" in f else None,
        api_key=tenant_of_key(f["apiKey"]) if f.get("apiKey") else None,
        code=code,
        message=str(f["message"]) if "message" in f else None,
        timing=timing,
    )


def parse_line_fault(raw: dict[str, Any], rule_id: str, tenant_of_key: Any) -> LineFault:
    what = f"line fault {rule_id}"
    f = _normalized(
        raw, {"id", "key", "prompt", "rate", "apiKey", "status", "message", "finishReason", "blocked"}, what
    )
    if "prompt" in f:
        try:
            re.compile(str(f["prompt"]))
        except re.error as exc:
            raise InvalidArgument(f"{what}.prompt: not a regular expression: {exc}.") from None
    finish = str(f["finishReason"]).upper() if "finishReason" in f else None
    if finish is not None and finish not in LINE_FINISH_REASONS:
        raise InvalidArgument(f"{what}.finishReason: {finish!r} is not one of {', '.join(LINE_FINISH_REASONS)}.")
    code = _code(f["status"], f"{what}.status")[0] if "status" in f else Code.INTERNAL
    return LineFault(
        id=str(f.get("id", rule_id)),
        key=str(f["key"]) if "key" in f else None,
        prompt=str(f["prompt"]) if "prompt" in f else None,
        rate=_number(f["rate"], f"{what}.rate", high=1) if "rate" in f else None,
        api_key=tenant_of_key(f["apiKey"]) if f.get("apiKey") else None,
        code=code,
        message=str(f["message"]) if "message" in f else None,
        finish_reason=finish,
        blocked=str(f["blocked"]).upper() if f.get("blocked") else None,
    )


def parse_quirk(raw: dict[str, Any], rule_id: str, tenant_of_key: Any) -> QuirkRule:
    what = f"quirk {rule_id}"
    given = str(raw.get("name", ""))
    if given not in QUIRKS:
        raise InvalidArgument(f"{what}.name: {given!r} is not one of {', '.join(QUIRKS)}.")
    name = QuirkName(given)
    params = dict(QUIRKS[name])
    f = _normalized(raw, {"id", "name", "displayName", "model", "batch", "apiKey", *map(to_camel, params)}, what)
    for param in params:
        if to_camel(param) in f:
            params[param] = _number(f[to_camel(param)], f"{what}.{param}")
    return QuirkRule(
        id=str(f.get("id", rule_id)),
        name=name,
        display_name=str(f["displayName"]) if "displayName" in f else None,
        model=str(f["model"]) if "model" in f else None,
        batch=str(f["batch"]) if "batch" in f else None,
        api_key=tenant_of_key(f["apiKey"]) if f.get("apiKey") else None,
        params=params,
    )


def parse_webhook_fault(raw: dict[str, Any], rule_id: str, tenant_of_key: Any) -> WebhookFault:
    what = f"webhook fault {rule_id}"
    f = _normalized(raw, {"id", "effect", "event", "url", "mode", "seconds", "apiKey", "when", *_WHEN_KEYS}, what)
    effect = str(f.get("effect", "")).lower().replace("_", "-")
    if effect not in WEBHOOK_EFFECTS:
        raise InvalidArgument(f"{what}.effect: {effect!r} is not one of {', '.join(WEBHOOK_EFFECTS)}.")
    mode = str(f["mode"]).lower() if f.get("mode") else None
    if mode not in (None, "static", "dynamic"):
        raise InvalidArgument(f"{what}.mode: {mode!r} is not static or dynamic.")
    when_raw = dict(f.get("when") or {})
    when_raw.update({k: f[k] for k in _WHEN_KEYS if k in f})
    return WebhookFault(
        id=str(f.get("id", rule_id)),
        effect=effect,
        event=str(f.get("event", "*")),
        url=str(f.get("url", "*")),
        mode=mode,
        seconds=_number(f["seconds"], f"{what}.seconds") if "seconds" in f else None,
        api_key=tenant_of_key(f["apiKey"]) if f.get("apiKey") else None,
        when=parse_when(when_raw, f"{what}.when"),
    )


_PARSERS = {
    "http": parse_http_fault,
    "job": parse_job_fault,
    "line": parse_line_fault,
    "quirk": parse_quirk,
    "webhook": parse_webhook_fault,
}


def parse_faults(raw: dict[str, Any], tenant_of_key: Any, *, first_id: int = 1) -> FaultPolicy:
    """`{"http": [...], "job": [...], "line": [...], "quirk": [...], "webhook": [...]}` (a scenario's
    `[faults]` table)."""
    unknown = set(raw) - set(_PARSERS)
    if unknown:
        raise InvalidArgument(
            f"faults: unknown kind {sorted(unknown)[0]!r}; expected http, job, line, quirk or webhook."
        )
    n = first_id
    parsed: dict[str, list[Any]] = {}
    for kind, parser in _PARSERS.items():
        items = raw.get(kind) or []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise InvalidArgument(f"faults.{kind}: expected a list of tables.")
        parsed[kind] = []
        for item in items:
            parsed[kind].append(parser(item, f"{kind}-{n}", tenant_of_key))
            n += 1
    return FaultPolicy(*(tuple(parsed[kind]) for kind in _PARSERS))
