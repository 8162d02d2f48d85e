"""A request body checked against a compiled message with proto3 JSON rules, reporting every
problem the way Google's JSON front end words it.

The rules (the proto3 JSON mapping, as Google's transcoder applies it): a field may be spelled
lowerCamel or snake_case; an unknown name is refused; `null` means "not set"; strings, booleans,
numbers and objects must be what the field's type is (integers may come as strings of digits,
floats as numbers or the strings "NaN"/"Infinity"; int64 as strings or numbers); enums are given by
value name (or number); bytes are base64; at most one member of a `oneof` may be set; repeated
fields are JSON arrays; map fields are JSON objects. Error paths use the proto field names
(`generation_config.temperature`), repeated elements `[i]`, and map entries `[i].value` (i: the
entry's position), as Google's errors do.

Messages (each observed in real API answers, see docs/api.md):
- `Invalid JSON payload received. Unknown name "txt" at 'contents[0].parts[0]': Cannot find field.`
- `Invalid JSON payload received. Unknown name "type" at '...': Proto field is not repeating, cannot start list.`
- `Invalid value at 'generation_config.temperature' (TYPE_FLOAT), "hot"`
- `Invalid value at '...type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), "null"`
- `Invalid value at 'contents[0]' (text), Starting an object on a scalar field`
- `Invalid value at 'contents[0].parts[0]' (oneof), oneof field 'data' is already set. Cannot set 'fileData'`
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import orjson

from emulator.validation.schema import (
    BOOL,
    BYTES,
    DURATION,
    ENUM,
    FLOAT,
    INT,
    LIST_VALUE,
    MESSAGE,
    STRING,
    STRUCT,
    TIMESTAMP,
    VALUE,
    Field,
    Message,
)

_INT_TEXT = re.compile(r"-?\d+")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]*={0,2}")
_DURATION = re.compile(r"-?\d+(\.\d{1,9})?s")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)")
_FLOAT_WORDS = frozenset({"NaN", "Infinity", "-Infinity"})
_FLOAT_MAX = 3.4028234663852886e38
_NO_BOUNDS = (-(2**64), 2**64)
MAX_SHOWN = 200  # characters of an offending value quoted in a message


@dataclass(frozen=True, slots=True)
class Violation:
    """One problem: Google's `fieldViolations[].field` (may be empty) and its description.
    `unknown` marks unknown names (what lenient validation lets through)."""

    field: str
    description: str
    unknown: bool = False


# A path is built only when something is wrong: while walking it is a chain of pairs
# (parent, segment), a segment being a field name or a list index, the root "" or a prefix string.
Path = Any


def text(path: Path) -> str:
    """The chain as Google writes it: `contents[0].parts[1]`, map entries `properties[0].value`."""
    segments = []
    while type(path) is tuple:
        path, segment = path
        segments.append(segment)
    out = path
    for segment in reversed(segments):
        if type(segment) is int:
            out += f"[{segment}]"
        else:
            out = f"{out}.{segment}" if out else segment
    return str(out)


def check(value: Any, message: Message, path: str = "") -> list[Violation]:
    """Every problem of `value` (a decoded JSON object) as a `message`; empty when it is valid.
    `path` prefixes every field path."""
    out: list[Violation] = []
    if type(value) is not dict:
        out.append(_invalid(path, f"type.googleapis.com/{message.full_name}", value))
        return out
    _message(value, message, path, out)
    return out


def _message(value: dict[str, Any], spec: Message, path: Path, out: list[Violation]) -> None:
    fields = spec.fields
    chosen: dict[str, str] | None = None
    for key, item in value.items():
        f = fields.get(key)
        if f is None:
            where = text(path)
            at = f" at '{where}'" if where else ""
            out.append(
                Violation(where, f'Invalid JSON payload received. Unknown name "{key}"{at}: Cannot find field.', True)
            )
            continue
        t = type(item)
        if t is f.fast_ok:  # the common case: a string for a string field, a double for a double...
            continue
        if item is None:
            continue
        if f.oneof is None and not f.repeated:  # numbers, checked here rather than by a call
            if t is float and f.kind == FLOAT:
                if -_FLOAT_MAX <= item <= _FLOAT_MAX or f.label == "TYPE_DOUBLE":
                    continue
            elif t is int and f.kind == INT:
                low, high = f.bounds or _NO_BOUNDS
                if low <= item <= high:
                    continue
        if f.oneof is not None:
            if chosen is None:
                chosen = {}
            if f.oneof in chosen:
                where = text(path)
                out.append(
                    Violation(
                        where,
                        f"Invalid value at '{where}' (oneof), oneof field '{f.oneof}' is already set. "
                        f"Cannot set '{key}'",
                    )
                )
                continue
            chosen[f.oneof] = key
            if t is f.fast:
                continue
        kind = f.kind
        if f.repeated:
            if t is not list:
                if t is dict and kind != MESSAGE:
                    out.append(_object_on_scalar(text(path), f))
                else:
                    out.append(_invalid(text((path, f.name)), f.label, item))
                continue
            here = (path, f.name)
            if kind == MESSAGE:
                nested = f.message
                assert nested is not None
                for index, element in enumerate(item):
                    if type(element) is dict:
                        _message(element, nested, (here, index), out)
                    elif element is not None:
                        out.append(_invalid(text((here, index)), f.label, element))
                continue
            fast = f.fast
            for index, element in enumerate(item):
                if type(element) is not fast and element is not None:
                    _value(element, f, (here, index), path, out)
        elif f.map_value is not None:
            if t is not dict:
                out.append(_invalid(text((path, f.name)), f.label, item))
                continue
            here = (path, f.name)
            for index, element in enumerate(item.values()):
                if element is not None:
                    _value(element, f.map_value, ((here, index), "value"), path, out)
        elif kind == MESSAGE and t is dict:
            assert f.message is not None
            _message(item, f.message, (path, f.name), out)
        elif t is list and kind not in (VALUE, LIST_VALUE):
            where = text(path)
            at = f" at '{where}'" if where else ""
            out.append(
                Violation(
                    where,
                    f'Invalid JSON payload received. Unknown name "{key}"{at}: '
                    "Proto field is not repeating, cannot start list.",
                )
            )
        else:
            _value(item, f, (path, f.name), path, out)


def _value(item: Any, f: Field, here: Path, parent: Path, out: list[Violation]) -> None:
    """One (non-null, non-list-level) value of field `f`, found at path `here`."""
    kind = f.kind
    t = type(item)
    if kind == MESSAGE:
        if t is dict:
            assert f.message is not None
            _message(item, f.message, here, out)
        else:
            out.append(_invalid(text(here), f.label, item))
        return
    if t is dict and kind not in (STRUCT, VALUE):
        out.append(_object_on_scalar(text(parent), f))
        return
    if kind == STRING:
        ok = t is str
    elif kind == INT:
        ok = _integer(item, f.bounds)
    elif kind == FLOAT:
        ok = _float(item, f.label == "TYPE_FLOAT")
    elif kind == BOOL:
        ok = t is bool
    elif kind == ENUM:
        ok = item in f.enum if t is str else (t is int and _integer(item, f.bounds))
    elif kind == BYTES:
        if t is not str or len(item) % 4 == 1 or _BASE64.fullmatch(item) is None:
            shown = item if t is str else _show(item)
            where = text(here)
            out.append(
                Violation(where, f"Invalid value at '{where}' (TYPE_BYTES), Base64 decoding failed for \"{shown}\"")
            )
        return
    elif kind == STRUCT:
        ok = t is dict
    elif kind == LIST_VALUE:
        ok = t is list
    elif kind == DURATION:
        ok = t is str and _DURATION.fullmatch(item) is not None
    elif kind == TIMESTAMP:
        ok = t is str and _TIMESTAMP.fullmatch(item) is not None
    else:  # VALUE: any JSON at all
        ok = True
    if not ok:
        out.append(_invalid(text(here), f.label, item))


def _integer(item: Any, bounds: tuple[int, int] | None) -> bool:
    t = type(item)
    if t is int:
        number = item
    elif t is float:
        if not item.is_integer():
            return False
        number = int(item)
    elif t is str and _INT_TEXT.fullmatch(item) is not None:
        number = int(item)
    else:
        return False
    return bounds is None or bounds[0] <= number <= bounds[1]


def _float(item: Any, single: bool) -> bool:
    t = type(item)
    if t is float or t is int:
        number = float(item)
    elif t is str:
        if item in _FLOAT_WORDS:
            return True
        try:
            number = float(item)
        except ValueError:
            return False
        if not math.isfinite(number):
            return False
    else:
        return False
    return not single or abs(number) <= _FLOAT_MAX


def _show(item: Any) -> str:
    """A value as Google quotes it: JSON (strings in double quotes), cut short."""
    try:
        shown = orjson.dumps(item).decode()
    except (TypeError, orjson.JSONEncodeError):
        shown = repr(item)
    return shown if len(shown) <= MAX_SHOWN else shown[:MAX_SHOWN] + "..."


def _invalid(where: str, label: str, item: Any) -> Violation:
    return Violation(where, f"Invalid value at '{where}' ({label}), {_show(item)}")


def _object_on_scalar(parent: str, f: Field) -> Violation:
    return Violation(parent, f"Invalid value at '{parent}' ({f.name}), Starting an object on a scalar field")
