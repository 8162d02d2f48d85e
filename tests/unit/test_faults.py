"""The fault rules, their parser and the fault book, without HTTP: what a scenario file or a control
call turns into, and which calls and batches the rules then strike."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.errors import Code, InvalidArgument
from emulator.faults.book import FaultBook
from emulator.faults.parsing import parse_faults
from emulator.faults.rules import FaultPolicy, Span, When
from emulator.ids import tenant_for_key


def parse(raw: dict[str, Any]) -> FaultPolicy:
    return parse_faults(raw, tenant_for_key)


# -- spans --------------------------------------------------------------------------------------
@given(st.floats(0, 1e6), st.floats(0, 1e6))
def test_spans_parse_fixed_values_and_ranges(a: float, b: float) -> None:
    low, high = sorted((a, b))
    span = Span.parse(f"{low!r}..{high!r}", "queue_delay")
    assert (span.low, span.high) == (low, high)
    assert span.pick(0) == low and span.pick(1) == pytest.approx(high)
    assert Span.parse(low, "x") == Span(low, low)


@pytest.mark.parametrize("text", ["-1", "2..1", "soon", "1..x", True])
def test_bad_spans_are_refused_naming_the_setting(text: object) -> None:
    with pytest.raises(InvalidArgument, match="queue_delay"):
        Span.parse(text, "queue_delay")


# -- when ---------------------------------------------------------------------------------------
@given(st.integers(1, 500), st.integers(1, 20), st.integers(1, 20), st.integers(0, 20))
def test_when_conditions_all_hold(call: int, first_n: int, every_nth: int, after_n: int) -> None:
    when = When(first_n=first_n, every_nth=every_nth, after_n=after_n)
    expected = call <= first_n and call % every_nth == 0 and call > after_n
    assert when.fires(call, draw=0.0) is expected


@given(st.floats(0, 1, exclude_max=True), st.floats(0, 1))
def test_probability_compares_the_seeded_draw(draw: float, probability: float) -> None:
    assert When(probability=probability).fires(1, draw) is (draw < probability)


# -- the parser ---------------------------------------------------------------------------------
def test_rules_parse_from_either_casing_and_get_ids_in_order() -> None:
    policy = parse(
        {
            "http": [{"operation": "batches.get", "status": 503, "first_n": 2}],
            "job": [{"outcome": "FAILED", "at": 0.5, "displayName": "nightly*"}],
            "line": [{"rate": 0.25, "finishReason": "SAFETY"}],
        }
    )
    (http,), (job,), (line,) = policy.http, policy.job, policy.line
    assert (http.id, http.operation, http.status, http.code, http.when.first_n) == (
        "http-1",
        "batches.get",
        503,
        Code.UNAVAILABLE,
        2,
    )
    assert (job.id, job.at, job.display_name) == ("job-2", 0.5, "nightly*")
    assert line.id == "line-3"


def test_api_keys_are_kept_only_as_their_fingerprint() -> None:
    (rule,) = parse({"http": [{"status": 500, "apiKey": "secret-key"}]}).http
    assert rule.api_key == tenant_for_key("secret-key") and "secret-key" not in repr(rule)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"htp": []}, "unknown kind 'htp'"),
        ({"http": {"status": 500}}, "faults.http: expected a list of tables"),
        ({"http": [{"operation": "files.get"}]}, "give a status, a delay or drop"),
        ({"http": [{"status": 500, "sometimes": True}]}, "unknown field 'sometimes'"),
        ({"http": [{"status": 500, "probability": 2}]}, "http fault http-1.when.probability"),
        ({"http": [{"status": 500, "firstN": 0}]}, "firstN"),
        ({"job": [{"outcome": "EXPLODED"}]}, "job fault job-1"),
        ({"job": [{"at": 1.5}]}, "job fault job-1"),
        ({"quirk": [{"name": "no-such-quirk"}]}, "no-such-quirk"),
    ],
)
def test_bad_rules_are_refused_naming_the_rule_and_field(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        parse(raw)


@given(
    st.dictionaries(
        st.sampled_from(["http", "job", "line", "quirk", "other"]),
        st.one_of(st.none(), st.integers(), st.text(), st.lists(st.dictionaries(st.text(max_size=12), st.integers()))),
        max_size=4,
    )
)
def test_any_document_parses_or_is_refused_with_invalid_argument(raw: dict[str, Any]) -> None:
    try:
        parse(raw)
    except InvalidArgument as exc:
        assert exc.message


# -- the fault book -----------------------------------------------------------------------------
def book(raw: dict[str, Any], *, seed: int = 0, error_rate: float = 0.0) -> FaultBook:
    return FaultBook(seed, parse(raw), error_rate)


def test_first_n_counts_calls_per_key() -> None:
    faults = book({"http": [{"operation": "batches.*", "status": 503, "firstN": 2}]})
    a, b = tenant_for_key("a"), tenant_for_key("b")
    assert [faults.http_fault("batches.get", a) is not None for _ in range(3)] == [True, True, False]
    assert faults.http_fault("batches.get", b) is not None  # another key has its own count
    assert faults.http_fault("files.get", b) is None


def test_probabilities_are_decided_by_the_seed() -> None:
    rules = {"http": [{"status": 500, "probability": 0.5}]}
    tenant = tenant_for_key("k")

    def pattern(seed: int) -> list[bool]:
        faults = book(rules, seed=seed)
        return [faults.http_fault("files.get", tenant) is not None for _ in range(64)]

    assert pattern(1) == pattern(1)
    assert pattern(1) != pattern(2)
    assert 10 < sum(pattern(1)) < 54


def test_next_n_job_rules_strike_that_many_batches() -> None:
    faults = book({"job": [{"outcome": "FAILED", "nextN": 1}]})
    tenant = tenant_for_key("k")
    first = faults.job_rule(display_name=None, model="models/m", batch="batches/1", tenant=tenant)
    second = faults.job_rule(display_name=None, model="models/m", batch="batches/2", tenant=tenant)
    assert first is not None and second is None


def test_clearing_one_key_keeps_the_others_rules() -> None:
    faults = book({})
    mine, theirs = tenant_for_key("mine"), tenant_for_key("theirs")
    faults.add(
        parse({"http": [{"id": "m", "status": 500, "apiKey": "mine"}, {"id": "t", "status": 500, "apiKey": "theirs"}]})
    )
    faults.clear(mine)
    assert faults.http_fault("files.get", mine) is None
    assert faults.http_fault("files.get", theirs) is not None
    faults.clear()
    assert faults.policy.rule_ids() == set()


def test_the_error_rate_is_a_line_rule_that_can_be_changed_while_running() -> None:
    faults = book({}, error_rate=0.1)
    assert [rule.rate for rule in faults.line_faults(tenant_for_key("k"))] == [0.1]
    faults.set_error_rate(0)
    assert faults.line_faults(tenant_for_key("k")) == ()
