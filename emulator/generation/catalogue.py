"""The models `models.list` and `models.get` describe: current Gemini models, as `Model` resources.

The catalogue only describes; it does not gate. Every model id is answered by `generateContent`,
batches and the other model endpoints (as batches always were), so a test can use a model the
catalogue does not list yet. `load_catalogue(path)` reads a replacement catalogue: a JSON list of
`Model` objects (or `{"models": [...]}`), each with at least a `name`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from emulator.errors import InvalidArgument, NotFound

_GENERATE = ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]
_EMBED = ["embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"]


def _model(
    model_id: str,
    display: str,
    description: str,
    *,
    version: str = "001",
    inputs: int = 1_048_576,
    outputs: int = 65_536,
    thinking: bool = True,
    methods: list[str] = _GENERATE,
) -> dict[str, Any]:
    model: dict[str, Any] = {
        "name": f"models/{model_id}",
        "version": version,
        "displayName": display,
        "description": description,
        "inputTokenLimit": inputs,
        "outputTokenLimit": outputs,
        "supportedGenerationMethods": list(methods),
    }
    if methods is _GENERATE:
        model.update({"temperature": 1, "topP": 0.95, "topK": 64, "maxTemperature": 2, "thinking": thinking})
    return model


DEFAULT_MODELS: list[dict[str, Any]] = [
    _model("gemini-3-pro-preview", "Gemini 3 Pro Preview", "Gemini 3 Pro preview.", version="3-pro-preview"),
    _model("gemini-3-flash-preview", "Gemini 3 Flash Preview", "Gemini 3 Flash preview.", version="3-flash-preview"),
    _model("gemini-2.5-pro", "Gemini 2.5 Pro", "Stable release of Gemini 2.5 Pro.", version="2.5"),
    _model("gemini-2.5-flash", "Gemini 2.5 Flash", "Stable release of Gemini 2.5 Flash.", version="001"),
    _model("gemini-2.5-flash-lite", "Gemini 2.5 Flash-Lite", "Stable release of Gemini 2.5 Flash-Lite.", version="001"),
    _model("gemini-2.0-flash", "Gemini 2.0 Flash", "Gemini 2.0 Flash.", outputs=8192, thinking=False),
    _model("gemini-2.0-flash-lite", "Gemini 2.0 Flash-Lite", "Gemini 2.0 Flash-Lite.", outputs=8192, thinking=False),
    _model(
        "gemini-embedding-001",
        "Gemini Embedding 001",
        "Obtain a distributed representation of a text.",
        inputs=2048,
        outputs=1,
        methods=_EMBED,
    ),
    _model(
        "text-embedding-004",
        "Text Embedding 004",
        "Obtain a distributed representation of a text.",
        version="004",
        inputs=2048,
        outputs=1,
        methods=["embedContent"],
    ),
]


class Catalogue:
    """An ordered set of `Model` resources, looked up by id or full name."""

    def __init__(self, models: list[dict[str, Any]]) -> None:
        self.models = models
        self._by_name = {m["name"]: m for m in models}

    def get(self, model: str) -> dict[str, Any]:
        name = model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"
        found = self._by_name.get(name)
        if found is None:
            raise NotFound(f"{name} is not found for API version v1beta, or is not supported for get.")
        return found

    def page(self, start: int, size: int) -> tuple[list[dict[str, Any]], int | None]:
        """Models from position `start`, and the position of the next page (None on the last)."""
        end = start + size
        return self.models[start:end], end if end < len(self.models) else None


DEFAULT_CATALOGUE = Catalogue(DEFAULT_MODELS)


def load_catalogue(path: Path) -> Catalogue:
    """A catalogue from a JSON file; `InvalidArgument` says what is wrong with it."""
    data: Any = orjson.loads(path.read_bytes())
    if isinstance(data, Mapping):
        data = data.get("models")
    if not isinstance(data, list):
        raise InvalidArgument(f"{path}: expected a list of Model objects, or an object with a 'models' list.")
    models = []
    for index, model in enumerate(data):
        if not isinstance(model, Mapping) or not isinstance(model.get("name"), str) or not model["name"]:
            raise InvalidArgument(f"{path}: models[{index}] must be an object with a 'name'.")
        name = model["name"] if "/" in model["name"] else f"models/{model['name']}"
        models.append({**model, "name": name})
    return Catalogue(models)
