"""Which event a finished batch emits, and its thin payload: pointers to the results, never the
results (`{type, version, timestamp, data{id, output_file_uri | error_code, error_message}}`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from emulator.batches.models import Batch, BatchState
from emulator.clock import rfc3339

_EVENT_OF_STATE = {
    BatchState.SUCCEEDED: "batch.succeeded",
    BatchState.FAILED: "batch.failed",
    BatchState.EXPIRED: "batch.expired",
    BatchState.CANCELLED: "batch.cancelled",
}


@dataclass(frozen=True, slots=True)
class Targets:
    """Where a batch's events go: its own `webhookConfig.uris` (then the registered webhooks are
    skipped for it), with the `user_metadata` they echo."""

    uris: tuple[str, ...]
    user_metadata: Any = None


def batch_event_type(batch: Batch, *, cancelled_events: bool) -> str | None:
    event = _EVENT_OF_STATE.get(batch.state)
    if event == "batch.cancelled" and not cancelled_events:
        return None
    return event


def dynamic_targets(batch: Batch) -> Targets | None:
    """The batch's `webhookConfig` (either SDK's spelling of the metadata), or None if it has no URIs."""
    config = batch.webhook or {}
    uris = config.get("uris")
    if not isinstance(uris, list) or not uris:
        return None
    metadata = config.get("user_metadata", config.get("userMetadata"))
    return Targets(tuple(str(u) for u in uris if isinstance(u, str) and u), metadata)


def payload(event_type: str, batch: Batch, *, user_metadata: Any = None) -> bytes:
    """The event's body, byte for byte as signed and sent."""
    data: dict[str, Any] = {"id": batch.name}
    if event_type == "batch.succeeded" and batch.output_file:
        data["output_file_uri"] = batch.output_file
    elif event_type == "batch.failed":
        error = batch.error or {}
        data["error_code"] = str(error.get("status") or "INTERNAL")
        data["error_message"] = str(error.get("message") or "The batch failed.")
    if user_metadata is not None:
        data["user_metadata"] = user_metadata
    when = batch.end_us or batch.update_us
    return orjson.dumps({"type": event_type, "version": "v1", "timestamp": rfc3339(when), "data": data})


def ping_payload(webhook_id: str, now_us: int) -> bytes:
    """What `:ping` sends (undocumented: the emulator's choice, docs/webhooks.md)."""
    return orjson.dumps(
        {"type": "webhook.ping", "version": "v1", "timestamp": rfc3339(now_us), "data": {"id": webhook_id}}
    )
