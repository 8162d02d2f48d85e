"""A quick yes for the request most batch lines are: text turns and a few sampling settings.

`accepts(request)` only ever says yes to a `GenerateContentRequest` that the full validation (the
schema walk and the semantic checks) would accept too, and it says it in about a third of the time;
for anything else it says "don't know" (False) and the full validation runs, with its messages.
tests/validation/test_fast.py checks the promise on generated bodies.

The shape it knows: `contents` (a non-empty list of `{"role"?: "user"|"model", "parts": [{"text":
"<non-empty>"}, ...]}`) and optionally `generationConfig` (or `generation_config`, not both) holding
only float or integer sampling settings whose checks need no model limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_FLOAT_MAX = 3.4028234663852886e38
_INT32 = 2**31 - 1
# generationConfig fields the quick path checks itself: name -> whether a float is allowed (an int
# always is; float32 and int32 ranges are checked)
_CONFIG = {
    "temperature": True,
    "topP": True,
    "top_p": True,
    "topK": False,
    "top_k": False,
    "seed": False,
    "presencePenalty": True,
    "presence_penalty": True,
    "frequencyPenalty": True,
    "frequency_penalty": True,
}
_ROLES = ("user", "model")


def accepts(request: Mapping[str, Any]) -> bool:
    """True only if `request` is a valid `GenerateContentRequest` for any model (no limits apply)."""
    config = None
    for key, value in request.items():
        if key == "contents":
            continue
        if (key == "generationConfig" or key == "generation_config") and config is None:
            config = value
            continue
        return False
    contents = request.get("contents")
    if type(contents) is not list or not contents:
        return False
    for content in contents:
        if type(content) is not dict:
            return False
        parts = content.get("parts")
        if type(parts) is not list or not parts:
            return False
        if len(content) != 1:
            if len(content) != 2 or content.get("role") not in _ROLES:
                return False
        for part in parts:
            if type(part) is not dict or len(part) != 1:
                return False
            text = part.get("text")
            if type(text) is not str or not text:
                return False
    if config is not None:
        if type(config) is not dict:
            return False
        for key, value in config.items():
            floats = _CONFIG.get(key)
            if floats is None:
                return False
            t = type(value)
            if t is int:
                if not -_INT32 - 1 <= value <= _INT32:
                    return False
            elif t is not float or not floats or not -_FLOAT_MAX <= value <= _FLOAT_MAX:
                return False
    return True
