"""The OpenAPI 3.1 document of the whole surface (`/_emulator/openapi.json`): the Gemini API paths
(`api_paths.py`) and the control plane (here).

Kept beside the routes it describes; `tests/control/test_control_plane.py` checks that every route
is documented and every documented path is served.
"""

from __future__ import annotations

from typing import Any

from emulator.control.api_paths import SCHEMAS, api_paths
from emulator.webhooks.openapi import webhook_paths

_KEY = {
    "name": "key",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "Act on this API key's state only.",
}
_OK = {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}}
_ERROR = {
    "description": "An error in Google's shape",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _op(
    summary: str,
    *,
    body: dict[str, Any] | None = None,
    params: list[dict[str, Any]] | None = None,
    ok: dict[str, Any] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {**(ok or _OK), "400": _ERROR}}
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": False, "content": {"application/json": {"schema": body}}}
    return op


_CLOCK = {
    "type": "object",
    "properties": {
        "now": {"type": "string", "format": "date-time"},
        "mode": {"enum": ["real", "scaled", "manual"]},
        "timeScale": {"type": "number"},
    },
}
_ADVANCE = {
    "type": "object",
    "properties": {
        "seconds": {"type": "number"},
        "minutes": {"type": "number"},
        "hours": {"type": "number"},
        "days": {"type": "number"},
        "apiKey": {"type": "string"},
    },
}
_FAULTS = {
    "type": "object",
    "properties": {
        "http": {"type": "array", "items": {"type": "object"}},
        "job": {"type": "array", "items": {"type": "object"}},
        "line": {"type": "array", "items": {"type": "object"}},
    },
}
_SEED = {
    "type": "object",
    "properties": {
        "apiKey": {"type": "string"},
        "files": {"type": "array", "items": {"type": "object"}},
        "batches": {"type": "array", "items": {"type": "object"}},
    },
}


def openapi_document(version: str) -> dict[str, Any]:
    clock_ok = {"200": {"description": "The clock", "content": {"application/json": {"schema": _CLOCK}}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "gemini-batch-emulator: the Gemini Files and Batch Mode API, and the control plane",
            "version": version,
            "description": "Steer the emulator from tests: clock, faults, journal, seeding, reset.",
        },
        "paths": {
            **api_paths(),
            **webhook_paths(),
            "/_emulator/health": {"get": _op("Readiness: 200 once serving")},
            "/_emulator/wait-idle": {
                "get": _op(
                    "Wait until no batch has work left",
                    params=[{"name": "timeout", "in": "query", "schema": {"type": "number"}}],
                ),
                "post": _op("Wait until no batch has work left"),
            },
            "/_emulator/reset": {
                "post": _op(
                    "Forget state (one key's, or all)",
                    body={"type": "object", "properties": {"apiKey": {"type": "string"}}},
                    params=[_KEY],
                )
            },
            "/_emulator/config": {
                "get": _op("The effective configuration"),
                "patch": _op("Change latency, limits, error rate or faults while running", body={"type": "object"}),
            },
            "/_emulator/clock": {"get": _op("The emulated time", params=[_KEY], ok=clock_ok)},
            "/_emulator/clock:advance": {
                "post": _op("Move time forward; returns when due work is done", body=_ADVANCE, ok=clock_ok)
            },
            "/_emulator/clock:set": {
                "post": _op(
                    "Jump to a time",
                    body={
                        "type": "object",
                        "required": ["time"],
                        "properties": {"time": {"type": "string", "format": "date-time"}, "apiKey": {"type": "string"}},
                    },
                    ok=clock_ok,
                )
            },
            "/_emulator/faults": {
                "get": _op("The active fault rules"),
                "post": _op("Add fault rules", body=_FAULTS),
                "delete": _op("Clear fault rules (one key's, or all)", params=[_KEY]),
            },
            "/_emulator/faults/{rule_id}": {
                "delete": _op(
                    "Remove one rule",
                    params=[{"name": "rule_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                )
            },
            "/_emulator/requests": {
                "get": _op(
                    "The request journal",
                    params=[
                        {"name": "operation", "in": "query", "schema": {"type": "string"}},
                        _KEY,
                        {"name": "status", "in": "query", "schema": {"type": "integer"}},
                        {"name": "since", "in": "query", "schema": {"type": "integer"}},
                    ],
                ),
                "delete": _op("Clear the journal", params=[_KEY]),
            },
            "/_emulator/batches/{batch_id}:force": {
                "post": _op(
                    "Move a batch to a state now",
                    params=[{"name": "batch_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    body={"type": "object", "required": ["state"], "properties": {"state": {"type": "string"}}},
                )
            },
            "/_emulator/seed": {"post": _op("Create named files and batches", body=_SEED)},
            "/_emulator/state": {"get": _op("Export files and batches in the seed format", params=[_KEY])},
            "/_emulator/responses": {
                "get": _op("The scripted-answer rules in force"),
                "put": _op(
                    "Replace the scripted-answer rules",
                    body={"type": "object", "properties": {"rules": {"type": "array", "items": {"type": "object"}}}},
                ),
            },
            "/_emulator/quotas": {
                "get": _op(
                    "Quota usage and limits per key and model (docs/quotas.md)",
                    params=[_KEY, {"name": "model", "in": "query", "schema": {"type": "string"}}],
                ),
                "post": _op(
                    "Choose the tier, set single limits (everyone's, or one key's)",
                    body={
                        "type": "object",
                        "properties": {
                            "tier": {"type": ["string", "null"], "enum": ["free", "1", "2", "3", None]},
                            "limits": {"type": "object", "additionalProperties": {"type": "object"}},
                            "quota": {"type": "array", "items": {"type": "string"}},
                            "apiKey": {"type": "string"},
                        },
                    },
                ),
                "delete": _op("Back to the start-up quotas, counts forgotten (one key's, or all)", params=[_KEY]),
            },
            "/_emulator/openapi.json": {"get": _op("This document")},
            "/$discovery/rest": {
                "get": _op(
                    "Google's discovery document of the Gemini API paths above (googleapis' google.discoverAPI)",
                    params=[{"name": "version", "in": "query", "schema": {"enum": ["v1", "v1beta", "v1alpha"]}}],
                )
            },
            "/_emulator/metrics": {
                "get": _op(
                    "Prometheus metrics: requests, batches by state, lines processed, queue depth, rate",
                    ok={"200": {"description": "Prometheus text format 0.0.4", "content": {"text/plain": {}}}},
                )
            },
        },
        "components": {
            "schemas": {
                **SCHEMAS,
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message", "status"],
                            "properties": {
                                "code": {"type": "integer"},
                                "message": {"type": "string"},
                                "status": {"type": "string"},
                            },
                        }
                    },
                },
            }
        },
    }
