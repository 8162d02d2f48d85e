"""`--responder module:callable`: a Python hook that answers generate requests (embeddings stay default)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from emulator.errors import Internal
from emulator.responder import RequestInfo
from emulator.responder.default import DefaultResponder

Hook = Callable[[dict[str, Any], RequestInfo], Any]


class HookResponder:
    """Calls `hook(request, info)`: a `str` is the model's text (shaped like any answer), a `dict` a
    whole `GenerateContentResponse` (usage, model version and id filled in), `None` the default
    answer. Raising an `ApiError` fails the request with that error."""

    def __init__(self, hook: Hook, default: DefaultResponder) -> None:
        self.hook = hook
        self.default = default

    def configure(self, rules: list[dict[str, Any]]) -> None:
        self.default.configure(rules)

    def generate(self, request: Mapping[str, Any], info: RequestInfo) -> dict[str, Any]:
        answer = self.hook(dict(request), info)
        if answer is None:
            return self.default.generate(request, info)
        if isinstance(answer, str):
            return self.default.answer(request, info, answer)
        if isinstance(answer, dict):
            return self.default.complete(answer, request, info)
        raise Internal(f"The custom responder returned {type(answer).__name__}; expected str, dict or None.")

    def embed(self, request: Mapping[str, Any], info: RequestInfo) -> dict[str, Any]:
        return self.default.embed(request, info)
