"""The WebhookService's JSON: snake_case in and out, as the SDKs send and expect it (the Python SDK
ignores camelCase response keys, so none is ever written; camelCase input is accepted)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from emulator.clock import rfc3339
from emulator.errors import InvalidArgument
from emulator.webhooks.models import EVENT_TYPES, Webhook, WebhookState

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
UPDATABLE = ("name", "uri", "subscribed_events", "state")
REVOCATIONS = ("revoke_previous_secrets_after_h24", "revoke_previous_secrets_immediately")


@dataclass(frozen=True, slots=True)
class WebhookInput:
    uri: str
    events: tuple[str, ...]
    name: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookChange:
    """The fields an update sets (None: left as is; `name` may be cleared with "")."""

    uri: str | None = None
    events: tuple[str, ...] | None = None
    name: str | None = None
    state: WebhookState | None = None


def _field(body: Mapping[str, Any], snake: str) -> Any:
    camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), snake)
    return body[snake] if snake in body else body.get(camel)


def parse_uri(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument("uri is required: the URL webhook events are sent to.")
    try:
        parts = urlsplit(value.strip())
        host = parts.hostname
    except ValueError:
        host = None
    if host is None or parts.scheme not in ("http", "https"):
        raise InvalidArgument(f"uri {value!r} is not an absolute http or https URL.")
    return value.strip()


def parse_events(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidArgument("subscribed_events is required: a non-empty list of event types.")
    events = []
    for item in value:
        if item not in EVENT_TYPES:
            raise InvalidArgument(f"subscribed_events: {item!r} is not one of {', '.join(EVENT_TYPES)}.")
        if item not in events:
            events.append(item)
    return tuple(events)


def parse_webhook_id(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _ID.match(value):
        raise InvalidArgument(
            f"webhook_id {value!r} is invalid: use 1 to 63 lowercase letters, digits or hyphens, "
            "starting with a letter or digit."
        )
    return value


def parse_create(body: Mapping[str, Any]) -> WebhookInput:
    name = _field(body, "name")
    return WebhookInput(
        uri=parse_uri(_field(body, "uri")),
        events=parse_events(_field(body, "subscribed_events")),
        name=str(name) if name else None,
    )


def parse_update(body: Mapping[str, Any], update_mask: str | None) -> WebhookChange:
    """With an `update_mask`, exactly the fields it names (a named field missing from the body is
    cleared, or refused if required); without one, every field present in the body."""
    if update_mask:
        fields = [re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), f.strip()) for f in update_mask.split(",")]
        for f in fields:
            if f not in UPDATABLE:
                raise InvalidArgument(f"update_mask: {f!r} cannot be updated; use {', '.join(UPDATABLE)}.")
    else:
        fields = [f for f in UPDATABLE if _field(body, f) is not None]
    state = None
    if "state" in fields:
        raw = _field(body, "state")
        if raw not in (WebhookState.ENABLED, WebhookState.DISABLED):
            raise InvalidArgument(f"state: {raw!r} cannot be set; use enabled or disabled.")
        state = WebhookState(raw)
    name = _field(body, "name") if "name" in fields else None
    return WebhookChange(
        uri=parse_uri(_field(body, "uri")) if "uri" in fields else None,
        events=parse_events(_field(body, "subscribed_events")) if "subscribed_events" in fields else None,
        name=(str(name) if name else "") if "name" in fields else None,
        state=state,
    )


def parse_revocation(body: Mapping[str, Any]) -> str:
    """`revocation_behavior` in any case; absent means the 24-hour grace (the safer default)."""
    raw = _field(body, "revocation_behavior")
    if raw is None or raw == "":
        return REVOCATIONS[0]
    value = str(raw).lower()
    if value not in REVOCATIONS:
        raise InvalidArgument(f"revocation_behavior: {raw!r} is not one of {', '.join(REVOCATIONS)}.")
    return value


def webhook_to_wire(webhook: Webhook, now_us: int, *, new_secret: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": webhook.id,
        "uri": webhook.uri,
        "subscribed_events": list(webhook.events),
        "state": str(webhook.state),
        "signing_secrets": [
            {"truncated_secret": s.truncated, **({"expire_time": rfc3339(s.expire_us)} if s.expire_us else {})}
            for s in webhook.live_secrets(now_us)
        ],
    }
    if webhook.name:
        out["name"] = webhook.name
    if new_secret is not None:
        out["new_signing_secret"] = new_secret
    return out
