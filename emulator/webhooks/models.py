"""The webhook resources: a static webhook, one event's delivery to one URL, and each attempt at it.

Pure data. Times are emulated microseconds (the emulator's clock) unless named `wall_`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from emulator.casing import add_present


class WebhookState(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"
    FAILING = "disabled_due_to_failed_deliveries"


# The events of the SDKs' enum and the API reference; `*.cancelled` only in the guide's catalog
# (accepted in a subscription, emitted for batches only when the option says so).
EVENT_TYPES = (
    "batch.succeeded",
    "batch.failed",
    "batch.expired",
    "batch.cancelled",
    "interaction.requires_action",
    "interaction.completed",
    "interaction.failed",
    "interaction.cancelled",
    "video.generated",
)
BATCH_EVENTS = ("batch.succeeded", "batch.failed", "batch.expired", "batch.cancelled")
PING_EVENT = "webhook.ping"


@dataclass(frozen=True, slots=True)
class Secret:
    """A signing secret (`whsec_` + base64 of the key); `expire_us` set once it is being revoked."""

    value: str
    create_us: int
    expire_us: int | None = None

    def live(self, now_us: int) -> bool:
        return self.expire_us is None or self.expire_us > now_us

    @property
    def truncated(self) -> str:
        return f"whsec_...{self.value[-4:]}"


@dataclass(slots=True)
class Webhook:
    """A static webhook of one tenant (API key)."""

    tenant: str
    id: str
    uri: str
    events: tuple[str, ...]
    state: WebhookState
    create_us: int
    update_us: int
    secrets: list[Secret] = field(default_factory=list)
    name: str | None = None
    failed_events: int = 0  # events in a row whose deliveries ran out of retries

    def live_secrets(self, now_us: int) -> list[Secret]:
        """The secrets that sign now, newest first."""
        return [s for s in reversed(self.secrets) if s.live(now_us)]


class Mode(StrEnum):
    STATIC = "static"  # a registered webhook: Standard Webhooks HMAC signature
    DYNAMIC = "dynamic"  # a batch's webhookConfig.uris: RS256 JWT


class DeliveryState(StrEnum):
    PENDING = "pending"  # due (again) at next_us
    DELIVERED = "delivered"  # a 2xx came back
    FAILED = "failed"  # out of retries
    CANCELLED = "cancelled"  # its webhook was deleted or disabled before it got through


@dataclass(slots=True)
class Delivery:
    """One event to one URL. `id` is the `webhook-id` header: the same on every attempt."""

    id: str
    tenant: str
    event_type: str
    subject: str  # what the event is about: `batches/abc`
    url: str
    mode: Mode
    body: bytes
    event_us: int
    create_us: int
    next_us: int | None
    webhook_id: str | None = None  # None for a dynamic delivery
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    seq: int = 0

    @property
    def host(self) -> str:
        """The `host:port` it goes to (the unit of the per-host limit of attempts in flight)."""
        try:
            return urlsplit(self.url).netloc
        except ValueError:
            return self.url


@dataclass(frozen=True, slots=True)
class Attempt:
    """One HTTP POST of a delivery, as sent and as answered."""

    delivery_id: str
    n: int  # 1 for the first attempt
    scheduled_us: int  # when it was due (emulated)
    sent_us: int  # when it was made (emulated)
    wall_us: int  # when it was made (real time)
    url: str
    headers: dict[str, str]
    body: bytes
    status: int | None  # None: no answer (refused, timed out, dropped by a fault)
    latency_ms: float
    error: str | None = None
    response: str | None = None  # the start of the answer's body
    faults: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def to_wire(self) -> dict[str, Any]:
        from emulator.clock import rfc3339

        out: dict[str, Any] = {
            "attempt": self.n,
            "scheduledTime": rfc3339(self.scheduled_us),
            "sentTime": rfc3339(self.sent_us),
            "wallTime": rfc3339(self.wall_us),
            "url": self.url,
            "headers": self.headers,
            "body": self.body.decode(errors="replace"),
            "status": self.status,
            "latencyMs": round(self.latency_ms, 3),
        }
        return add_present(out, error=self.error, response=self.response, faults=list(self.faults))


@dataclass(frozen=True, slots=True)
class WebhookOptions:
    """What the emulator's settings say about webhooks (see docs/webhooks.md)."""

    allow: tuple[str, ...] = ("loopback",)  # where deliveries may go (see `delivery.allowed`); `*`: anywhere
    cancelled_events: bool = False  # emit batch.cancelled
    timeout: float = 5.0  # real seconds an attempt may take
    pace: float = 0.02  # real seconds between attempts' starts while the API is in use; 0: no pace
    max_response_bytes: int = 64 * 1024  # read at most this much of an answer
    disable_after: int = 1  # events in a row out of retries before disabled_due_to_failed_deliveries
    issuer: str = "https://generativelanguage.googleapis.com"  # the JWT's `iss`
    raw_key: bool = False  # HMAC with the UTF-8 bytes of the whole secret (an early report), not its key
    concurrency: int = 16  # attempts in flight at once
