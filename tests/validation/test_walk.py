"""The compiled walker against the reference: protobuf's own proto3 JSON parser (`json_format`) on
the same vendored descriptors must accept exactly the bodies the walker accepts (hypothesis), and
the walker's messages and paths are Google's."""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from emulator.validation import schema, walk

FIELD_NAMES = [
    "contents",
    "parts",
    "text",
    "role",
    "generationConfig",
    "generation_config",
    "temperature",
    "maxOutputTokens",
    "candidateCount",
    "stopSequences",
    "responseMimeType",
    "responseSchema",
    "type",
    "properties",
    "items",
    "enum",
    "safetySettings",
    "category",
    "threshold",
    "systemInstruction",
    "tools",
    "functionDeclarations",
    "name",
    "fileData",
    "fileUri",
    "functionCall",
    "args",
    "responseJsonSchema",
    "thinkingConfig",
    "thinkingBudget",
    "includeThoughts",
    "txt",
    "bogus",
]
ENUM_WORDS = ["HARM_CATEGORY_HARASSMENT", "BLOCK_NONE", "OBJECT", "STRING", "user", "NaN", "Infinity", "12", "-3"]

leaves = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(ENUM_WORDS),
    st.text(alphabet="abc", max_size=3),
)
json_values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELD_NAMES), inner, max_size=3),
    max_leaves=12,
)
bodies = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=4)


@functools.cache
def reference() -> Any:
    """GenerateContentRequest as protobuf builds it from the same vendored descriptors."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    files = descriptor_pb2.FileDescriptorSet.FromString(schema.DESCRIPTORS.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for proto in files.file:
        pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{schema.PACKAGE}.GenerateContentRequest"))


def json_format_accepts(body: dict[str, Any]) -> bool:
    from google.protobuf import json_format

    try:
        json_format.ParseDict(body, reference()())
    except json_format.ParseError:
        return False
    return True


def diverges(value: Any, message: schema.Message) -> bool:
    """Where json_format is laxer than Google's front end: `[]` or `""` for a singular message field
    (it reads them as an empty message, in a repeated field's elements too), and `null` inside arrays
    (refused by json_format, skipped by Google's front end and the walker). Bodies with these are left
    out of the comparison."""
    if isinstance(value, list):
        return any(item is None or isinstance(item, list) or item == "" or diverges(item, message) for item in value)
    if not isinstance(value, dict):
        return False
    for key, item in value.items():
        field = message.fields.get(key)
        if field is None or field.message is None:
            if isinstance(item, list) and any(element is None for element in item):
                return True
            continue
        if isinstance(item, list | str) and not field.repeated and (isinstance(item, list) or not item):
            return True
        if diverges(item, field.message):
            return True
    return False


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies)
def test_the_walker_accepts_what_json_format_accepts(body: dict[str, Any]) -> None:
    message = schema.message("GenerateContentRequest")
    assume(not diverges(body, message))
    assert (walk.check(body, message) == []) == json_format_accepts(body), walk.check(body, message)


def test_messages_and_paths() -> None:
    message = schema.message("GenerateContentRequest")
    [typo] = walk.check({"contents": [{"parts": [{"txt": "hi"}]}]}, message)
    assert typo.field == "contents[0].parts[0]"
    assert (
        typo.description
        == "Invalid JSON payload received. Unknown name \"txt\" at 'contents[0].parts[0]': Cannot find field."
    )
    [hot] = walk.check({"generationConfig": {"temperature": "hot"}}, message)
    assert hot.description == "Invalid value at 'generation_config.temperature' (TYPE_FLOAT), \"hot\""
    # every problem is reported, as Google's front end does
    assert len(walk.check({"a": 1, "contents": [{"parts": [{"b": 1}]}], "generationConfig": {"c": 2}}, message)) == 3
    # both spellings, and int64/int32 as strings
    assert walk.check({"generation_config": {"max_output_tokens": "12", "topK": 3}}, message) == []
