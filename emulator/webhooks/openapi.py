"""The webhook half of the OpenAPI document: the WebhookService (snake_case, under every version),
the JWKS, and the control plane's delivery endpoints; merged into `/_emulator/openapi.json`."""

from __future__ import annotations

from typing import Any

from emulator.webhooks.models import EVENT_TYPES

_VERSION = {"name": "version", "in": "path", "required": True, "schema": {"enum": ["v1", "v1beta", "v1alpha"]}}
_KEY_HEADER = {"name": "x-goog-api-key", "in": "header", "required": False, "schema": {"type": "string"}}
_ID = {"name": "webhook_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[^/:]+$"}}
_DELIVERY = {"name": "delivery_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[^/:]+$"}}
_ERRORS = {
    "default": {
        "description": "An error in Google's shape",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
}
_EVENTS = {"type": "array", "items": {"enum": list(EVENT_TYPES)}}
WEBHOOK = {
    "type": "object",
    "required": ["id", "uri", "subscribed_events", "state"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "uri": {"type": "string"},
        "subscribed_events": _EVENTS,
        "state": {"enum": ["enabled", "disabled", "disabled_due_to_failed_deliveries"]},
        "new_signing_secret": {"type": "string", "pattern": "^whsec_"},
        "signing_secrets": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"truncated_secret": {"type": "string"}, "expire_time": {"type": "string"}},
            },
        },
    },
}
_FIELDS: dict[str, Any] = {"uri": {"type": "string"}, "subscribed_events": _EVENTS, "name": {"type": "string"}}
_INPUT = {"type": "object", "properties": _FIELDS}
_UPDATE = {"type": "object", "properties": {**_FIELDS, "state": {"enum": ["enabled", "disabled"]}}}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _op(
    summary: str, ok: dict[str, Any], *params: dict[str, Any], body: dict[str, Any] | None = None
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": [_VERSION, _KEY_HEADER, *params],
        "responses": {"200": _json(ok), **_ERRORS},
    }
    if body is not None:
        op["requestBody"] = {"required": False, "content": {"application/json": {"schema": body}}}
    return op


def _control(summary: str, *params: dict[str, Any]) -> dict[str, Any]:
    return {"summary": summary, "parameters": list(params), "responses": {"200": _json({"type": "object"}), **_ERRORS}}


def _rotate(summary: str) -> dict[str, Any]:
    """rotateSigningSecret, which answers at two paths: the new secret for a revocation behaviour."""
    secret = {"type": "object", "properties": {"secret": {"type": "string"}}}
    return _op(summary, secret, _ID, body={"type": "object", "properties": {"revocation_behavior": {"type": "string"}}})


def _query(name: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}


def webhook_paths() -> dict[str, Any]:
    empty = {"type": "object", "maxProperties": 0}
    listed = {
        "type": "object",
        "properties": {"webhooks": {"type": "array", "items": WEBHOOK}, "next_page_token": {"type": "string"}},
    }
    paging = [_query("page_size"), _query("page_token")]
    return {
        "/{version}/webhooks": {
            "post": _op("webhooks.create", WEBHOOK, _query("webhook_id"), body=_INPUT),
            "get": _op("webhooks.list", listed, *paging),
        },
        "/{version}/webhooks/{webhook_id}": {
            "get": _op("webhooks.get", WEBHOOK, _ID),
            "patch": _op("webhooks.update", WEBHOOK, _ID, _query("update_mask"), body=_UPDATE),
            "delete": _op("webhooks.delete", empty, _ID),
        },
        "/{version}/webhooks/{webhook_id}:ping": {"post": _op("webhooks.ping", empty, _ID)},
        "/{version}/webhooks/{webhook_id}:rotateSigningSecret": {"post": _rotate("webhooks.rotateSigningSecret")},
        "/{version}/webhooks/{webhook_id}/rotate_secret": {
            "post": _rotate("webhooks.rotateSigningSecret (the guide's REST form)")
        },
        "/.well-known/jwks.json": {
            "get": {
                "summary": "The public key dynamic webhooks' JWTs are signed with (RS256)",
                "responses": {"200": _json({"type": "object", "properties": {"keys": {"type": "array"}}})},
            }
        },
        "/_emulator/webhooks/deliveries": {
            "get": _control(
                "Webhook deliveries and their attempts, newest first",
                *map(_query, ("apiKey", "webhook", "eventType", "batch", "state", "mode", "limit")),
            )
        },
        "/_emulator/webhooks/deliveries/{delivery_id}": {"get": _control("One delivery", _DELIVERY)},
        "/_emulator/webhooks/deliveries/{delivery_id}:redeliver": {
            "post": _control("One more attempt now, same webhook-id", _DELIVERY)
        },
        "/_emulator/webhooks/settle": {"post": _control("Return once every attempt due now has been made")},
        "/_emulator/webhooks/signing-secrets": {
            "get": _control(
                "The live signing secrets of a key's webhooks (for test receivers)", *map(_query, ("apiKey", "uri"))
            )
        },
    }
