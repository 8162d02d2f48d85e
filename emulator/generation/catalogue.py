"""The models `models.list` and `models.get` describe, and what the model endpoints accept.

The catalogue gates requests (issue 16): a model it does not list is refused with the real 404
(`models/x is not found for API version v1beta, or is not supported for generateContent. Call
ListModels ...`), and so is a model whose `supportedGenerationMethods` lack the method called (an
embedding model for `generateContent`); `--allow-unknown-models` lets unknown ids through (a model
newer than this catalogue), and `tunedModels/...` are always let through (the emulator has no tuning
API to know them by). A model's limits (`outputTokenLimit`, `thinking`) and the emulator-only
`limits` below drive the semantic checks of `emulator.validation`.

`load_catalogue(path)` reads a replacement catalogue: a JSON list of `Model` objects (or
`{"models": [...]}`), each with at least a `name`. A model without `supportedGenerationMethods`
accepts every method. An optional `emulatorLimits` object per model (`maxCandidates`,
`maxOutputDimensionality`, `thinkingLevels`, `thinkingRequired`; `imageOutput` for a model that draws
images, `imageSizes` when it also takes `imageConfig.imageSize`) sets the limits the `Model` resource
has no field for; it is not shown by `models.get`.

The default catalogue is the Gemini API's current text and embedding models; docs/api.md gives the
sources of their figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from emulator.errors import InvalidArgument, NotFound

_GENERATE = ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]
_EMBED = ["embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"]
LIMITS_KEY = "emulatorLimits"
_EMBED_METHODS = frozenset({"embedContent", "batchEmbedContents", "asyncBatchEmbedContent"})


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
    limits: dict[str, Any] | None = None,
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
    if limits:
        model[LIMITS_KEY] = limits
    return model


# Gemini 3 models take `thinkingLevel` and answer one candidate ("Multiple candidates is not enabled
# for this model"); Gemini 2.5 models take up to 8 candidates and a `thinkingBudget` (2.5 Pro cannot
# turn thinking off); Gemini 2.0 models do not think.
_G3 = {"maxCandidates": 1, "thinkingLevels": True, "thinkingRequired": True}
_G25 = {"maxCandidates": 8}
_G20 = {"maxCandidates": 8}

DEFAULT_MODELS: list[dict[str, Any]] = [
    _model("gemini-3.8-flash", "Gemini 3.8 Flash", "Gemini 3.8 Flash.", version="3.8", limits=_G3),
    _model("gemini-3.7-flash", "Gemini 3.7 Flash", "Gemini 3.7 Flash.", version="3.7", limits=_G3),
    _model("gemini-3.5-flash", "Gemini 3.5 Flash", "Gemini 3.5 Flash.", version="3.5", limits=_G3),
    _model("gemini-3.1-pro-preview", "Gemini 3.1 Pro Preview", "Gemini 3.1 Pro preview.", version="3.1", limits=_G3),
    _model("gemini-3.1-flash-lite", "Gemini 3.1 Flash-Lite", "Gemini 3.1 Flash-Lite.", version="3.1", limits=_G3),
    _model(
        "gemini-3-pro-preview", "Gemini 3 Pro Preview", "Gemini 3 Pro preview.", version="3-pro-preview", limits=_G3
    ),
    _model(
        "gemini-3-flash-preview",
        "Gemini 3 Flash Preview",
        "Gemini 3 Flash preview.",
        version="3-flash-preview",
        limits=_G3,
    ),
    _model(
        "gemini-2.5-pro",
        "Gemini 2.5 Pro",
        "Stable release of Gemini 2.5 Pro.",
        version="2.5",
        limits={**_G25, "thinkingRequired": True},
    ),
    _model("gemini-2.5-flash", "Gemini 2.5 Flash", "Stable release of Gemini 2.5 Flash.", limits=_G25),
    _model("gemini-2.5-flash-lite", "Gemini 2.5 Flash-Lite", "Stable release of Gemini 2.5 Flash-Lite.", limits=_G25),
    _model("gemini-2.0-flash", "Gemini 2.0 Flash", "Gemini 2.0 Flash.", outputs=8192, thinking=False, limits=_G20),
    _model(
        "gemini-2.0-flash-001", "Gemini 2.0 Flash 001", "Gemini 2.0 Flash.", outputs=8192, thinking=False, limits=_G20
    ),
    _model(
        "gemini-2.0-flash-lite",
        "Gemini 2.0 Flash-Lite",
        "Gemini 2.0 Flash-Lite.",
        outputs=8192,
        thinking=False,
        limits=_G20,
    ),
    # Image output (issue 18): ai.google.dev/gemini-api/docs/models lists both with 32,768 output tokens;
    # 2.5 Flash Image takes 32,768 input tokens and does not think, 3 Pro Image 65,536 and thinks.
    _model(
        "gemini-2.5-flash-image",
        "Nano Banana",
        "Gemini 2.5 Flash Image.",
        version="2.5",
        inputs=32_768,
        outputs=32_768,
        thinking=False,
        limits={"maxCandidates": 1, "imageOutput": True},
    ),
    _model(
        "gemini-3-pro-image-preview",
        "Nano Banana Pro",
        "Gemini 3 Pro Image preview.",
        version="3-pro-image-preview",
        inputs=65_536,
        outputs=32_768,
        limits={**_G3, "imageOutput": True, "imageSizes": True},
    ),
    _model(
        "gemini-embedding-001",
        "Gemini Embedding 001",
        "Obtain a distributed representation of a text.",
        inputs=2048,
        outputs=1,
        methods=_EMBED,
        limits={"maxOutputDimensionality": 3072},
    ),
    _model(
        "gemini-embedding-2",
        "Gemini Embedding 2",
        "Obtain a distributed representation of text, images, audio and video.",
        version="2",
        inputs=8192,
        outputs=1,
        methods=_EMBED,
        limits={"maxOutputDimensionality": 3072},
    ),
    _model(
        "text-embedding-004",
        "Text Embedding 004",
        "Obtain a distributed representation of a text.",
        version="004",
        inputs=2048,
        outputs=1,
        methods=["embedContent"],
        limits={"maxOutputDimensionality": 768},
    ),
]


def model_name(model: str) -> str:
    """`gemini-2.5-flash` -> `models/gemini-2.5-flash`; `models/...` and `tunedModels/...` stay."""
    return model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"


class Catalogue:
    """An ordered set of `Model` resources, looked up by id or full name, with each model's limits."""

    def __init__(self, models: list[dict[str, Any]]) -> None:
        self.limits: dict[str, dict[str, Any]] = {}
        shown = []
        for model in models:
            limits = model.get(LIMITS_KEY)
            if isinstance(limits, Mapping):
                self.limits[model["name"]] = dict(limits)
            shown.append({k: v for k, v in model.items() if k != LIMITS_KEY})
        self.models = shown
        self._by_name = {m["name"]: m for m in shown}
        self._supported: dict[tuple[str, str], dict[str, Any]] = {}  # (name, method) -> model, as found

    def get(self, model: str) -> dict[str, Any]:
        name = model_name(model)
        found = self._by_name.get(name)
        if found is None:
            raise NotFound(f"{name} is not found for API version v1beta, or is not supported for get.")
        return found

    def image_models(self) -> dict[str, bool]:
        """The models that draw images (`emulatorLimits.imageOutput`), each with whether it takes
        `imageConfig.imageSize` (`imageSizes`)."""
        return {
            name: bool(limits.get("imageSizes")) for name, limits in self.limits.items() if limits.get("imageOutput")
        }

    def find(self, model: str) -> dict[str, Any] | None:
        return self._by_name.get(model_name(model))

    def require(
        self, model: str, method: str, *, version: str = "v1beta", allow_unknown: bool = False
    ) -> dict[str, Any] | None:
        """The model, if it exists and supports `method`; None for an unknown model when
        `allow_unknown`; otherwise the real service's 404."""
        known = self._supported.get((model, method))
        if known is not None:  # every batch line asks again
            return known
        name = model_name(model)
        found = self._by_name.get(name)
        if found is None and (allow_unknown or name.startswith("tunedModels/")):
            return None  # tuned models are the caller's own: there is no tuning API to know them by
        methods = found.get("supportedGenerationMethods") if found is not None else None
        if found is None or (isinstance(methods, list) and not supports(methods, method)):
            raise NotFound(
                f"{name} is not found for API version {version}, or is not supported for {method}. "
                "Call ListModels to see the list of available models and their supported methods."
            )
        self._supported[model, method] = found
        return found

    def page(self, start: int, size: int) -> tuple[list[dict[str, Any]], int | None]:
        """Models from position `start`, and the position of the next page (None on the last)."""
        end = start + size
        return self.models[start:end], end if end < len(self.models) else None


def supports(methods: list[Any], method: str) -> bool:
    """Whether a model listing `methods` answers `method` (streaming goes with generateContent,
    every embedding call with embedContent, as on the real service)."""
    if method in methods:
        return True
    if method == "streamGenerateContent":
        return "generateContent" in methods
    if method in _EMBED_METHODS:
        return "embedContent" in methods
    return False


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
