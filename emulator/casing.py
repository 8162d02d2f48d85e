"""Lenient in what we accept: proto3 JSON parsers take `snake_case` and `lowerCamelCase` alike, and
the SDKs send both (even mixed within one request). `camelize` gives one canonical spelling.
"""

from __future__ import annotations

from typing import Any

# Maps whose keys are user data (schema property names): keys stay, values are still camelized.
_USER_KEYED = frozenset({"properties", "$defs", "defs", "definitions"})
# Values that are user data through and through: left exactly as sent.
_OPAQUE = frozenset(
    {
        "metadata",
        "labels",
        "args",
        "response",
        "userMetadata",
        "responseJsonSchema",
        "parametersJsonSchema",
        "responseJsonSchemaOrdering",
        "example",
        "default",
    }
)


def to_camel(key: str) -> str:
    if "_" not in key:
        return key
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def camelize(value: Any) -> Any:
    """A copy of `value` with every field name in lowerCamelCase, except inside user data."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = to_camel(key) if isinstance(key, str) else key
            if name in _OPAQUE:
                out[name] = item
            elif name in _USER_KEYED and isinstance(item, dict):
                out[name] = {k: camelize(v) for k, v in item.items()}
            else:
                out[name] = camelize(item)
        return out
    if isinstance(value, list):
        return [camelize(item) for item in value]
    return value


def add_present(out: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """`out`, with each of `fields` added whose value is not empty (None, "", 0, [] or {}): the wire
    leaves an optional field out rather than send it empty."""
    out.update((name, value) for name, value in fields.items() if value)
    return out


def pick(obj: dict[str, Any], camel: str, default: Any = None) -> Any:
    """`obj[camel]`, or its snake_case spelling: for objects not camelized as a whole."""
    if camel in obj:
        return obj[camel]
    snake = "".join("_" + c.lower() if c.isupper() else c for c in camel)
    return obj.get(snake, default)
