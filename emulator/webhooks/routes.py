"""WebhookService routes (snake_case, under every API version), the JWKS that dynamic webhooks'
JWTs are checked against, and the control plane's view of deliveries: parse, one call, render."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator.asgi.query import PAGING, Kind, Param, Query
from emulator.asgi.requests import JSONResponse, emulator_of, read_json, tenant_for, tenant_of
from emulator.asgi.routing import api_route, control_route
from emulator.clock import rfc3339
from emulator.errors import InvalidArgument
from emulator.paging import page_params
from emulator.webhooks import wire
from emulator.webhooks.models import Attempt, Delivery
from emulator.webhooks.service import WebhookService

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50
JWKS_PATH = "/.well-known/jwks.json"


def _service(request: Request) -> WebhookService:
    service: WebhookService = emulator_of(request).webhooks
    return service


def _now(request: Request) -> int:
    return emulator_of(request).clock.now_us(tenant_of(request))


async def create_webhook(request: Request) -> Response:
    query = request.query_params
    webhook_id = wire.parse_webhook_id(query.get("webhook_id") or query.get("webhookId"))
    given = wire.parse_create(await read_json(request))
    webhook, secret = await _service(request).create(tenant_of(request), given, webhook_id)
    return JSONResponse(wire.webhook_to_wire(webhook, _now(request), new_secret=secret))


async def list_webhooks(request: Request) -> Response:
    size, token = page_params(request.query_params, default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
    page = await _service(request).list(tenant_of(request), size, token)
    now = _now(request)
    return JSONResponse(page.to_wire("webhooks", lambda w: wire.webhook_to_wire(w, now), token_field="next_page_token"))


async def get_webhook(request: Request) -> Response:
    webhook = await _service(request).get(tenant_of(request), request.path_params["webhook_id"])
    return JSONResponse(wire.webhook_to_wire(webhook, _now(request)))


async def update_webhook(request: Request) -> Response:
    mask = request.query_params.get("update_mask") or request.query_params.get("updateMask")
    change = wire.parse_update(await read_json(request), mask)
    webhook = await _service(request).update(tenant_of(request), request.path_params["webhook_id"], change)
    return JSONResponse(wire.webhook_to_wire(webhook, _now(request)))


async def delete_webhook(request: Request) -> Response:
    await _service(request).delete(tenant_of(request), request.path_params["webhook_id"])
    return JSONResponse({})


async def ping_webhook(request: Request) -> Response:
    await read_json(request)  # the SDKs send no body, or {}
    await _service(request).ping(tenant_of(request), request.path_params["webhook_id"])
    return JSONResponse({})


async def rotate_signing_secret(request: Request) -> Response:
    revocation = wire.parse_revocation(await read_json(request))
    secret = await _service(request).rotate(tenant_of(request), request.path_params["webhook_id"], revocation)
    return JSONResponse({"secret": secret})


async def jwks(request: Request) -> Response:
    return JSONResponse(await _service(request).jwks(), headers={"cache-control": "public, max-age=3600"})


# -- the control plane ---------------------------------------------------------------------------
def delivery_to_wire(delivery: Delivery, attempts: Sequence[Attempt]) -> dict[str, Any]:
    try:
        body: Any = orjson.loads(delivery.body)
    except orjson.JSONDecodeError:
        body = delivery.body.decode(errors="replace")
    out: dict[str, Any] = {
        "id": delivery.id,
        "tenant": delivery.tenant,
        "eventType": delivery.event_type,
        "subject": delivery.subject,
        "url": delivery.url,
        "mode": str(delivery.mode),
        "state": str(delivery.state),
        "attemptCount": delivery.attempts,
        "eventTime": rfc3339(delivery.event_us),
        "createTime": rfc3339(delivery.create_us),
        "body": body,
        "attempts": [a.to_wire() for a in attempts],
    }
    if delivery.webhook_id:
        out["webhook"] = delivery.webhook_id
    if delivery.next_us is not None:
        out["nextAttemptTime"] = rfc3339(delivery.next_us)
    if delivery.last_status is not None:
        out["lastStatus"] = delivery.last_status
    if delivery.last_error:
        out["lastError"] = delivery.last_error
    return out


_FILTERS = {
    "webhook": "webhook_id",
    "eventType": "event_type",
    "event_type": "event_type",
    "event": "event_type",
    "batch": "subject",
    "subject": "subject",
    "state": "state",
    "mode": "mode",
}


async def list_deliveries(request: Request) -> Response:
    """`?apiKey=&webhook=&eventType=&batch=&state=&mode=&limit=`, newest first."""
    query = request.query_params
    filters = {column: query[name] for name, column in _FILTERS.items() if query.get(name)}
    if filters.get("subject") and not filters["subject"].startswith("batches/"):
        filters["subject"] = "batches/" + filters["subject"]
    key = query.get("apiKey") or query.get("api_key")
    if key:
        filters["tenant"] = tenant_for(key)
    limit = max(1, min(int(query.get("limit") or 100), 1000)) if (query.get("limit") or "1").isdigit() else 100
    found = await _service(request).deliveries(filters, limit)
    return JSONResponse({"deliveries": [delivery_to_wire(d, a) for d, a in found]})


async def get_delivery(request: Request) -> Response:
    delivery, attempts = await _service(request).delivery(request.path_params["delivery_id"])
    return JSONResponse(delivery_to_wire(delivery, attempts))


async def redeliver(request: Request) -> Response:
    service = _service(request)
    delivery = await service.redeliver(request.path_params["delivery_id"])
    return JSONResponse(delivery_to_wire(*await service.delivery(delivery.id)))


async def signing_secrets(request: Request) -> Response:
    """`?apiKey=K[&uri=U]`: the secrets that sign now for K's webhooks (to U), for test receivers."""
    query = request.query_params
    key = query.get("apiKey") or query.get("api_key")
    if not key:
        raise InvalidArgument("apiKey is required: whose webhooks' secrets?")
    secrets = await _service(request).signing_secrets(tenant_for(key), query.get("uri") or None)
    return JSONResponse({"secrets": secrets})


async def settle_deliveries(request: Request) -> Response:
    """Return once every attempt due now has been made (after a clock jump, for instance)."""
    await _service(request).settle()
    return JSONResponse({})


# The query parameters each route reads (docs/api.md, Validation: any other is refused).
_NONE = Query()
_ROTATE = ("POST", "webhooks.rotate")
routes = [
    *api_route("/webhooks", create_webhook, "POST", "webhooks.create", query=Query(Param("webhookId"))),
    *api_route("/webhooks", list_webhooks, "GET", "webhooks.list", query=Query(*PAGING)),
    *api_route("/webhooks/{webhook_id:rid}", get_webhook, "GET", "webhooks.get", query=_NONE),
    *api_route(
        "/webhooks/{webhook_id:rid}", update_webhook, "PATCH", "webhooks.update", query=Query(Param("updateMask"))
    ),
    *api_route("/webhooks/{webhook_id:rid}", delete_webhook, "DELETE", "webhooks.delete", query=_NONE),
    *api_route("/webhooks/{webhook_id:rid}:ping", ping_webhook, "POST", "webhooks.ping", query=_NONE),
    *api_route("/webhooks/{webhook_id:rid}:rotateSigningSecret", rotate_signing_secret, *_ROTATE, query=_NONE),
    *api_route("/webhooks/{webhook_id:rid}/rotate_secret", rotate_signing_secret, *_ROTATE, query=_NONE),
]
jwks_routes = [Route(JWKS_PATH, jwks, methods=["GET"], name="webhooks.jwks")]
_CONTROL = Query(system=False)
_DELIVERIES = Query(
    *(Param(name) for name in ("apiKey", *(name for name in _FILTERS if name != "event_type"))),
    Param("limit", Kind.INT32),
    system=False,
)
_SECRETS = Query(Param("apiKey"), Param("uri"), system=False)
control_routes = [
    control_route("/webhooks/deliveries", list_deliveries, "GET", query=_DELIVERIES),
    control_route("/webhooks/deliveries/{delivery_id}", get_delivery, "GET", query=_CONTROL),
    control_route("/webhooks/deliveries/{delivery_id}:redeliver", redeliver, "POST", query=_CONTROL),
    control_route("/webhooks/settle", settle_deliveries, "POST", query=_CONTROL),
    control_route("/webhooks/signing-secrets", signing_secrets, "GET", query=_SECRETS),
]
