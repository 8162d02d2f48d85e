"""A Python client for the control plane (`/_emulator/*`), sync and async.

    from emulator.control import EmulatorControl

    control = EmulatorControl("http://127.0.0.1:8790")
    control.advance(hours=24)                      # a 24-hour job is done when this returns
    control.add_fault("http", operation="batches.get", status=503, first_n=2)
    control.force("batches/abc", "BATCH_STATE_FAILED")
    assert control.requests(operation="batches.create")

Every method that acts on state takes `api_key=` to act on that key's state only. Errors from the
emulator raise `ControlError` with Google's `code`, `status` and `message`.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["AsyncEmulatorControl", "ControlError", "EmulatorControl"]


class ControlError(Exception):
    def __init__(self, status_code: int, body: Any) -> None:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        self.code = status_code
        self.status = error.get("status")
        self.message = error.get("message", str(body))
        super().__init__(f"{status_code} {self.status}: {self.message}")


def _check(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if response.status_code != 200:
        raise ControlError(response.status_code, body)
    return body


def _duration(seconds: float, minutes: float, hours: float, days: float) -> float:
    return seconds + minutes * 60 + hours * 3600 + days * 86400


def _key(api_key: str | None) -> dict[str, str]:
    return {"key": api_key} if api_key else {}


class _Requests:
    """The HTTP calls, shared by both clients: (method, path, params, json)."""

    @staticmethod
    def advance(seconds: float, minutes: float, hours: float, days: float, api_key: str | None) -> tuple[Any, ...]:
        body: dict[str, Any] = {"seconds": _duration(seconds, minutes, hours, days)}
        if api_key:
            body["apiKey"] = api_key
        return "POST", "/_emulator/clock:advance", {}, body

    @staticmethod
    def fault(kind: str, api_key: str | None, rule: dict[str, Any]) -> tuple[Any, ...]:
        body = {"kind": kind, **rule}
        if api_key:
            body["apiKey"] = api_key
        return "POST", "/_emulator/faults", {}, body


class EmulatorControl:
    """Steer a running emulator (in-process thread server or docker sidecar) over HTTP."""

    def __init__(self, url: str, *, timeout: float = 120.0, client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        # Plain http (the usual loopback case) needs no TLS context: skipping it saves ~50 ms.
        plain = self.url.startswith("http://")
        self._client = client or httpx.Client(base_url=self.url, timeout=timeout, verify=not plain)

    def _call(self, method: str, path: str, params: dict[str, Any] | None = None, json: Any = None) -> Any:
        return _check(self._client.request(method, path, params=params or None, json=json))

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
        result: dict[str, Any] = self._call("GET", "/_emulator/health")
        return result

    def reset(self, api_key: str | None = None) -> None:
        self._call("POST", "/_emulator/reset", json={"apiKey": api_key} if api_key else {})

    def config(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_emulator/config")
        return result

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change latency, limits, `request_error_rate` or add `faults`, using scenario-file names."""
        result: dict[str, Any] = self._call("PATCH", "/_emulator/config", json=changes)
        return result

    def clock(self, api_key: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_emulator/clock", params=_key(api_key))
        return result

    def advance(
        self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0, api_key: str | None = None
    ) -> dict[str, Any]:
        """Move emulated time forward; returns once every batch due by then has got there."""
        result: dict[str, Any] = self._call(*_Requests.advance(seconds, minutes, hours, days, api_key))
        return result

    def set_time(self, time: str, api_key: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "POST", "/_emulator/clock:set", json={"time": time, **({"apiKey": api_key} if api_key else {})}
        )
        return result

    def add_fault(self, kind: str, *, api_key: str | None = None, **rule: Any) -> str:
        """Add one rule of `kind` ("http", "job" or "line"); returns its id."""
        added: list[str] = self._call(*_Requests.fault(kind, api_key, rule))["added"]
        return added[0]

    def faults(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_emulator/faults")
        return result

    def remove_fault(self, rule_id: str) -> None:
        self._call("DELETE", f"/_emulator/faults/{rule_id}")

    def clear_faults(self, api_key: str | None = None) -> None:
        self._call("DELETE", "/_emulator/faults", params=_key(api_key))

    def requests(
        self, operation: str | None = None, *, api_key: str | None = None, status: int | None = None, since: int = 0
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {**_key(api_key), "since": since}
        if operation:
            params["operation"] = operation
        if status is not None:
            params["status"] = status
        result: list[dict[str, Any]] = self._call("GET", "/_emulator/requests", params=params)["requests"]
        return result

    def clear_requests(self, api_key: str | None = None) -> None:
        self._call("DELETE", "/_emulator/requests", params=_key(api_key))

    def force(self, batch: str, state: str) -> dict[str, Any]:
        """Move a batch to `state` now (e.g. BATCH_STATE_FAILED); returns its operation."""
        batch_id = batch.removeprefix("batches/")
        result: dict[str, Any] = self._call("POST", f"/_emulator/batches/{batch_id}:force", json={"state": state})
        return result

    def seed(self, document: dict[str, Any]) -> dict[str, list[str]]:
        result: dict[str, list[str]] = self._call("POST", "/_emulator/seed", json=document)
        return result

    def export_state(self, api_key: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_emulator/state", params=_key(api_key))
        return result

    def set_responses(self, rules: list[dict[str, Any]]) -> None:
        self._call("PUT", "/_emulator/responses", json={"rules": rules})

    def wait_idle(self, timeout: float = 30) -> bool:
        idle: bool = self._call("POST", "/_emulator/wait-idle", params={"timeout": timeout})["idle"]
        return idle


class AsyncEmulatorControl:
    """The same calls as `EmulatorControl`, awaitable."""

    def __init__(self, url: str, *, timeout: float = 120.0, client: httpx.AsyncClient | None = None) -> None:
        self.url = url.rstrip("/")
        plain = self.url.startswith("http://")
        self._client = client or httpx.AsyncClient(base_url=self.url, timeout=timeout, verify=not plain)

    async def _call(self, method: str, path: str, params: dict[str, Any] | None = None, json: Any = None) -> Any:
        return _check(await self._client.request(method, path, params=params or None, json=json))

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> AsyncEmulatorControl:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def health(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/_emulator/health")
        return result

    async def reset(self, api_key: str | None = None) -> None:
        await self._call("POST", "/_emulator/reset", json={"apiKey": api_key} if api_key else {})

    async def clock(self, api_key: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/_emulator/clock", params=_key(api_key))
        return result

    async def advance(
        self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0, api_key: str | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(*_Requests.advance(seconds, minutes, hours, days, api_key))
        return result

    async def add_fault(self, kind: str, *, api_key: str | None = None, **rule: Any) -> str:
        added: list[str] = (await self._call(*_Requests.fault(kind, api_key, rule)))["added"]
        return added[0]

    async def clear_faults(self, api_key: str | None = None) -> None:
        await self._call("DELETE", "/_emulator/faults", params=_key(api_key))

    async def requests(self, operation: str | None = None, *, api_key: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {**_key(api_key)}
        if operation:
            params["operation"] = operation
        result: list[dict[str, Any]] = (await self._call("GET", "/_emulator/requests", params=params))["requests"]
        return result

    async def force(self, batch: str, state: str) -> dict[str, Any]:
        batch_id = batch.removeprefix("batches/")
        result: dict[str, Any] = await self._call("POST", f"/_emulator/batches/{batch_id}:force", json={"state": state})
        return result

    async def seed(self, document: dict[str, Any]) -> dict[str, list[str]]:
        result: dict[str, list[str]] = await self._call("POST", "/_emulator/seed", json=document)
        return result

    async def wait_idle(self, timeout: float = 30) -> bool:
        idle: bool = (await self._call("POST", "/_emulator/wait-idle", params={"timeout": timeout}))["idle"]
        return idle
