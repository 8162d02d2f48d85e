"""Custom responders for the `--responder module:callable` tests."""

from __future__ import annotations

from typing import Any

from emulator.responder import RequestInfo
from emulator.responder.default import DefaultResponder


def shout(request: dict[str, Any], info: RequestInfo) -> str | None:
    """Upper-cases the prompt, except "pass", which gets the default answer."""
    text = request["contents"][-1]["parts"][0]["text"]
    return None if text == "pass" else text.upper()


class Constant:
    """A whole responder: answers "constant" to everything."""

    def __init__(self) -> None:
        self._default = DefaultResponder(0, "fixed", "constant")

    def generate(self, request: dict[str, Any], info: RequestInfo) -> dict[str, Any]:
        return self._default.generate(request, info)

    def embed(self, request: dict[str, Any], info: RequestInfo) -> dict[str, Any]:
        return self._default.embed(request, info)

    def configure(self, rules: list[dict[str, Any]]) -> None:
        self._default.configure(rules)
