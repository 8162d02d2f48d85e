"""The control plane under `/_emulator/`: for tests and operators, never called by the SDKs.

Endpoints that act on state take an optional API key (`apiKey` in the body, or `?key=`) to act on
that key's state only; without one they act on everything. The OpenAPI document is at
`/_emulator/openapi.json`; `emulator.control` is a Python client for all of it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator import __version__
from emulator.asgi.query import Kind, Param, Query
from emulator.asgi.requests import JSONResponse, emulator_of, read_json
from emulator.asgi.routing import Endpoint, LazyMount, control_route
from emulator.batches.wire import batch_to_operation
from emulator.control import wire
from emulator.control.service import ControlService
from emulator.observability.metrics import metrics


def _control(request: Request) -> ControlService:
    return emulator_of(request).control


async def health(request: Request) -> Response:
    """200 once the server is serving: storage is open and the runner started."""
    return JSONResponse(await _control(request).health())


async def wait_idle(request: Request) -> Response:
    """Block (up to `timeout` seconds, default 30) until no batch has work left."""
    idle = await _control(request).wait_idle(wire.wait_timeout(request.query_params))
    return JSONResponse({"idle": idle})


async def reset(request: Request) -> Response:
    body = await read_json(request)
    await _control(request).reset(wire.tenant_in(request.query_params, body))
    return JSONResponse({})


async def get_clock(request: Request) -> Response:
    view = await _control(request).clock_view(wire.tenant_in(request.query_params))
    return JSONResponse(wire.clock_to_wire(view))


async def advance_clock(request: Request) -> Response:
    """Move time forward; returns once every batch due by the new time has got there."""
    body = await read_json(request)
    change = wire.advance(body)
    view = await _control(request).move_clock(change, wire.tenant_in(request.query_params, body))
    return JSONResponse(wire.clock_to_wire(view))


async def set_clock(request: Request) -> Response:
    """Jump to `time`, and/or (with an API key) switch that key to its own `manual` clock or back to
    `real` time."""
    body = await read_json(request)
    tenant = wire.tenant_in(request.query_params, body)
    view = await _control(request).move_clock(wire.clock_set(body, tenant), tenant)
    return JSONResponse(wire.clock_to_wire(view))


async def list_faults(request: Request) -> Response:
    return JSONResponse((await _control(request).fault_rules()).to_wire())


async def add_faults(request: Request) -> Response:
    """Add rules: `{"http": [...], "job": [...], "line": [...]}`, or one rule with a `kind`. A rule
    with `apiKey` applies to that key only."""
    tables = wire.fault_tables(await read_json(request))
    added, active = await _control(request).add_faults(tables)
    return JSONResponse(wire.faults_added_to_wire(added, active))


async def clear_faults(request: Request) -> Response:
    await _control(request).clear_faults(wire.tenant_in(request.query_params))
    return JSONResponse({})


async def delete_fault(request: Request) -> Response:
    await _control(request).remove_fault(request.path_params["rule_id"])
    return JSONResponse({})


async def list_requests(request: Request) -> Response:
    """The journal, oldest first: filter by `operation` (glob), `key`, `status`, `since` (a seq)."""
    entries = await _control(request).journal_entries(wire.journal_query(request.query_params))
    return JSONResponse(wire.journal_to_wire(entries))


async def clear_requests(request: Request) -> Response:
    await _control(request).reset_journal(wire.tenant_in(request.query_params))
    return JSONResponse({})


async def force_batch(request: Request) -> Response:
    state = wire.batch_state(await read_json(request))
    view = await _control(request).force(request.path_params["batch_id"], state)
    return JSONResponse(batch_to_operation(view))


async def seed(request: Request) -> Response:
    body = await read_json(request)
    return JSONResponse(await _control(request).import_state(body))


async def export_state(request: Request) -> Response:
    return JSONResponse(await _control(request).export_state(wire.tenant_in(request.query_params)))


async def set_responses(request: Request) -> Response:
    """Replace the scripted-answer rules: `{"rules": [...]}` or a bare list (the `--responses` format)."""
    count = await _control(request).set_responses(wire.response_rules(await request.body()))
    return JSONResponse({"rules": count})


async def get_responses(request: Request) -> Response:
    return JSONResponse({"rules": await _control(request).responses()})


async def get_config(request: Request) -> Response:
    return JSONResponse(await _control(request).effective_config())


async def patch_config(request: Request) -> Response:
    """Change latency, limits and the error rate of a running emulator (scenario-file names)."""
    body = await read_json(request)
    tenant = wire.tenant_in(request.query_params, body)
    return JSONResponse(await _control(request).reconfigure(wire.config_changes(body), tenant))


# The quota modules are imported on the first quota call: not at start-up (docs/quotas.md: off by default).
async def get_quotas(request: Request) -> Response:
    """Usage and limits per key and model: `?key=` for one key's, `?model=` to name models."""
    from emulator.quotas import wire as quota_wire

    query = request.query_params
    report = await _control(request).quotas(wire.tenant_in(query), quota_wire.usage_query(query))
    return JSONResponse(quota_wire.report_to_wire(report))


async def set_quotas(request: Request) -> Response:
    """Choose the tier and set single limits: `{"tier", "limits": {model: {limit: N}}, "quota": [...]}`."""
    from emulator.quotas import wire as quota_wire

    body = await read_json(request)
    tenant = wire.tenant_in(request.query_params, body)
    change = quota_wire.quota_change(body, for_key=tenant is not None)
    return JSONResponse(quota_wire.report_to_wire(await _control(request).set_quotas(change, tenant)))


async def reset_quotas(request: Request) -> Response:
    from emulator.quotas import wire as quota_wire

    report = await _control(request).reset_quotas(wire.tenant_in(request.query_params))
    return JSONResponse(quota_wire.report_to_wire(report))


# The OpenAPI document is imported when first asked for: not at start-up.
async def openapi(request: Request) -> Response:
    from emulator.control.openapi import openapi_document

    return JSONResponse(openapi_document(__version__))


# The control plane's own parameters: `key` (whose state; empty is refused, as it would mean everyone's).
_KEY = Param("key", required_text=True)
_NONE = Query(system=False)
_KEYED = Query(_KEY, system=False)
_WAIT = Query(Param("timeout", Kind.DOUBLE), system=False)
_JOURNAL = Query(
    Param("operation", required_text=True),
    _KEY,
    Param("status", Kind.INT32),
    Param("since", Kind.INT64),
    system=False,
)
_QUOTAS = Query(_KEY, Param("model", required_text=True, repeated=True), system=False)


def _route(path: str, endpoint: Endpoint, *methods: str, query: Query = _NONE) -> Route:
    """A control route taking the query parameters `query` (by default none but the control token)."""
    return control_route(path, endpoint, *methods, query=query)


routes = [
    _route("/health", health, "GET"),
    _route("/wait-idle", wait_idle, "GET", "POST", query=_WAIT),
    _route("/reset", reset, "POST", query=_KEYED),
    _route("/config", get_config, "GET"),
    _route("/config", patch_config, "PATCH", query=_KEYED),
    _route("/clock", get_clock, "GET", query=_KEYED),
    _route("/clock:advance", advance_clock, "POST", query=_KEYED),
    _route("/clock:set", set_clock, "POST", query=_KEYED),
    _route("/faults", list_faults, "GET"),
    _route("/faults", add_faults, "POST"),
    _route("/faults", clear_faults, "DELETE", query=_KEYED),
    _route("/faults/{rule_id}", delete_fault, "DELETE"),
    _route("/requests", list_requests, "GET", query=_JOURNAL),
    _route("/requests", clear_requests, "DELETE", query=_KEYED),
    _route("/batches/{batch_id:rid}:force", force_batch, "POST"),
    _route("/seed", seed, "POST"),
    _route("/state", export_state, "GET", query=_KEYED),
    _route("/responses", set_responses, "PUT"),
    _route("/responses", get_responses, "GET"),
    _route("/quotas", get_quotas, "GET", query=_QUOTAS),
    _route("/quotas", set_quotas, "POST", query=_KEYED),
    _route("/quotas", reset_quotas, "DELETE", query=_KEYED),
    _route("/openapi.json", openapi, "GET"),
    _route("/metrics", metrics, "GET"),
    LazyMount("emulator.webhooks.routes:control_routes", prefixes=("/webhooks/",)),  # docs/webhooks.md
]
