"""The control plane under `/_emulator/`: for tests and operators, never called by the SDKs.

Endpoints that act on state take an optional API key (`apiKey` in the body, or `?key=`) to act on
that key's state only; without one they act on everything. The OpenAPI document is at
`/_emulator/openapi.json`; `emulator.control` is a Python client for all of it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from emulator import __version__
from emulator.asgi.requests import JSONResponse, emulator_of, read_json
from emulator.asgi.routing import control_route as _route
from emulator.batches.models import BatchState
from emulator.batches.wire import batch_to_operation
from emulator.clock import parse_time, rfc3339
from emulator.errors import InvalidArgument, NotFound
from emulator.faults.parsing import parse_faults
from emulator.ids import tenant_for_key
from emulator.observability.journal import JournalEntry
from emulator.observability.metrics import metrics

_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
MAX_ADVANCE_SECONDS = 100 * 365.25 * 86400
LATEST_US = 253402300799 * 1_000_000  # 9999-12-31T23:59:59Z


def _tenant(request: Request, body: dict[str, Any] | None = None) -> str | None:
    key = (body or {}).get("apiKey") or (body or {}).get("api_key") or request.query_params.get("key")
    return tenant_for_key(str(key)) if key else None


async def health(request: Request) -> Response:
    """200 once the server is serving: storage is open and the runner started."""
    return JSONResponse({"status": "ok", "version": __version__})


async def wait_idle(request: Request) -> Response:
    """Block (up to `timeout` seconds, default 30) until no batch has work left."""
    timeout = float(request.query_params.get("timeout", "30"))
    try:
        await asyncio.wait_for(emulator_of(request).runner.wait_idle(), timeout=timeout)
    except TimeoutError:
        return JSONResponse({"idle": False})
    return JSONResponse({"idle": True})


async def reset(request: Request) -> Response:
    body = await read_json(request)
    await emulator_of(request).reset(_tenant(request, body))
    return JSONResponse({})


def _clock_body(request: Request, tenant: str | None) -> dict[str, Any]:
    clock = emulator_of(request).clock
    return {"now": rfc3339(clock.now_us(tenant)), "mode": clock.tenant_mode(tenant), "timeScale": clock.scale}


async def get_clock(request: Request) -> Response:
    return JSONResponse(_clock_body(request, _tenant(request)))


async def advance_clock(request: Request) -> Response:
    """Move time forward; returns once every batch due by the new time has got there."""
    body = await read_json(request)
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
    if emulator_of(request).clock.now_us(_tenant(request, body)) + seconds * 1e6 > LATEST_US:
        raise InvalidArgument("That would move the clock past the year 9999.")
    emulator = emulator_of(request)
    tenant = _tenant(request, body)
    emulator.clock.advance(seconds, tenant)
    await emulator.save_clock()
    await emulator.runner.settle()
    return JSONResponse(_clock_body(request, tenant))


async def set_clock(request: Request) -> Response:
    """Jump to `time`, and/or (with an API key) switch that key to its own `manual` clock or back to
    `real` time."""
    body = await read_json(request)
    emulator = emulator_of(request)
    tenant = _tenant(request, body)
    mode = body.get("mode")
    if mode is not None:
        if mode not in ("manual", "real") or tenant is None:
            raise InvalidArgument('mode takes "manual" or "real", with the apiKey whose clock it sets.')
        emulator.clock.freeze(tenant, manual=mode == "manual")
    if "time" in body:
        if not isinstance(body["time"], str):
            raise InvalidArgument('Give the new time as {"time": "2026-01-01T00:00:00Z"}.')
        try:
            when = parse_time(body["time"])
        except (ValueError, OverflowError):
            raise InvalidArgument(f"time must be RFC 3339, not {body['time']!r}.") from None
        if not 0 <= when <= LATEST_US:
            raise InvalidArgument("time must be between 1970 and 9999.")
        emulator.clock.set(when, tenant)
    elif mode is None:
        raise InvalidArgument('Give a time ({"time": "2026-01-01T00:00:00Z"}) or a mode.')
    await emulator.save_clock()
    await emulator.runner.settle()
    return JSONResponse(_clock_body(request, tenant))


async def list_faults(request: Request) -> Response:
    return JSONResponse(emulator_of(request).faults.policy.to_wire())


async def add_faults(request: Request) -> Response:
    """Add rules: `{"http": [...], "job": [...], "line": [...]}`, or one rule with a `kind`. A rule
    with `apiKey` applies to that key only."""
    body = await read_json(request)
    faults = emulator_of(request).faults
    if "kind" in body:
        kind = str(body.pop("kind"))
        body = {kind: [body]}

    def with_id(kind: str, rule: Any) -> Any:  # not a table: left for parse_faults to refuse
        return dict(rule, id=rule.get("id") or faults.new_rule_id(kind)) if isinstance(rule, dict) else rule

    raw = {k: [with_id(k, rule) for rule in v] if isinstance(v, list) else v for k, v in body.items()}
    policy = parse_faults(raw, tenant_for_key)
    faults.add(policy)
    return JSONResponse({"added": sorted(policy.rule_ids()), **faults.policy.to_wire()})


async def clear_faults(request: Request) -> Response:
    emulator_of(request).faults.clear(_tenant(request))
    return JSONResponse({})


async def delete_fault(request: Request) -> Response:
    rule_id = request.path_params["rule_id"]
    if not emulator_of(request).faults.remove(rule_id):
        raise NotFound(f"No fault rule {rule_id!r}.")
    return JSONResponse({})


def _entry(entry: JournalEntry) -> dict[str, Any]:
    out = {
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
    if entry.resource:
        out["resource"] = entry.resource
    if entry.fault:
        out["fault"] = entry.fault
    return out


async def list_requests(request: Request) -> Response:
    """The journal, oldest first: filter by `operation` (glob), `key`, `status`, `since` (a seq)."""
    q = request.query_params
    try:
        status = int(q["status"]) if "status" in q else None
        since = int(q.get("since", "0"))
    except ValueError:
        raise InvalidArgument("status and since must be integers.") from None
    entries = emulator_of(request).journal.entries(
        operation=q.get("operation"), tenant=_tenant(request), status=status, since_seq=since
    )
    return JSONResponse({"requests": [_entry(e) for e in entries]})


async def clear_requests(request: Request) -> Response:
    emulator_of(request).journal.reset(_tenant(request))
    return JSONResponse({})


async def force_batch(request: Request) -> Response:
    body = await read_json(request)
    state = str(body.get("state", "")).upper()
    if not state.startswith("BATCH_STATE_"):
        state = "BATCH_STATE_" + state.removeprefix("JOB_STATE_")
    try:
        target = BatchState(state)
    except ValueError:
        raise InvalidArgument(f"Unknown state {body.get('state')!r}: use e.g. BATCH_STATE_FAILED.") from None
    view = await emulator_of(request).batches.force(request.path_params["batch_id"], target)
    return JSONResponse(batch_to_operation(view))


# Seeding and the OpenAPI document are imported when first asked for: not at start-up.
async def seed(request: Request) -> Response:
    from emulator.control import seeding

    body = await read_json(request)
    return JSONResponse(await seeding.import_state(emulator_of(request), body))


async def export_state(request: Request) -> Response:
    from emulator.control import seeding

    return JSONResponse(await seeding.export_state(emulator_of(request), _tenant(request)))


async def set_responses(request: Request) -> Response:
    """Replace the scripted-answer rules: `{"rules": [...]}` or a bare list (the `--responses` format)."""
    raw = await request.body()
    try:
        parsed = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument(f"Invalid JSON payload received. {exc}.") from None
    rules = parsed if isinstance(parsed, list) else parsed.get("rules", []) if isinstance(parsed, dict) else None
    if not isinstance(rules, list):
        raise InvalidArgument('Give the rules as {"rules": [...]}.')
    emulator_of(request).responder.configure(rules)
    return JSONResponse({"rules": len(rules)})


async def get_responses(request: Request) -> Response:
    rules = getattr(emulator_of(request).responder, "rules", [])
    return JSONResponse({"rules": rules() if callable(rules) else rules})


async def get_config(request: Request) -> Response:
    emulator = emulator_of(request)
    return JSONResponse(emulator.effective_config())


async def patch_config(request: Request) -> Response:
    """Change latency, limits and the error rate of a running emulator (scenario-file names)."""
    emulator = emulator_of(request)
    body = await read_json(request)
    tenant = _tenant(request, body)
    body.pop("apiKey", None)
    body.pop("api_key", None)
    emulator.reconfigure(body, tenant)
    return JSONResponse(emulator.effective_config())


async def openapi(request: Request) -> Response:
    from emulator.control.openapi import openapi_document

    return JSONResponse(openapi_document(__version__))


routes = [
    _route("/health", health, "GET"),
    _route("/wait-idle", wait_idle, "GET", "POST"),
    _route("/reset", reset, "POST"),
    _route("/config", get_config, "GET"),
    _route("/config", patch_config, "PATCH"),
    _route("/clock", get_clock, "GET"),
    _route("/clock:advance", advance_clock, "POST"),
    _route("/clock:set", set_clock, "POST"),
    _route("/faults", list_faults, "GET"),
    _route("/faults", add_faults, "POST"),
    _route("/faults", clear_faults, "DELETE"),
    _route("/faults/{rule_id}", delete_fault, "DELETE"),
    _route("/requests", list_requests, "GET"),
    _route("/requests", clear_requests, "DELETE"),
    _route("/batches/{batch_id:rid}:force", force_batch, "POST"),
    _route("/seed", seed, "POST"),
    _route("/state", export_state, "GET"),
    _route("/responses", set_responses, "PUT"),
    _route("/responses", get_responses, "GET"),
    _route("/openapi.json", openapi, "GET"),
    _route("/metrics", metrics, "GET"),
]
