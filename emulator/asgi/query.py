"""Query parameters: every route declares the ones it reads, and one check refuses the rest.

A route's `Query` names its parameters (`pageSize`, `timeout`, ...) with their types; each may also
be spelled in snake_case (`page_size`), as Google's front end binds both spellings of a field. The
check, made before the endpoint runs (and not at all when there is no query string), answers 400
INVALID_ARGUMENT when a parameter

- is given twice (in either spelling),
- is empty, or is not of its type (`pageSize=null`, `pageSize=abc`, `timeout=nan`),
- is not one of its values (`alt=xml`),
- or is not a parameter of the route at all: on the Gemini API surface, Google's own
  `Cannot bind query parameter` refusal, except for Google's system parameters (`key`, `alt`,
  `fields`, `prettyPrint`, `$.xgafv`, `callback`, ...), which every Google API accepts.

The messages, and which of them are Google's, are listed in docs/api.md (Validation).
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from emulator.errors import InvalidArgument


class Kind(Enum):
    """A parameter's type, named as Google's messages name proto types."""

    STRING = "TYPE_STRING"
    INT32 = "TYPE_INT32"
    INT64 = "TYPE_INT64"
    DOUBLE = "TYPE_DOUBLE"
    BOOL = "TYPE_BOOL"
    ENUM = "TYPE_ENUM"


_INTEGER = re.compile(r"-?[0-9]+")
_DOUBLE = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_RANGES = {Kind.INT32: 2**31, Kind.INT64: 2**63}


@dataclass(frozen=True, slots=True)
class Param:
    """One query parameter: `name` as sent (lowerCamelCase), its `kind`, the `values` an enum takes;
    `required_text`: an empty value is refused (for strings; a typed parameter is never empty);
    `repeated`: it may be given more than once (a repeated field)."""

    name: str
    kind: Kind = Kind.STRING
    values: tuple[str, ...] = ()
    required_text: bool = False
    repeated: bool = False
    field: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field", _snake(self.name))

    def refusal(self, value: str) -> str | None:
        """Why `value` is not one this parameter takes, or None."""
        kind = self.kind
        if kind is Kind.STRING:
            return None if value or not self.required_text else f"Query parameter '{self.name}' must not be empty."
        if kind is Kind.ENUM:
            return None if value in self.values else f"Invalid value \"{value}\" for query parameter '{self.name}'"
        if kind is Kind.BOOL:
            ok = value in ("true", "false")
        elif kind is Kind.DOUBLE:
            ok = bool(_DOUBLE.fullmatch(value)) and math.isfinite(float(value))
        else:
            ok = bool(_INTEGER.fullmatch(value)) and -_RANGES[kind] <= int(value) < _RANGES[kind]
        return None if ok else f"Invalid value at '{self.field}' ({kind.value}), \"{value}\""


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


# Google's system parameters (cloud.google.com/apis/docs/system-parameters, and the standard
# parameters of every discovery document): accepted on every Gemini API route.
SYSTEM = (
    Param("key"),
    Param("access_token"),
    Param("oauth_token"),
    Param("alt", Kind.ENUM, ("json", "media", "proto", "sse")),
    Param("$alt", Kind.ENUM, ("json", "media", "proto", "sse")),
    Param("callback"),
    Param("$callback"),
    Param("fields"),
    Param("$fields"),
    Param("prettyPrint", Kind.BOOL),
    Param("$prettyPrint", Kind.BOOL),
    Param("quotaUser"),
    Param("$quotaUser"),
    Param("userProject"),
    Param("$userProject"),
    Param("$ct"),
    Param("$.xgafv", Kind.ENUM, ("1", "2")),
    Param("uploadType"),
    Param("upload_protocol"),
)


# The control plane's token may come as `?token=` on any of its routes.
_CONTROL = (Param("token", required_text=True),)


class Query:
    """The query parameters a route reads. `system`: Google's system parameters are accepted too (the
    Gemini API surface); without it (the control plane) only the control token is."""

    def __init__(self, *params: Param, system: bool = True) -> None:
        self.by_name: dict[str, Param] = {}
        for param in (*(SYSTEM if system else _CONTROL), *params):  # a route's own declaration wins
            self.by_name[param.name] = param
            self.by_name[param.field] = param

    def refusal(self, query_string: bytes) -> InvalidArgument | None:
        """The 400 this query string gets, or None when every parameter is one the route takes, once,
        with a value of its type."""
        seen: dict[str, int] = {}
        unknown: list[str] = []
        problems: list[str] = []
        for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
            param = self.by_name.get(name)
            if param is None:
                unknown.append(name)
                continue
            if not param.repeated:
                seen[param.name] = seen.get(param.name, 0) + 1
            problem = param.refusal(value)
            if problem is not None:
                problems.append(problem)
        if unknown:
            return _unknown(unknown)
        for name, count in seen.items():
            if count > 1:
                return InvalidArgument(f"Invalid JSON payload received. Parameter '{name}' is given {count} times.")
        return InvalidArgument(problems[0], details=_violations(problems)) if problems else None


def _unknown(names: Iterable[str]) -> InvalidArgument:
    """Google's refusal of parameters a method does not have, one line (and one violation) each."""
    lines = [
        f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
        f"Field '{name}' could not be found in request message."
        for name in dict.fromkeys(names)
    ]
    return InvalidArgument("\n".join(lines), details=_violations(lines))


def _violations(descriptions: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"description": text} for text in descriptions],
        }
    ]


PAGING = (Param("pageSize", Kind.INT32), Param("pageToken"))


def checked(
    endpoint: Callable[[Request], Awaitable[Response]], query: Query
) -> Callable[[Request], Awaitable[Response]]:
    """`endpoint`, refusing a query string `query` does not take (for routes without the operation
    middleware, which makes the same check itself)."""

    async def answer(request: Request) -> Response:
        query_string: bytes = request.scope["query_string"]
        if query_string and (error := query.refusal(query_string)) is not None:
            raise error
        return await endpoint(request)

    answer.__name__ = endpoint.__name__
    return answer
