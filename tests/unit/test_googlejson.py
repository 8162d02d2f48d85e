"""emulator.googlejson: protobuf's JSON stream parser (Google's front end), its extensions and errors."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.googlejson import JsonSyntaxError, _Parser, loads

_keys = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
)
values = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4), max_leaves=25
)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@settings(max_examples=300)
@given(value=values, indent=st.sampled_from([None, 1, 2]))
def test_standard_json_reads_as_json_does(value: Any, indent: int | None) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    assert _same(_Parser(text).document(), json.loads(text))  # the slow path, on its own
    assert _same(loads(text.encode()), json.loads(text))


@settings(max_examples=200)
@given(value=values)
def test_single_quotes_bare_keys_and_trailing_commas_read_the_same(value: Any) -> None:
    def legacy(v: Any) -> str:
        if isinstance(v, dict):
            items = [f"{_key(k)}: {legacy(x)}" for k, x in v.items()]
            return "{" + ", ".join(items) + (", }" if items else "}")
        if isinstance(v, list):
            return "[" + "".join(legacy(x) + "," for x in v) + "]"
        if isinstance(v, str):
            return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return json.dumps(v)

    def _key(k: str) -> str:
        return k if k and k[0].isascii() and k.replace("_", "a").replace("$", "a").isalnum() and not k[0].isdigit() \
            and k.isascii() and k not in ("true", "false", "null") else legacy(k)  # fmt: skip

    assert _same(loads(legacy(value)), value)


def test_the_docs_curl_bodies() -> None:
    assert loads(b"{'file': {'display_name': 'BatchInput'}}") == {"file": {"display_name": "BatchInput"}}
    body = b"{'batch': {'display_name': 'my-batch', 'input_config': {'file_name': 'files/abc'}}}"
    assert loads(body)["batch"]["input_config"] == {"file_name": "files/abc"}
    assert loads(b'{file: {display_name: "x",},}') == {"file": {"display_name": "x"}}
    assert loads(b"{'a': 'it\\'s \\q \\v'}") == {"a": "it's q \v"}
    assert loads(b'{"a": "tab\there"}') == {"a": "tab\there"}  # a raw control character
    assert loads(b'{"n": 18446744073709551615, "m": -9223372036854775808, "big": 18446744073709551616}') == {
        "n": 2**64 - 1,
        "m": -(2**63),
        "big": 1.8446744073709552e19,
    }
    assert loads(b'{"\\ud83d\\ude00": 1}') == {"\U0001f600": 1}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"a": 1 "b": 2}', 'Expected , or } after key:value pair.\n{"a": 1 "b": 2}\n        ^'),
        (b'{"a" 1}', 'Expected : between key:value pair.\n{"a" 1}\n     ^'),
        (b"{1: 2}", "Expected an object key or }.\n{1: 2}\n ^"),
        (b'{"a": 1', 'Unexpected end of string. Expected , or } after key:value pair.\n{"a": 1\n       ^'),
        (b"", "Unexpected end of string. Expected a value.\n\n^"),
        (b'{"a": /* no */ 1}', 'Expected a value.\n{"a": /* no */ 1}\n      ^'),
        (b"// comment\n{}", "Expected a value.\n// comment\n{}\n^"),
        (b'{"a": NaN}', 'Unexpected token.\n{"a": NaN}\n      ^'),
        (b'{"a": +1}', 'Expected a value.\n{"a": +1}\n      ^'),
        (b'{"a": 01}', 'Octal/hex numbers are not valid JSON values.\n{"a": 01}\n      ^'),
        (b'{"a": 0x1F}', 'Octal/hex numbers are not valid JSON values.\n{"a": 0x1F}\n      ^'),
        (b"[1,,2]", "Unexpected token.\n[1,,2]\n   ^"),
        (b"{} {}", "Parsing terminated before end of input.\n{} {}\n   ^"),
        (b"{'a': 'open}", "Closing quote expected in string.\n{'a': 'open}\n            ^"),
        (b"{true: 1}", "Expected an object key or }.\n{true: 1}\n     ^"),
        (b'{"a": 1e999}', 'Number exceeds the range of double.\n{"a": 1e999}\n      ^'),
        (b"[\xff]", "Encountered non UTF-8 code points."),
    ],
)
def test_refusals_say_what_googles_parser_says(body: bytes, message: str) -> None:
    with pytest.raises(JsonSyntaxError) as caught:
        loads(body)
    assert str(caught.value) == "Invalid JSON payload received. " + message


def test_deep_nesting_is_no_recursion_error() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    value = loads(deep.replace(b"[]", b"[0,]", 1))
    depth = 0
    while isinstance(value, list) and value:
        value, depth = value[0], depth + 1
    assert depth == 100_000


def test_the_reason_alone() -> None:
    with pytest.raises(JsonSyntaxError) as caught:
        loads(b"{'a' 1}")
    assert caught.value.reason == "Expected : between key:value pair."
