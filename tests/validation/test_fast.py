"""The quick path's promise: it accepts only what the full validation accepts (hypothesis, on bodies
built around the shape it knows, and on the bodies of the table of invalid requests)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.errors import ApiError
from emulator.validation import checks, fast, schema, walk
from emulator.validation.validator import Validator
from tests.validation.cases import CASES

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
    st.sampled_from(["", "hi there", "user", "model", "system", "OBJECT"]),
)
keys = st.sampled_from(["text", "role", "parts", "temperature", "topK", "seed", "top_p", "maxOutputTokens", "x"])
loose = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=2) | st.dictionaries(keys, inner, max_size=2), max_leaves=6
)
parts = st.lists(st.one_of(st.fixed_dictionaries({"text": st.sampled_from(["a", "", "b c"])}), loose), max_size=3)
contents = st.lists(
    st.one_of(
        st.fixed_dictionaries({"parts": parts}, optional={"role": st.sampled_from(["user", "model", "system", ""])}),
        loose,
    ),
    max_size=3,
)
configs = st.dictionaries(
    st.sampled_from(["temperature", "topP", "top_k", "seed", "presencePenalty", "candidateCount", "bogus"]),
    st.one_of(st.integers(-(2**40), 2**40), st.floats(allow_nan=False), st.booleans(), st.sampled_from(["1", "x"])),
    max_size=3,
)
bodies = st.fixed_dictionaries(
    {"contents": st.one_of(contents, loose)},
    optional={"generationConfig": st.one_of(configs, loose), "generation_config": configs, "tools": loose},
)


def fully_valid(body: dict[str, Any]) -> bool:
    if walk.check(body, schema.message("GenerateContentRequest")):
        return False
    try:
        checks.generate(body, "models/gemini-2.5-flash", None, {})
    except ApiError:
        return False
    return True


@settings(max_examples=1500, deadline=None)
@given(bodies)
def test_the_quick_yes_is_always_right(body: dict[str, Any]) -> None:
    if fast.accepts(body):
        assert fully_valid(body), body


def test_it_says_yes_to_the_common_line_and_never_to_the_table() -> None:
    line = {
        "contents": [{"role": "user", "parts": [{"text": "Task 1: a b c"}]}],
        "generationConfig": {"temperature": 0.2},
    }
    assert fast.accepts(line)
    for case in CASES:
        assert not fast.accepts(case.body) or case.method != "generateContent" or case.status == 404, case.id


def test_lines_refused_by_the_full_path_still_are() -> None:
    validator = Validator()
    validator.line({"contents": [{"parts": [{"text": "ok"}]}]}, "models/gemini-2.5-flash", embed=False)
    try:
        validator.line({"contents": [{"parts": [{"txt": "ok"}]}]}, "models/gemini-2.5-flash", embed=False)
    except ApiError as error:
        assert 'Unknown name "txt"' in error.message
    else:
        raise AssertionError("refused")
