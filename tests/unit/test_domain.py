"""Pure domain rules: states, timing, casing, paging, ids, the fake model, errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.batches import machine
from emulator.batches.machine import Step
from emulator.batches.models import BatchState, Fate, Outcome
from emulator.casing import camelize, to_camel
from emulator.errors import FailedPrecondition, InvalidArgument, NotFound, file_not_found
from emulator.files.models import canonical_mime_type, file_id_from_name, normalize_mime_type
from emulator.ids import resource_id
from emulator.paging import decode_token, encode_token, page_size
from emulator.responder import RequestInfo
from emulator.responder.default import DefaultResponder, embedding_dimension
from tests.unit.builders import new_batch


def test_transitions_stamp_times_and_refuse_leaving_terminal_states() -> None:
    batch = new_batch()
    machine.transition(batch, BatchState.RUNNING, 2_000_000)
    assert batch.start_us == 2_000_000 and batch.end_us is None
    machine.transition(batch, BatchState.SUCCEEDED, 3_000_000)
    assert batch.end_us == batch.update_us == 3_000_000 and batch.pending_count == 0
    with pytest.raises(FailedPrecondition):
        machine.transition(batch, BatchState.CANCELLED, 4_000_000)


def test_steps_follow_the_batch_timing() -> None:
    batch = new_batch(queue_us=500_000, latency_us=100_000, overhead_us=50_000)
    expiry = 48 * 3600 * 1_000_000
    assert machine.next_step(batch, 1_200_000, expiry, 100) == Step("wait", 1_500_000)
    assert machine.next_step(batch, 9_000_000, expiry, 100) == Step("start", 1_500_000)  # stamped when due
    machine.transition(batch, BatchState.RUNNING, 1_500_000)
    assert machine.next_step(batch, 1_549_999, expiry, 100) == Step("wait", 1_600_000)
    assert machine.next_step(batch, 1_800_000, expiry, 100) == Step("answer", 1_800_000, 3)
    assert machine.next_step(batch, 1_800_000, expiry, 2) == Step("answer", 1_800_000, 2)  # chunked
    batch.lines_done = 10
    assert machine.next_step(batch, 2_000_000, expiry, 100) == Step("wait", 2_550_000)
    assert machine.next_step(batch, 99_000_000, expiry, 100) == Step("finish", 2_550_000)


def test_unfinished_batches_expire_at_48_hours_and_finished_ones_do_not() -> None:
    expiry = 48 * 3600 * 1_000_000
    slow = new_batch(queue_us=expiry + 1)
    assert machine.next_step(slow, 1_000_000 + expiry, expiry, 100) == Step("expire", 1_000_000 + expiry)
    quick = new_batch(latency_us=1_000)
    machine.transition(quick, BatchState.RUNNING, 1_000_000)
    quick.lines_done = 10
    assert machine.next_step(quick, 10 * expiry, expiry, 100) == Step("finish", 1_010_000)


def test_job_faults_strike_after_their_fraction_of_lines() -> None:
    batch = new_batch(latency_us=1_000, fate=Fate(Outcome.FAILED, 0.3, message="x"))
    machine.transition(batch, BatchState.RUNNING, 1_000_000)
    assert machine.next_step(batch, 5_000_000, 10**12, 100) == Step("answer", 5_000_000, 3)
    batch.lines_done = 3
    assert machine.next_step(batch, 5_000_000, 10**12, 100) == Step("fate", 1_003_000)
    assert machine.fate_state(batch) is BatchState.FAILED
    hang = new_batch(fate=Fate(Outcome.HANG, 1.0))
    machine.transition(hang, BatchState.RUNNING, 1_000_000)
    hang.lines_done = 10
    assert machine.next_step(hang, 5_000_000, 10**9, 100) == Step("wait", 10**9 + 1_000_000)


@given(st.from_regex(r"[a-z][a-z0-9]{0,8}(_[a-z0-9]{1,8}){0,3}", fullmatch=True))
def test_snake_and_camel_spellings_camelize_alike(snake: str) -> None:
    camel = to_camel(snake)
    assert "_" not in camel and to_camel(camel) == camel
    assert camelize({snake: {"inner_key": 1}}) == camelize({camel: {"innerKey": 1}})


def test_camelize_leaves_user_data_alone() -> None:
    value = {
        "generation_config": {"response_schema": {"properties": {"my_field": {"max_items": 2}}}},
        "metadata": {"user_key": "x"},
    }
    assert camelize(value) == {
        "generationConfig": {"responseSchema": {"properties": {"my_field": {"maxItems": 2}}}},
        "metadata": {"user_key": "x"},
    }


@given(st.integers(min_value=0, max_value=2**62))
def test_page_tokens_round_trip(position: int) -> None:
    assert decode_token(encode_token(position)) == position


@given(st.text(max_size=20))
def test_garbage_page_tokens_are_invalid_argument_or_positions(token: str) -> None:
    try:
        result = decode_token(token)
    except InvalidArgument:
        return
    assert result is None or result >= 0


def test_page_size_defaults_and_clamps() -> None:
    assert page_size(None, default=10, maximum=100) == 10
    assert page_size("0", default=10, maximum=100) == 10
    assert page_size("1000", default=10, maximum=100) == 100
    with pytest.raises(InvalidArgument):
        page_size("-1", default=10, maximum=100)


def test_ids_are_seeded_lowercase_alphanumerics() -> None:
    a = resource_id(1, "batch", 1, 24)
    assert a == resource_id(1, "batch", 1, 24) != resource_id(2, "batch", 1, 24)
    assert len(a) == 24 and a.isalnum() and a == a.lower()


def test_file_names_are_validated() -> None:
    assert file_id_from_name("files/abc-1") == "abc-1"
    for bad in ("files/-abc", "files/ABC", "files/" + "a" * 41, "files/", "files/a_b"):
        with pytest.raises(InvalidArgument):
            file_id_from_name(bad)


def test_mime_types() -> None:
    """Stored as given (the real service echoes `jsonl`), understood by the canonical form."""
    assert normalize_mime_type("jsonl") == "jsonl"
    assert canonical_mime_type("jsonl") == "application/jsonl"
    assert normalize_mime_type("text/plain; charset=utf-8") == "text/plain; charset=utf-8"
    assert canonical_mime_type("Text/Plain; charset=utf-8") == "text/plain"
    assert (
        normalize_mime_type("application/vnd.google.generativeai.jsonl") == "application/vnd.google.generativeai.jsonl"
    )
    with pytest.raises(InvalidArgument, match="Unsupported MIME type: bad/x"):
        normalize_mime_type("bad/x")


def test_responder_is_a_function_of_seed_model_and_request() -> None:
    request = {"contents": [{"parts": [{"text": "hello"}], "role": "user"}]}
    a = DefaultResponder(1).generate(request, RequestInfo(model="models/m"))
    assert a == DefaultResponder(1).generate(request, RequestInfo(model="models/m"))
    assert a != DefaultResponder(2).generate(request, RequestInfo(model="models/m"))
    assert a != DefaultResponder(1).generate(request, RequestInfo(model="models/n"))
    assert a["usageMetadata"]["promptTokenCount"] == 2  # "hello": ceil(5 / 4)


def test_embedding_dimensions() -> None:
    assert embedding_dimension("models/gemini-embedding-001") == 3072
    assert embedding_dimension("models/text-embedding-004") == 768
    responder = DefaultResponder(0)
    with pytest.raises(InvalidArgument):
        responder.embed(
            {"content": {"parts": [{"text": "x"}]}, "outputDimensionality": 5000},
            RequestInfo(model="models/gemini-embedding-001"),
        )


def test_errors_render_in_band_and_out_of_band() -> None:
    error = NotFound("Batch batches/x was not found.")
    assert error.http_body() == {
        "error": {"code": 404, "message": "Batch batches/x was not found.", "status": "NOT_FOUND"}
    }
    assert error.status() == {"code": 5, "message": "Batch batches/x was not found.", "status": "NOT_FOUND"}
    assert file_not_found("abc").http_status == 403
