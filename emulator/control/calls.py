"""What each control-plane call sends (method, path, query, body) and how its answer is read: built
once here for both clients of `client.py`. Imports nothing of the server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class ControlError(Exception):
    def __init__(self, status_code: int, body: Any) -> None:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        self.code = status_code
        self.status = error.get("status")
        self.message = error.get("message", str(body))
        super().__init__(f"{status_code} {self.status}: {self.message}")


@dataclass(frozen=True, slots=True)
class Call:
    """One control-plane request, and which part of the answer the caller gets."""

    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    pick: str | None = None


def _key(api_key: str | None) -> dict[str, str]:
    return {"key": api_key} if api_key else {}


def _with_key(body: dict[str, Any], api_key: str | None) -> dict[str, Any]:
    return {**body, "apiKey": api_key} if api_key else body


class Calls:
    """Every call, built once for both clients."""

    @staticmethod
    def health() -> Call:
        return Call("GET", "/_emulator/health")

    @staticmethod
    def reset(api_key: str | None) -> Call:
        return Call("POST", "/_emulator/reset", json=_with_key({}, api_key))

    @staticmethod
    def config() -> Call:
        return Call("GET", "/_emulator/config")

    @staticmethod
    def configure(changes: dict[str, Any]) -> Call:
        return Call("PATCH", "/_emulator/config", json=changes)

    @staticmethod
    def clock(api_key: str | None) -> Call:
        return Call("GET", "/_emulator/clock", params=_key(api_key))

    @staticmethod
    def advance(seconds: float, minutes: float, hours: float, days: float, api_key: str | None) -> Call:
        total = seconds + minutes * 60 + hours * 3600 + days * 86400
        return Call("POST", "/_emulator/clock:advance", json=_with_key({"seconds": total}, api_key))

    @staticmethod
    def set_time(time: str | None, api_key: str | None, mode: str | None) -> Call:
        body: dict[str, Any] = {}
        if time is not None:
            body["time"] = time
        if mode is not None:
            body["mode"] = mode
        return Call("POST", "/_emulator/clock:set", json=_with_key(body, api_key))

    @staticmethod
    def add_fault(kind: str, api_key: str | None, rule: dict[str, Any]) -> Call:
        return Call("POST", "/_emulator/faults", json=_with_key({"kind": kind, **rule}, api_key), pick="added")

    @staticmethod
    def faults() -> Call:
        return Call("GET", "/_emulator/faults")

    @staticmethod
    def remove_fault(rule_id: str) -> Call:
        return Call("DELETE", f"/_emulator/faults/{rule_id}")

    @staticmethod
    def clear_faults(api_key: str | None) -> Call:
        return Call("DELETE", "/_emulator/faults", params=_key(api_key))

    @staticmethod
    def requests(operation: str | None, api_key: str | None, status: int | None, since: int) -> Call:
        params: dict[str, Any] = {**_key(api_key), "since": since}
        if operation:
            params["operation"] = operation
        if status is not None:
            params["status"] = status
        return Call("GET", "/_emulator/requests", params=params, pick="requests")

    @staticmethod
    def clear_requests(api_key: str | None) -> Call:
        return Call("DELETE", "/_emulator/requests", params=_key(api_key))

    @staticmethod
    def force(batch: str, state: str) -> Call:
        return Call("POST", f"/_emulator/batches/{batch.removeprefix('batches/')}:force", json={"state": state})

    @staticmethod
    def seed(document: dict[str, Any]) -> Call:
        return Call("POST", "/_emulator/seed", json=document)

    @staticmethod
    def export_state(api_key: str | None) -> Call:
        return Call("GET", "/_emulator/state", params=_key(api_key))

    @staticmethod
    def responses() -> Call:
        return Call("GET", "/_emulator/responses", pick="rules")

    @staticmethod
    def set_responses(rules: list[dict[str, Any]]) -> Call:
        return Call("PUT", "/_emulator/responses", json={"rules": rules})

    @staticmethod
    def quotas(api_key: str | None, model: str | None) -> Call:
        return Call("GET", "/_emulator/quotas", params={**_key(api_key), **({"model": model} if model else {})})

    @staticmethod
    def set_quotas(change: dict[str, Any], api_key: str | None) -> Call:
        return Call("POST", "/_emulator/quotas", json=_with_key(change, api_key))

    @staticmethod
    def reset_quotas(api_key: str | None) -> Call:
        return Call("DELETE", "/_emulator/quotas", params=_key(api_key))

    @staticmethod
    def wait_idle(timeout: float) -> Call:
        return Call("POST", "/_emulator/wait-idle", params={"timeout": timeout}, pick="idle")

    @staticmethod
    def webhook_deliveries(api_key: str | None, filters: dict[str, Any]) -> Call:
        params = {**({"apiKey": api_key} if api_key else {}), **{k: v for k, v in filters.items() if v is not None}}
        return Call("GET", "/_emulator/webhooks/deliveries", params=params, pick="deliveries")

    @staticmethod
    def redeliver(delivery_id: str) -> Call:
        return Call("POST", f"/_emulator/webhooks/deliveries/{delivery_id}:redeliver")

    @staticmethod
    def settle_webhooks() -> Call:
        return Call("POST", "/_emulator/webhooks/settle")


def result(call: Call, response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if response.status_code != 200:
        raise ControlError(response.status_code, body)
    if call.pick == "added":
        return body["added"][0]
    return body[call.pick] if call.pick else body


def client_options(url: str, timeout: float, token: str | None) -> dict[str, Any]:
    # Plain http (the usual loopback case) needs no TLS context: skipping it saves ~50 ms.
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return {"base_url": url, "timeout": timeout, "verify": not url.startswith("http://"), "headers": headers}
