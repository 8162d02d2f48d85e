"""The control plane's wire: request bodies and query parameters in, typed values out; answers back
to lowerCamelCase JSON. Depends on models only, never on the service.

Endpoints that act on state take an optional API key, `apiKey` (or `api_key`) in the body or `?key=`
in the query: it becomes the key's fingerprint (its tenant) here; the key itself goes no further.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from emulator.batches.models import BatchState
from emulator.casing import add_present
from emulator.clock import parse_time, rfc3339
from emulator.control.models import LATEST_US, MAX_ADVANCE_SECONDS, MODE_NEEDS_KEY, ClockChange, ClockView, JournalQuery
from emulator.errors import InvalidArgument
from emulator.faults.rules import FaultPolicy
from emulator.ids import tenant_for_key
from emulator.observability.journal import JournalEntry

_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
_KEYS = ("apiKey", "api_key")


def tenant_in(query: Mapping[str, str], body: Mapping[str, Any] | None = None) -> str | None:
    """Whose state a call acts on: the API key's fingerprint, or None for everyone's."""
    key = (body or {}).get("apiKey") or (body or {}).get("api_key") or query.get("key")
    return tenant_for_key(str(key)) if key else None


def wait_timeout(query: Mapping[str, str]) -> float:
    """`?timeout=` seconds, 30 by default."""
    try:
        return float(query.get("timeout", "30"))
    except ValueError:
        raise InvalidArgument(f"timeout must be a number of seconds, not {query.get('timeout')!r}.") from None


def advance(body: Mapping[str, Any]) -> ClockChange:
    """`{"seconds"|"minutes"|"hours"|"days": n, ...}`: the amounts add up."""
    seconds = 0.0
    for unit, factor in _UNITS.items():
        if unit in body:
            try:
                seconds += float(body[unit]) * factor
            except (TypeError, ValueError):
                raise InvalidArgument(f"{unit} must be a number, not {body[unit]!r}.") from None
    if not 0 <= seconds <= MAX_ADVANCE_SECONDS:  # also refuses NaN and infinity
        raise InvalidArgument(
            f"The clock moves forward by 0 to {MAX_ADVANCE_SECONDS:.0f} seconds (100 years) at a time, not {seconds}."
        )
    return ClockChange(by_seconds=seconds)


def clock_set(body: Mapping[str, Any], tenant: str | None) -> ClockChange:
    """`{"time": RFC 3339}` and/or, with an API key, `{"mode": "manual" | "real"}`."""
    mode = body.get("mode")
    if mode is not None and (mode not in ("manual", "real") or tenant is None):
        raise InvalidArgument(MODE_NEEDS_KEY)
    if "time" not in body:
        if mode is None:
            raise InvalidArgument('Give a time ({"time": "2026-01-01T00:00:00Z"}) or a mode.')
        return ClockChange(mode=mode)
    if not isinstance(body["time"], str):
        raise InvalidArgument('Give the new time as {"time": "2026-01-01T00:00:00Z"}.')
    try:
        when = parse_time(body["time"])
    except (ValueError, OverflowError):
        raise InvalidArgument(f"time must be RFC 3339, not {body['time']!r}.") from None
    if not 0 <= when <= LATEST_US:
        raise InvalidArgument("time must be between 1970 and 9999.")
    return ClockChange(to_us=when, mode=mode)


def clock_to_wire(view: ClockView) -> dict[str, Any]:
    return {"now": rfc3339(view.now_us), "mode": view.mode, "timeScale": view.scale}


def batch_state(body: Mapping[str, Any]) -> BatchState:
    """`{"state": ...}`: `BATCH_STATE_FAILED`, `JOB_STATE_FAILED` or `failed`."""
    state = str(body.get("state", "")).upper()
    if not state.startswith("BATCH_STATE_"):
        state = "BATCH_STATE_" + state.removeprefix("JOB_STATE_")
    try:
        return BatchState(state)
    except ValueError:
        raise InvalidArgument(f"Unknown state {body.get('state')!r}: use e.g. BATCH_STATE_FAILED.") from None


def fault_tables(body: Mapping[str, Any]) -> dict[str, Any]:
    """`{"http": [...], "job": [...], ...}`, or one rule with a `kind`: always the former (the rule
    parser checks the rest)."""
    if "kind" in body:
        rule = {k: v for k, v in body.items() if k != "kind"}
        return {str(body["kind"]): [rule]}
    return dict(body)


def faults_added_to_wire(added: FaultPolicy, active: FaultPolicy) -> dict[str, Any]:
    return {"added": sorted(added.rule_ids()), **active.to_wire()}


def journal_query(query: Mapping[str, str]) -> JournalQuery:
    """`?operation=` (a glob), `?key=`, `?status=`, `?since=` (a sequence number)."""
    try:
        status = int(query["status"]) if "status" in query else None
        since = int(query.get("since", "0"))
    except ValueError:
        raise InvalidArgument("status and since must be integers.") from None
    return JournalQuery(operation=query.get("operation"), tenant=tenant_in(query), status=status, since=since)


def _entry(entry: JournalEntry) -> dict[str, Any]:
    out: dict[str, Any] = {
        "seq": entry.seq,
        "time": rfc3339(entry.time_us),
        "wallTime": rfc3339(entry.wall_us),
        "operation": entry.operation,
        "method": entry.method,
        "path": entry.path,
        "status": entry.status,
        "apiKey": entry.tenant,
        "durationMs": entry.duration_ms,
    }
    return add_present(out, resource=entry.resource, fault=entry.fault, warnings=list(entry.warnings))


def journal_to_wire(entries: Iterable[JournalEntry]) -> dict[str, Any]:
    return {"requests": [_entry(e) for e in entries]}


def response_rules(raw: bytes) -> list[Any]:
    """`{"rules": [...]}` or a bare list (the `--responses` file's format)."""
    try:
        parsed = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument(f"Invalid JSON payload received. {exc}.") from None
    rules = parsed if isinstance(parsed, list) else parsed.get("rules", []) if isinstance(parsed, dict) else None
    if not isinstance(rules, list):
        raise InvalidArgument('Give the rules as {"rules": [...]}.')
    return rules


def config_changes(body: Mapping[str, Any]) -> dict[str, Any]:
    """A `PATCH /config` body in the scenario format, without the API key it may name."""
    return {k: v for k, v in body.items() if k not in _KEYS}
