"""Structured output: for generated schemas, every answer validates (checked by jsonschema), and the
same seed gives the same answer. Schemas are generated in a neutral form and rendered to both
dialects: the Gemini OpenAPI subset (`responseSchema`) and JSON Schema (`responseJsonSchema`)."""

from __future__ import annotations

import json
import random
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.errors import InvalidArgument
from emulator.responder import RequestInfo
from emulator.responder.default import DefaultResponder
from emulator.responder.schema import JSON_SCHEMA, OPENAPI, generate_value

CHECKER = jsonschema.FormatChecker()
FORMATS = ["date-time", "date", "email", "uuid", "ipv4", "ipv6", "uri", "hostname"]
PATTERNS = [r"^[a-z]{3}-\d{2}$", r"^[A-Z][a-z]+$", r"\d+", r"^(foo|bar)_[0-9]{1,3}$", r"^[^0-9\s]{2,4}$"]
NAMES = st.text(alphabet="abcdefghij_xyz", min_size=1, max_size=8)


# -- a neutral schema tree: (kind, facets, children) ------------------------------------------------
@st.composite
def _string(draw: st.DrawFn) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    choice = draw(st.sampled_from(["plain", "enum", "format", "pattern", "lengths"]))
    if choice == "enum":
        facets["enum"] = draw(st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=4, unique=True))
    elif choice == "format":
        facets["format"] = draw(st.sampled_from(FORMATS))
    elif choice == "pattern":
        facets["pattern"] = draw(st.sampled_from(PATTERNS))
    elif choice == "lengths":
        low = draw(st.integers(0, 20))
        facets["minLength"] = low
        if draw(st.booleans()):
            facets["maxLength"] = low + draw(st.integers(0, 20))
    return {"kind": "string", **facets}


@st.composite
def _number(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    node: dict[str, Any] = {"kind": kind}
    low = draw(st.none() | st.integers(-1000, 1000))
    if low is not None:
        node["minimum"] = low
    if draw(st.booleans()):
        node["maximum"] = (low if low is not None else 0) + draw(st.integers(0, 500))
    return node


scalars = st.one_of(
    _string(),
    _number("integer"),
    _number("number"),
    st.just({"kind": "boolean"}),
)


def _containers(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def array(draw: st.DrawFn) -> dict[str, Any]:
        node: dict[str, Any] = {"kind": "array", "items": draw(children)}
        low = draw(st.none() | st.integers(0, 4))
        if low is not None:
            node["minItems"] = low
        if draw(st.booleans()):
            node["maxItems"] = (low or 0) + draw(st.integers(0, 3))
        return node

    @st.composite
    def obj(draw: st.DrawFn) -> dict[str, Any]:
        props = draw(st.dictionaries(NAMES, children, min_size=0, max_size=5))
        names = list(props)
        required = [n for n in names if draw(st.booleans())]
        node: dict[str, Any] = {"kind": "object", "properties": props, "required": required}
        ordered: bool = draw(st.booleans())
        if names and ordered:
            node["propertyOrdering"] = draw(st.permutations(names))
        return node

    any_of = st.lists(children, min_size=1, max_size=3).map(lambda branches: {"kind": "anyOf", "branches": branches})
    return st.one_of(array(), obj(), any_of)


def _nullable(node: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.booleans().map(lambda flag: {**node, "nullable": flag})


schemas = st.recursive(scalars, _containers, max_leaves=12).flatmap(_nullable)


_FACETS = ("enum", "format", "pattern", "minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems")


def to_openapi(node: dict[str, Any]) -> dict[str, Any]:
    kind = node["kind"]
    if kind == "anyOf":
        out: dict[str, Any] = {"anyOf": [to_openapi(b) for b in node["branches"]]}
    else:
        out = {"type": kind.upper(), **{k: node[k] for k in _FACETS if k in node}}
    if kind == "array":
        out["items"] = to_openapi(node["items"])
    if kind == "object":
        out["properties"] = {name: to_openapi(child) for name, child in node["properties"].items()}
        out["required"] = node["required"]
        if "propertyOrdering" in node:
            out["propertyOrdering"] = node["propertyOrdering"]
    if node.get("nullable"):
        out["nullable"] = True
    return out


def to_json_schema(node: dict[str, Any]) -> dict[str, Any]:
    kind = node["kind"]
    if kind == "anyOf":
        out: dict[str, Any] = {"anyOf": [to_json_schema(b) for b in node["branches"]]}
    else:
        out = {"type": kind, **{k: node[k] for k in _FACETS if k in node}}
    if kind == "array":
        out["items"] = to_json_schema(node["items"])
    if kind == "object":
        out["properties"] = {name: to_json_schema(child) for name, child in node["properties"].items()}
        out["required"] = node["required"]
        out["additionalProperties"] = False
    if node.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def validate(value: Any, schema: dict[str, Any]) -> None:
    jsonschema.validate(value, schema, cls=jsonschema.Draft202012Validator, format_checker=CHECKER)


# -- properties -----------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas, st.integers(0, 2**32))
def test_openapi_answers_validate(node: dict[str, Any], seed: int) -> None:
    value = generate_value(to_openapi(node), random.Random(seed), OPENAPI)
    validate(value, to_json_schema(node))
    assert value == generate_value(to_openapi(node), random.Random(seed), OPENAPI)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas, st.integers(0, 2**32))
def test_json_schema_answers_validate(node: dict[str, Any], seed: int) -> None:
    schema = to_json_schema(node)
    validate(generate_value(schema, random.Random(seed), JSON_SCHEMA), schema)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas, st.sampled_from(["responseSchema", "responseJsonSchema"]), st.text(max_size=30))
def test_responder_json_text_validates_and_is_deterministic(node: dict[str, Any], field: str, prompt: str) -> None:
    schema = to_openapi(node) if field == "responseSchema" else to_json_schema(node)
    request = {
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "generationConfig": {"responseMimeType": "application/json", field: schema},
    }
    info = RequestInfo(model="models/gemini-2.5-flash")
    answer = DefaultResponder(3).generate(request, info)
    text = answer["candidates"][0]["content"]["parts"][0]["text"]
    validate(json.loads(text), to_json_schema(node))
    assert answer == DefaultResponder(3).generate(request, info)


# -- specific keywords ------------------------------------------------------------------------------
def _many(schema: dict[str, Any], dialect: str, n: int = 50) -> list[Any]:
    return [generate_value(schema, random.Random(i), dialect) for i in range(n)]


def test_property_ordering_then_alphabetical_for_openapi() -> None:
    schema = {
        "type": "OBJECT",
        "properties": {"zeta": {"type": "STRING"}, "alpha": {"type": "STRING"}, "mid": {"type": "STRING"}},
        "required": ["zeta", "alpha", "mid"],
        "propertyOrdering": ["mid"],
    }
    for value in _many(schema, OPENAPI):
        assert list(value) == ["mid", "alpha", "zeta"]


def test_json_schema_keeps_declared_order() -> None:
    schema = {
        "type": "object",
        "properties": {"b": {"type": "integer"}, "a": {"type": "integer"}},
        "required": ["b", "a"],
    }
    assert all(list(v) == ["b", "a"] for v in _many(schema, JSON_SCHEMA))


def test_nullable_and_optional_values_both_occur() -> None:
    schema = {"type": "OBJECT", "properties": {"n": {"type": "INTEGER", "nullable": True}}}
    values = _many(schema, OPENAPI, 200)
    assert any(v == {} for v in values) and any(v.get("n") is None and "n" in v for v in values)
    assert any(isinstance(v.get("n"), int) for v in values)


def test_json_schema_refs_consts_prefix_items_and_bounds() -> None:
    schema = {
        "$defs": {"node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}}}},
        "type": "object",
        "properties": {
            "tree": {"$ref": "#/$defs/node"},
            "kind": {"const": "fixed"},
            "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "even": {"type": "integer", "multipleOf": 2, "minimum": 1, "maximum": 9},
            "both": {
                "allOf": [
                    {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
                    {"properties": {"y": {"type": "string"}}, "required": ["y"]},
                ]
            },
            "tags": {"type": "array", "items": {"enum": ["a", "b", "c"]}, "uniqueItems": True, "maxItems": 3},
            "size": {"type": "object", "additionalProperties": {"type": "integer"}, "minProperties": 2},
            "kind2": {"type": ["integer", "null"]},
        },
        "required": ["tree", "kind", "pair", "ratio", "even", "both", "tags", "size", "kind2"],
    }
    for value in _many(schema, JSON_SCHEMA):
        validate(value, schema)


def test_text_x_enum_answers_one_value_unquoted() -> None:
    request = {
        "contents": [{"parts": [{"text": "colour?"}]}],
        "generationConfig": {
            "responseMimeType": "text/x.enum",
            "responseSchema": {"type": "STRING", "enum": ["red", "blue"]},
        },
    }
    answer = DefaultResponder(0).generate(request, RequestInfo(model="models/m"))
    assert answer["candidates"][0]["content"]["parts"][0]["text"] in {"red", "blue"}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"responseMimeType": "text/x.enum", "responseSchema": {"type": "STRING"}}, "enum"),
        ({"responseSchema": {"type": "STRING"}}, "response_mime_type"),
        ({"responseMimeType": "application/json", "responseSchema": {}, "responseJsonSchema": {}}, "both"),
        (
            {"responseMimeType": "application/json", "responseSchema": {"type": "INTEGER", "minimum": 5, "maximum": 1}},
            "minimum",
        ),
        ({"responseMimeType": "application/json", "responseJsonSchema": {"$ref": "#/$defs/missing"}}, "resolve"),
    ],
)
def test_bad_schema_configs_are_invalid_argument(config: dict[str, Any], message: str) -> None:
    request = {"contents": [{"parts": [{"text": "x"}]}], "generationConfig": config}
    with pytest.raises(InvalidArgument, match=message):
        DefaultResponder(0).generate(request, RequestInfo(model="models/m"))


def test_json_without_schema_is_a_json_object() -> None:
    request = {"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"responseMimeType": "application/json"}}
    text = DefaultResponder(0).generate(request, RequestInfo(model="models/m"))["candidates"][0]["content"]["parts"][0][
        "text"
    ]
    assert isinstance(json.loads(text)["text"], str)
