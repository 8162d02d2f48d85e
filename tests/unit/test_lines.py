"""The JSONL codec: every request line gets exactly one result line, whatever the bytes."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.batches.lines import LineContext, answer_line, model_name
from emulator.batches.models import BatchKind
from emulator.batches.pipeline import answer_chunk, count_requests
from emulator.faults.book import error_rate_rule
from emulator.responder.default import DefaultResponder

CTX = LineContext(
    kind=BatchKind.GENERATE,
    model="models/gemini-2.5-flash",
    inline=False,
    batch_id="b",
    seed=0,
    responder=DefaultResponder(0),
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@given(st.binary(max_size=200))
def test_any_bytes_get_one_json_result_line(raw: bytes) -> None:
    out, ok = answer_line(raw, 0, CTX)
    result = orjson.loads(out)
    assert b"\n" not in out
    assert ("response" in result) == ok and ("error" in result) != ok


@given(json_values)
def test_any_json_value_gets_one_result(value: object) -> None:
    out, ok = answer_line(json.dumps(value).encode(), 0, CTX)
    result = orjson.loads(out)
    assert set(result) <= {"key", "response", "error"}
    if not ok:
        assert result["error"]["code"] == 400 and result["error"]["status"] == "INVALID_ARGUMENT"


@given(st.text(min_size=1, max_size=30), st.sampled_from(["generation_config", "generationConfig"]))
def test_keys_are_echoed_and_casing_does_not_change_the_answer(key: str, config_name: str) -> None:
    contents = [{"parts": [{"text": "same prompt"}], "role": "user"}]
    line = {"key": key, "request": {"contents": contents, config_name: {"max_output_tokens": 50}}}
    out, ok = answer_line(orjson.dumps(line), 0, CTX)
    camel = {"key": key, "request": {"contents": contents, "generationConfig": {"maxOutputTokens": 50}}}
    assert ok and orjson.loads(out)["key"] == key
    assert out == answer_line(orjson.dumps(camel), 0, CTX)[0]


def test_inline_lines_echo_metadata_and_use_rpc_codes() -> None:
    ctx = LineContext(
        kind=BatchKind.GENERATE,
        model="models/m",
        inline=True,
        batch_id="b",
        seed=0,
        responder=DefaultResponder(0),
    )
    out, ok = answer_line(b'{"request": {"contents": []}, "metadata": {"key": "x"}}', 0, ctx)
    assert not ok and orjson.loads(out) == {
        "error": {
            "code": 3,
            "message": "* GenerateContentRequest.contents: contents is not specified",
            "status": "INVALID_ARGUMENT",
        },
        "metadata": {"key": "x"},
    }


def test_error_rate_is_seeded_per_batch_and_line() -> None:
    ctx = LineContext(
        kind=BatchKind.GENERATE,
        model="models/m",
        inline=False,
        batch_id="b",
        seed=7,
        faults=(error_rate_rule(0.3),),
        responder=DefaultResponder(7),
    )
    line = b'{"key": "k", "request": {"contents": [{"parts": [{"text": "x"}]}]}}'
    outcomes = [answer_line(line, i, ctx)[1] for i in range(400)]
    assert outcomes == [answer_line(line, i, ctx)[1] for i in range(400)]
    assert 0.2 < outcomes.count(False) / 400 < 0.4
    failed = orjson.loads(answer_line(line, outcomes.index(False), ctx)[0])
    assert failed == {
        "key": "k",
        "error": {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"},
    }


def test_model_names() -> None:
    assert model_name("gemini-2.5-flash") == "models/gemini-2.5-flash"
    assert model_name("models/x") == "models/x"
    assert model_name("tunedModels/y") == "tunedModels/y"


lines_strategy = st.lists(
    st.one_of(
        st.just(b""),
        st.just(b"   "),
        st.just(b"\r"),
        st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")),
        st.text(max_size=10).map(
            lambda t: json.dumps({"key": t, "request": {"contents": [{"parts": [{"text": t}]}]}}).encode()
        ),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(lines_strategy, st.integers(min_value=1, max_value=7), st.booleans())
def test_chunked_processing_answers_each_request_exactly_once(lines: list[bytes], chunk: int, trailing: bool) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp, "in"), Path(tmp, "out")
        src.write_bytes(b"\n".join(lines) + (b"\n" if trailing else b""))
        dst.write_bytes(b"")
        total = count_requests(src)
        in_off = out_off = done = 0
        while True:
            result = answer_chunk(src, in_off, dst, out_off, chunk, done, CTX)
            in_off, out_off, done = result.input_offset, result.output_offset, done + result.lines
            if result.at_end or done >= total:
                break
        out = dst.read_bytes().splitlines()
        assert done == total == len(out)
        # Re-running the last chunk from an older checkpoint rewrites, never duplicates.
        answer_chunk(src, 0, dst, 0, total + 1, 0, CTX)
        assert dst.read_bytes().splitlines() == out


@pytest.mark.parametrize("depth", [10, 300, 999, 1023, 1100, 5000])
def test_deep_nesting_is_an_error_line_never_a_crash(depth: int) -> None:
    inner = '{"a_b":' * depth + "1" + "}" * depth
    raw = ('{"key":"k","request":{"contents":[{"parts":[{"text":"x"}]}],"generation_config":' + inner + "}}").encode()
    out, ok = answer_line(raw, 0, CTX)
    result = orjson.loads(out)
    assert result["key"] == "k"
    assert ok or result["error"]["status"] == "INVALID_ARGUMENT"


def test_invalid_utf8_and_duplicate_keys() -> None:
    out, ok = answer_line(b'{"key": "k", "request": {"contents": [{"parts": [{"text": "\xff\xfe"}]}]}}', 0, CTX)
    assert not ok and orjson.loads(out)["error"]["code"] == 400
    out, ok = answer_line(b'{"key": "a", "key": "b", "request": {"contents": [{"parts": [{"text": "x"}]}]}}', 0, CTX)
    assert ok and orjson.loads(out)["key"] == "b"  # the last one wins, as in most JSON parsers
