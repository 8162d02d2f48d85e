"""Structured output: a JSON value that validates against a response schema, drawn from a seeded RNG.

Two dialects arrive on the wire, and one walker serves both:

- `responseSchema` / `parameters`: the OpenAPI 3.0 subset the Gemini API accepts. Types are
  upper-case (`STRING`, `OBJECT`, ...; any case is accepted), `nullable: true` allows `null`, and object
  properties come out in `propertyOrdering` order, then the rest alphabetically (what the real API
  does when no ordering is given).
- `responseJsonSchema` / `parametersJsonSchema`: JSON Schema. `type` may be a list, `$ref` points into
  `$defs`/`definitions`, `const`, `oneOf`, `allOf`, `prefixItems`, `additionalProperties` and the
  `exclusive*` bounds are honoured, and properties keep their declared order.

Both honour `enum`, `required`, `anyOf`, `minItems`/`maxItems`, `minLength`/`maxLength`, `pattern`,
`format` (date-time, date, time, email, uuid, uri, hostname, ipv4, ipv6, duration), `minimum`/`maximum`,
`multipleOf` and `minProperties`/`maxProperties`. Choices (which `anyOf` branch, whether a nullable
value is null, whether an optional property is present, lengths) are drawn from the RNG, so the same
request gets the same document. Pure: no I/O.
"""

from __future__ import annotations

import math
import random
import re
import string
from collections.abc import Mapping
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from emulator.errors import InvalidArgument

OPENAPI = "openapi"
JSON_SCHEMA = "json-schema"

MAX_DEPTH = 64  # a schema whose required recursion goes deeper is unsatisfiable in practice
SHALLOW = 5  # below this depth optional content is dropped, so recursive schemas terminate
NULL_CHANCE = 0.2
OPTIONAL_CHANCE = 0.75

_WORDS = (
    "alpha bravo river stone cloud maple amber cedar delta echo harbor iris juniper kilo lumen meadow "
    "nova orbit pine quartz raven sierra tango umber velvet willow yarrow zephyr copper falcon garnet"
).split()
_TLDS = ("com", "org", "net", "dev")


def generate_value(schema: Any, rng: random.Random, dialect: str) -> Any:
    """A value valid against `schema` (a camelized schema object) in the given dialect."""
    return _Walker(schema, rng, dialect).value(schema, 0)


def enum_values(schema: Any) -> list[Any]:
    """The `enum` of a schema (for `text/x.enum`), or [] if it has none."""
    if isinstance(schema, Mapping):
        values = schema.get("enum")
        if isinstance(values, list):
            return values
    return []


class _Walker:
    def __init__(self, root: Any, rng: random.Random, dialect: str) -> None:
        self.root = root
        self.rng = rng
        self.openapi = dialect == OPENAPI

    # -- dispatch ---------------------------------------------------------------------------------
    def value(self, schema: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise InvalidArgument("The response schema nests too deeply (or recurses without end) to be answered.")
        if schema is True or schema is None:
            return self._string({}, depth)
        if schema is False or not isinstance(schema, Mapping):
            raise InvalidArgument(f"Unsupported schema: {schema!r}.")
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        if self.openapi and schema.get("nullable") is True and self._chance(NULL_CHANCE, depth):
            return None
        for keyword in ("anyOf", "oneOf"):
            branches = schema.get(keyword)
            if isinstance(branches, list) and branches:
                return self.value(self._merge_branch(schema, keyword, self._pick_branch(branches, depth)), depth + 1)
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and all_of:
            return self.value(self._merge_all(schema, all_of), depth + 1)
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return self.rng.choice(enum)
        kind = self._type_of(schema, depth)
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, depth)
        if kind == "integer":
            return self._integer(schema)
        if kind == "number":
            return self._number(schema)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self._string(schema, depth)

    def _chance(self, p: float, depth: int) -> bool:
        return depth >= SHALLOW or self.rng.random() < p

    def _resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        seen = 0
        while isinstance(ref := schema.get("$ref"), str):
            seen += 1
            if seen > 32:
                raise InvalidArgument(f"The schema reference {ref!r} loops.")
            target: Any = self.root
            if ref != "#":
                if not ref.startswith("#/"):
                    raise InvalidArgument(f"Only local schema references (#/...) are supported, not {ref!r}.")
                for token in ref[2:].split("/"):
                    token = token.replace("~1", "/").replace("~0", "~")
                    if not isinstance(target, Mapping) or token not in target:
                        raise InvalidArgument(f"The schema reference {ref!r} does not resolve.")
                    target = target[token]
            if not isinstance(target, Mapping):
                raise InvalidArgument(f"The schema reference {ref!r} does not name a schema.")
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **siblings} if siblings else target
        return schema

    def _pick_branch(self, branches: list[Any], depth: int) -> Any:
        if depth >= SHALLOW:  # prefer a branch that ends the recursion
            for branch in branches:
                if isinstance(branch, Mapping) and self._resolve(branch).get("type") in ("null", "NULL"):
                    return branch
        return self.rng.choice(branches)

    @staticmethod
    def _merge_branch(schema: Mapping[str, Any], keyword: str, branch: Any) -> Any:
        rest = {k: v for k, v in schema.items() if k not in (keyword, "description", "title")}
        if not rest:
            return branch
        if not isinstance(branch, Mapping):
            return branch
        return {**rest, **branch}

    def _merge_all(self, schema: Mapping[str, Any], parts: list[Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in parts:
            if not isinstance(part, Mapping):
                continue
            for key, value in self._resolve(part).items():
                if key == "properties" and isinstance(value, Mapping):
                    merged["properties"] = {**merged.get("properties", {}), **value}
                elif key == "required" and isinstance(value, list):
                    merged["required"] = [*merged.get("required", []), *value]
                elif key in ("minimum", "minLength", "minItems", "minProperties", "exclusiveMinimum"):
                    merged[key] = max(value, merged[key]) if key in merged else value
                elif key in ("maximum", "maxLength", "maxItems", "maxProperties", "exclusiveMaximum"):
                    merged[key] = min(value, merged[key]) if key in merged else value
                else:
                    merged.setdefault(key, value)
        return merged

    def _type_of(self, schema: Mapping[str, Any], depth: int) -> str:
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [str(k).lower() for k in kind]
            if not kinds:
                return "string"
            real = [k for k in kinds if k != "null"]
            if len(real) < len(kinds) and (not real or self._chance(NULL_CHANCE, depth)):
                return "null"
            return self.rng.choice(real)
        if isinstance(kind, str) and kind.lower() not in ("", "type_unspecified"):
            return kind.lower()
        if "properties" in schema or "required" in schema or "additionalProperties" in schema:
            return "object"
        if "items" in schema or "prefixItems" in schema:
            return "array"
        if "minimum" in schema or "maximum" in schema:
            return "number"
        return "string"

    # -- containers -------------------------------------------------------------------------------
    def _object(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        required = [name for name in schema.get("required") or () if isinstance(name, str)]
        names = self._ordered(schema, properties)
        for name in required:
            if name not in properties and name not in names:
                names.append(name)
        chosen = [n for n in names if n in required or (depth < SHALLOW and self.rng.random() < OPTIONAL_CHANCE)]
        low = _int(schema.get("minProperties"), 0)
        high = _int(schema.get("maxProperties"), None)
        optional = [n for n in names if n not in chosen]
        while len(chosen) < low and optional:
            chosen.append(optional.pop(0))
        if high is not None:
            while len(chosen) > high and (extra := [n for n in chosen if n not in required]):
                chosen.remove(extra[-1])
        chosen_set = set(chosen)
        out = {name: self.value(properties.get(name, True), depth + 1) for name in names if name in chosen_set}
        extra_schema = schema.get("additionalProperties")
        if len(out) < low and extra_schema is not False:
            index = 1
            while len(out) < low:
                key = f"extra{index}"
                if key not in out and key not in properties:
                    out[key] = self.value(extra_schema if isinstance(extra_schema, Mapping) else True, depth + 1)
                index += 1
        return out

    def _ordered(self, schema: Mapping[str, Any], properties: Mapping[str, Any]) -> list[str]:
        ordering = schema.get("propertyOrdering")
        first = [n for n in ordering if n in properties] if isinstance(ordering, list) else []
        rest = [n for n in properties if n not in first]
        if self.openapi:
            rest.sort()
        return first + rest

    def _array(self, schema: Mapping[str, Any], depth: int) -> list[Any]:
        prefix = schema.get("prefixItems")
        prefix = prefix if isinstance(prefix, list) else []
        items = schema.get("items", True)
        low = _int(schema.get("minItems"), 0)
        high = _int(schema.get("maxItems"), None)
        if items is False:
            high = min(high, len(prefix)) if high is not None else len(prefix)
        if depth >= SHALLOW:
            count = low
        else:
            top = max(low, 1) + 2
            count = self.rng.randint(max(low, 1), top)
        if high is not None:
            count = max(low, min(count, high))
        out: list[Any] = []
        unique = schema.get("uniqueItems") is True
        for index in range(count):
            item_schema = prefix[index] if index < len(prefix) else items
            value = self.value(item_schema, depth + 1)
            for _ in range(20 if unique else 0):
                if value not in out:
                    break
                value = self.value(item_schema, depth + 1)
            out.append(value)
        return out

    # -- scalars ----------------------------------------------------------------------------------
    def _integer(self, schema: Mapping[str, Any]) -> int:
        low, high = _bounds(schema)
        lo = math.ceil(low) if low is not None else None
        hi = math.floor(high) if high is not None else None
        if lo is not None and low is not None and lo == low and _exclusive(schema, "Minimum"):
            lo += 1
        if hi is not None and high is not None and hi == high and _exclusive(schema, "Maximum"):
            hi -= 1
        lo, hi = _default_range(lo, hi, 100)
        step = schema.get("multipleOf")
        if isinstance(step, int) and step > 0:
            first, last = math.ceil(lo / step), math.floor(hi / step)
            if first <= last:
                return self.rng.randint(first, last) * step
        return self.rng.randint(int(lo), int(max(lo, hi)))

    def _number(self, schema: Mapping[str, Any]) -> float | int:
        low, high = _bounds(schema)
        lo, hi = _default_range(low, high, 100.0)
        step = schema.get("multipleOf")
        if isinstance(step, int | float) and step > 0:
            first, last = math.ceil(lo / step), math.floor(hi / step)
            if first <= last:
                value = self.rng.randint(first, last) * step
                return int(value) if isinstance(step, int) else float(value)
        for _ in range(8):
            value = round(self.rng.uniform(lo, hi), 2)
            if _in_bounds(schema, value):
                return value
        middle: float = (lo + hi) / 2
        return middle if _in_bounds(schema, middle) else float(lo)

    def _string(self, schema: Mapping[str, Any], depth: int) -> str:
        low = _int(schema.get("minLength"), 0)
        high = _int(schema.get("maxLength"), None)
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            text = self._from_pattern(pattern)
            if text is not None:
                return text
        fmt = schema.get("format")
        if isinstance(fmt, str) and (text := self._formatted(fmt.lower())) is not None:
            if len(text) >= low and (high is None or len(text) <= high):
                return text
        if high is not None and high < low:
            raise InvalidArgument(f"The schema's minLength ({low}) is above its maxLength ({high}).")
        target = self.rng.randint(low, high) if high is not None else low + self.rng.randint(4, 24)
        words: list[str] = []
        size = -1
        while size < target:
            word = self.rng.choice(_WORDS)
            words.append(word)
            size += len(word) + 1
        text = " ".join(words)
        if high is not None:  # whole words unless a maxLength forces a cut
            text = text[:target].rstrip()
        while len(text) < low:
            text += self.rng.choice(string.ascii_lowercase)
        return text

    def _formatted(self, fmt: str) -> str | None:
        r = self.rng
        date = f"20{r.randint(20, 29)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
        time = f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"
        word = r.choice(_WORDS)
        if fmt in ("date-time", "datetime", "timestamp"):
            return f"{date}T{time}Z"
        if fmt == "date":
            return date
        if fmt == "time":
            return f"{time}Z"
        if fmt in ("email", "idn-email"):
            return f"{word}.{r.choice(_WORDS)}@example.{r.choice(_TLDS)}"
        if fmt == "uuid":
            h = f"{r.getrandbits(128):032x}"
            return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[r.randint(0, 3)]}{h[17:20]}-{h[20:32]}"
        if fmt in ("uri", "url", "iri", "uri-reference", "iri-reference"):
            return f"https://{word}.example.{r.choice(_TLDS)}/{r.choice(_WORDS)}"
        if fmt in ("hostname", "idn-hostname"):
            return f"{word}.example.{r.choice(_TLDS)}"
        if fmt == "ipv4":
            return ".".join(str(r.randint(1, 254)) for _ in range(4))
        if fmt == "ipv6":
            return ":".join(f"{r.getrandbits(16):x}" for _ in range(8))
        if fmt == "duration":
            return f"PT{r.randint(1, 59)}M"
        return None

    def _from_pattern(self, pattern: str) -> str | None:
        """A string matching `pattern` (re.search semantics), or None if the regex is beyond us."""
        try:
            parsed = sre_parse.parse(pattern)
            text = "".join(self._regex(parsed, 0))
            return text if re.search(pattern, text) else None
        except (re.error, _Unsupported, RecursionError):
            return None

    def _regex(self, items: Any, depth: int) -> list[str]:
        out: list[str] = []
        for op, arg in items:
            name = str(op)
            if name == "LITERAL":
                out.append(chr(arg))
            elif name == "ANY":
                out.append(self.rng.choice(string.ascii_lowercase))
            elif name == "IN":
                out.append(self._char_class(arg))
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                low, high, sub = arg
                high = low + 3 if high == sre_parse.MAXREPEAT else min(high, low + 3)
                for _ in range(self.rng.randint(low, high)):
                    out.extend(self._regex(sub, depth + 1))
            elif name == "SUBPATTERN":
                out.extend(self._regex(arg[-1], depth + 1))
            elif name == "BRANCH":
                out.extend(self._regex(self.rng.choice(arg[1]), depth + 1))
            elif name in ("AT", "GROUPREF"):
                continue
            elif name == "CATEGORY":
                out.append(_category_char(str(arg), self.rng))
            else:
                raise _Unsupported(name)
        return out

    def _char_class(self, members: Any) -> str:
        if members and str(members[0][0]) == "NEGATE":
            allowed = [c for c in string.ascii_letters + string.digits if _class_matches(members[1:], c) is False]
            if not allowed:
                raise _Unsupported("NEGATE")
            return self.rng.choice(allowed)
        op, arg = self.rng.choice(members)
        name = str(op)
        if name == "LITERAL":
            return chr(arg)
        if name == "RANGE":
            return chr(self.rng.randint(arg[0], arg[1]))
        if name == "CATEGORY":
            return _category_char(str(arg), self.rng)
        raise _Unsupported(name)


class _Unsupported(Exception):
    pass


def _category_char(category: str, rng: random.Random) -> str:
    if category.endswith("_DIGIT"):
        return "0123456789"[rng.randint(0, 9)] if "NOT" not in category else rng.choice(string.ascii_lowercase)
    if category.endswith("_WORD"):
        return rng.choice(string.ascii_lowercase) if "NOT" not in category else "-"
    if category.endswith("_SPACE"):
        return " " if "NOT" not in category else rng.choice(string.ascii_lowercase)
    raise _Unsupported(category)


def _class_matches(members: Any, char: str) -> bool:
    for op, arg in members:
        name = str(op)
        if name == "LITERAL" and chr(arg) == char:
            return True
        if name == "RANGE" and arg[0] <= ord(char) <= arg[1]:
            return True
        if name == "CATEGORY":
            category = str(arg)
            test = {"_DIGIT": str.isdigit, "_WORD": lambda c: c.isalnum() or c == "_", "_SPACE": str.isspace}
            for suffix, check in test.items():
                if category.endswith(suffix) and check(char) != ("NOT" in category):
                    return True
    return False


def _int(value: Any, default: Any) -> Any:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():  # int64 fields may arrive as strings
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return default


def _number_or_none(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _bounds(schema: Mapping[str, Any]) -> tuple[float | None, float | None]:
    low = _number_or_none(schema.get("minimum"))
    high = _number_or_none(schema.get("maximum"))
    ex_low = _number_or_none(schema.get("exclusiveMinimum"))  # JSON Schema 2019+: a number
    ex_high = _number_or_none(schema.get("exclusiveMaximum"))
    if ex_low is not None and (low is None or ex_low >= low):
        low = ex_low
    if ex_high is not None and (high is None or ex_high <= high):
        high = ex_high
    return low, high


def _exclusive(schema: Mapping[str, Any], side: str) -> bool:
    flag = schema.get(f"exclusive{side}")
    if flag is True:  # draft 4 / OpenAPI 3.0: a boolean next to minimum/maximum
        return True
    bound = _number_or_none(flag)
    plain = _number_or_none(schema.get(side.lower()))
    return bound is not None and (plain is None or (bound >= plain if side == "Minimum" else bound <= plain))


def _default_range(lo: Any, hi: Any, width: float) -> tuple[Any, Any]:
    if lo is None and hi is None:
        return type(width)(0), width
    if lo is None:
        return hi - width, hi
    if hi is None:
        return lo, lo + width
    if lo > hi:
        raise InvalidArgument(f"The schema's minimum ({lo}) is above its maximum ({hi}).")
    return lo, hi


def _in_bounds(schema: Mapping[str, Any], value: float) -> bool:
    low = _number_or_none(schema.get("minimum"))
    high = _number_or_none(schema.get("maximum"))
    if low is not None and (value < low or (value == low and _exclusive(schema, "Minimum"))):
        return False
    if high is not None and (value > high or (value == high and _exclusive(schema, "Maximum"))):
        return False
    ex_low = _number_or_none(schema.get("exclusiveMinimum"))
    ex_high = _number_or_none(schema.get("exclusiveMaximum"))
    if ex_low is not None and value <= ex_low:
        return False
    return not (ex_high is not None and value >= ex_high)
