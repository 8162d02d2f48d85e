"""A Python client for the control plane (`/_emulator/*`), sync and async.

    from emulator.control import EmulatorControl

    control = EmulatorControl("http://127.0.0.1:8790")
    control.advance(hours=24)                      # a 24-hour job is done when this returns
    control.add_fault("http", operation="batches.get", status=503, first_n=2)
    control.force("batches/abc", "BATCH_STATE_FAILED")
    assert control.requests(operation="batches.create")

`AsyncEmulatorControl` has the same methods, awaitable. Every method that acts on state takes
`api_key=` to act on that key's state only. Errors from the emulator raise `ControlError` with
Google's `code`, `status` and `message`. With a control token, pass `token=`.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import httpx

from emulator.control.calls import Call, Calls, ControlError, client_options, result

__all__ = ["AsyncEmulatorControl", "ControlError", "EmulatorControl"]

HTTP = TypeVar("HTTP", httpx.Client, httpx.AsyncClient)


class _Control(Generic[HTTP]):
    """What both clients hold: the emulator's URL and an HTTP client of their kind (`client=` to bring
    one's own, e.g. with a transport of its own)."""

    _kind: type[HTTP]

    def __init__(
        self, url: str, *, timeout: float = 120.0, token: str | None = None, client: HTTP | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self._client: HTTP = client or self._kind(**client_options(self.url, timeout, token))


class EmulatorControl(_Control[httpx.Client]):
    """Steer a running emulator (in-process thread server or docker sidecar) over HTTP."""

    _kind = httpx.Client

    def _do(self, call: Call) -> Any:
        return result(call, self._client.request(call.method, call.path, params=call.params or None, json=call.json))

    def close(self) -> None:
        self._client.close()

    def __del__(self) -> None:  # a forgotten client must not leak its sockets
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()

    def __enter__(self) -> EmulatorControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._do(Calls.health())
        return result

    def reset(self, api_key: str | None = None) -> None:
        """Forget state (this key's, or everything)."""
        self._do(Calls.reset(api_key))

    def config(self) -> dict[str, Any]:
        result: dict[str, Any] = self._do(Calls.config())
        return result

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change latency, limits, `request_error_rate` or add `faults`, using scenario-file names
        (`apiKey=` for one key's latency, error rate, faults and clock mode)."""
        result: dict[str, Any] = self._do(Calls.configure(changes))
        return result

    def clock(self, api_key: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self._do(Calls.clock(api_key))
        return result

    def advance(
        self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0, api_key: str | None = None
    ) -> dict[str, Any]:
        """Move emulated time forward; returns once every batch due by then has got there."""
        result: dict[str, Any] = self._do(Calls.advance(seconds, minutes, hours, days, api_key))
        return result

    def set_time(
        self, time: str | None = None, api_key: str | None = None, *, mode: str | None = None
    ) -> dict[str, Any]:
        """Jump to `time` (RFC 3339); `mode="manual"`/`"real"` gives a key its own stopped clock or not."""
        result: dict[str, Any] = self._do(Calls.set_time(time, api_key, mode))
        return result

    def add_fault(self, kind: str, *, api_key: str | None = None, **rule: Any) -> str:
        """Add one rule of `kind` ("http", "job", "line" or "quirk"); returns its id."""
        rule_id: str = self._do(Calls.add_fault(kind, api_key, rule))
        return rule_id

    def faults(self) -> dict[str, Any]:
        result: dict[str, Any] = self._do(Calls.faults())
        return result

    def remove_fault(self, rule_id: str) -> None:
        self._do(Calls.remove_fault(rule_id))

    def clear_faults(self, api_key: str | None = None) -> None:
        self._do(Calls.clear_faults(api_key))

    def requests(
        self, operation: str | None = None, *, api_key: str | None = None, status: int | None = None, since: int = 0
    ) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._do(Calls.requests(operation, api_key, status, since))
        return result

    def clear_requests(self, api_key: str | None = None) -> None:
        self._do(Calls.clear_requests(api_key))

    def force(self, batch: str, state: str) -> dict[str, Any]:
        """Move a batch to `state` now (e.g. BATCH_STATE_FAILED); returns its operation."""
        result: dict[str, Any] = self._do(Calls.force(batch, state))
        return result

    def seed(self, document: dict[str, Any]) -> dict[str, list[str]]:
        result: dict[str, list[str]] = self._do(Calls.seed(document))
        return result

    def export_state(self, api_key: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self._do(Calls.export_state(api_key))
        return result

    def responses(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._do(Calls.responses())
        return result

    def set_responses(self, rules: list[dict[str, Any]]) -> None:
        self._do(Calls.set_responses(rules))

    def quotas(self, api_key: str | None = None, *, model: str | None = None) -> dict[str, Any]:
        """Usage and limits per key and model (docs/quotas.md); `model=` names a model to show."""
        result: dict[str, Any] = self._do(Calls.quotas(api_key, model))
        return result

    def set_quotas(self, *, api_key: str | None = None, **change: Any) -> dict[str, Any]:
        """`tier="1"`, `limits={"gemini-2.5-flash": {"enqueuedTokens": 1000}}`, `quota=["MODEL:METRIC=N"]`
        (with `api_key=`, limits for that key alone)."""
        result: dict[str, Any] = self._do(Calls.set_quotas(change, api_key))
        return result

    def reset_quotas(self, api_key: str | None = None) -> dict[str, Any]:
        """Back to the start-up tier and limits; counts forgotten."""
        result: dict[str, Any] = self._do(Calls.reset_quotas(api_key))
        return result

    def wait_idle(self, timeout: float = 30) -> bool:
        idle: bool = self._do(Calls.wait_idle(timeout))
        return idle

    def webhook_deliveries(self, api_key: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        """Webhook deliveries with their attempts, newest first; filters `webhook`, `eventType`, `batch`,
        `state`, `mode`, `limit` (docs/webhooks.md)."""
        found: list[dict[str, Any]] = self._do(Calls.webhook_deliveries(api_key, filters))
        return found

    def redeliver(self, delivery_id: str) -> dict[str, Any]:
        """One more attempt of a delivery now, with the same `webhook-id`."""
        result: dict[str, Any] = self._do(Calls.redeliver(delivery_id))
        return result

    def settle_webhooks(self) -> None:
        """Return once every webhook attempt due at the current emulated time has been made."""
        self._do(Calls.settle_webhooks())


class AsyncEmulatorControl(_Control[httpx.AsyncClient]):
    """The same calls as `EmulatorControl`, awaitable."""

    _kind = httpx.AsyncClient

    async def _do(self, call: Call) -> Any:
        response = await self._client.request(call.method, call.path, params=call.params or None, json=call.json)
        return result(call, response)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> AsyncEmulatorControl:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def health(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._do(Calls.health())
        return result

    async def reset(self, api_key: str | None = None) -> None:
        await self._do(Calls.reset(api_key))

    async def config(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._do(Calls.config())
        return result

    async def configure(self, **changes: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self._do(Calls.configure(changes))
        return result

    async def clock(self, api_key: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = await self._do(Calls.clock(api_key))
        return result

    async def advance(
        self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0, api_key: str | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self._do(Calls.advance(seconds, minutes, hours, days, api_key))
        return result

    async def set_time(
        self, time: str | None = None, api_key: str | None = None, *, mode: str | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self._do(Calls.set_time(time, api_key, mode))
        return result

    async def add_fault(self, kind: str, *, api_key: str | None = None, **rule: Any) -> str:
        rule_id: str = await self._do(Calls.add_fault(kind, api_key, rule))
        return rule_id

    async def faults(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._do(Calls.faults())
        return result

    async def remove_fault(self, rule_id: str) -> None:
        await self._do(Calls.remove_fault(rule_id))

    async def clear_faults(self, api_key: str | None = None) -> None:
        await self._do(Calls.clear_faults(api_key))

    async def requests(
        self, operation: str | None = None, *, api_key: str | None = None, status: int | None = None, since: int = 0
    ) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._do(Calls.requests(operation, api_key, status, since))
        return result

    async def clear_requests(self, api_key: str | None = None) -> None:
        await self._do(Calls.clear_requests(api_key))

    async def force(self, batch: str, state: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._do(Calls.force(batch, state))
        return result

    async def seed(self, document: dict[str, Any]) -> dict[str, list[str]]:
        result: dict[str, list[str]] = await self._do(Calls.seed(document))
        return result

    async def export_state(self, api_key: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = await self._do(Calls.export_state(api_key))
        return result

    async def responses(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._do(Calls.responses())
        return result

    async def set_responses(self, rules: list[dict[str, Any]]) -> None:
        await self._do(Calls.set_responses(rules))

    async def quotas(self, api_key: str | None = None, *, model: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = await self._do(Calls.quotas(api_key, model))
        return result

    async def set_quotas(self, *, api_key: str | None = None, **change: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self._do(Calls.set_quotas(change, api_key))
        return result

    async def reset_quotas(self, api_key: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = await self._do(Calls.reset_quotas(api_key))
        return result

    async def wait_idle(self, timeout: float = 30) -> bool:
        idle: bool = await self._do(Calls.wait_idle(timeout))
        return idle

    async def webhook_deliveries(self, api_key: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self._do(Calls.webhook_deliveries(api_key, filters))
        return found

    async def redeliver(self, delivery_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._do(Calls.redeliver(delivery_id))
        return result

    async def settle_webhooks(self) -> None:
        await self._do(Calls.settle_webhooks())
