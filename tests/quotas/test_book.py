"""The quota domain as pure functions: tables, overrides, windows on the clock, admission, the real
429 bodies, a batch's input tokens. (Through the SDKs: tests/quotas/test_sdk.py.)"""

from __future__ import annotations

import dataclasses
import datetime
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.batches.models import BatchState, QuirkName
from emulator.errors import InvalidArgument, ResourceExhausted
from emulator.quotas import Held, Metric, Override, QuotaBook, holds_tokens
from emulator.quotas.errors import QUOTA_MESSAGE, RATE_LIMITS_URL
from emulator.quotas.limits import limit_for
from emulator.quotas.tables import row_for
from emulator.quotas.tokens import file_tokens, line_tokens
from emulator.quotas.windows import MINUTE_US, bounds, pacific
from tests.unit.test_quirks import HOUR
from tests.unit.test_quirks import batch as ended

FLASH = "gemini-2.5-flash"
T = "key-a"
NOON = int(datetime.datetime(2026, 3, 2, 12, 0, 30, tzinfo=datetime.UTC).timestamp()) * 1_000_000  # 30 s in


def held(batch: str, tokens: int, model: str = FLASH, tenant: str = T) -> Held:
    return Held(batch, tenant, model, tokens)


# -- tables and overrides ---------------------------------------------------------------------
def test_the_longest_prefix_picks_the_row() -> None:
    assert row_for("1", "models/gemini-2.5-flash") == (1_000, 1_000_000, 10_000, 3_000_000)
    assert row_for("1", "gemini-2.5-flash-lite-preview-09-2025") == row_for("1", "gemini-2.5-flash-lite")
    assert row_for("1", "gemini-2.0-flash-001") == row_for("1", "gemini-2.0-flash")
    assert row_for("2", "gemini-2.5-flash-preview-tts") == (1_000, 100_000, 10_000, None)
    assert row_for("1", "gemini-9-ultra") is None


def test_limits_come_from_the_tier_then_the_last_matching_override() -> None:
    assert limit_for(None, (), FLASH, Metric.ENQUEUED_TOKENS) is None
    assert limit_for("1", (), FLASH, Metric.ENQUEUED_TOKENS) == 3_000_000
    assert limit_for("3", (), "gemini-2.0-flash", Metric.ENQUEUED_TOKENS) == 5_000_000_000
    assert limit_for("free", (), FLASH, Metric.ENQUEUED_TOKENS) is None  # the Batch API starts at Tier 1
    overrides = (Override.parse("*:enqueued_tokens=10"), Override.parse(f"{FLASH}:enqueued-tokens=1,000"))
    assert limit_for("1", overrides, FLASH, Metric.ENQUEUED_TOKENS) == 1_000
    assert limit_for("1", overrides, "gemini-2.5-pro", Metric.ENQUEUED_TOKENS) == 10
    assert limit_for("1", (*overrides, Override.parse("*:enqueued_tokens=none")), FLASH, Metric.ENQUEUED_TOKENS) is None
    assert limit_for("1", (), FLASH, Metric.BATCH_RPM) is None  # unpublished: overrides only


@pytest.mark.parametrize(
    "text", ["gemini-2.5-flash", "gemini-2.5-flash=5", ":rpm=5", "x:rps=5", "x:rpm=-1", "x:rpm=1.5", "x:rpm=many"]
)
def test_a_bad_override_is_refused_with_its_text(text: str) -> None:
    with pytest.raises(InvalidArgument, match="quota"):
        Override.parse(text)


@given(
    model=st.sampled_from(["*", FLASH, "gemini-2.5-*", "models/gemini-2.5-pro"]),
    metric=st.sampled_from(list(Metric)),
    limit=st.none() | st.integers(min_value=0, max_value=10**12),
)
def test_an_override_reads_back_from_its_text(model: str, metric: Metric, limit: int | None) -> None:
    override = Override.of(model, metric.value, limit)
    assert Override.parse(str(override)) == override


# -- windows ------------------------------------------------------------------------------------
def test_minutes_are_clock_minutes_and_days_start_at_midnight_pacific() -> None:
    assert bounds("minute", NOON) == (NOON - 30_000_000, NOON + 30_000_000)
    start, end = bounds("day", NOON)
    assert datetime.datetime.fromtimestamp(start / 1e6, pacific()).time() == datetime.time(0, 0)
    assert end - start == 24 * 3600 * 1_000_000
    spring = int(datetime.datetime(2026, 3, 8, 12, tzinfo=pacific()).timestamp()) * 1_000_000  # DST starts
    start, end = bounds("day", spring)
    assert end - start == 23 * 3600 * 1_000_000


# -- admission ------------------------------------------------------------------------------
def test_a_batch_over_the_enqueued_tokens_is_refused_until_one_ends() -> None:
    book = QuotaBook(overrides=[Override.parse(f"{FLASH}:enqueued_tokens=1000")])
    book.admit_batch(held("a", 600), [], NOON)
    book.settle("a")
    stored = [held("a", 600)]
    with pytest.raises(ResourceExhausted) as refused:
        book.admit_batch(held("b", 600), stored, NOON)
    assert refused.value.message == QUOTA_MESSAGE and refused.value.http_status == 429
    assert refused.value.details == [
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [{"description": "Learn more about Gemini API quotas", "url": RATE_LIMITS_URL}],
        }
    ]
    book.admit_batch(held("c", 400), stored, NOON)  # exactly at the limit
    book.admit_batch(held("b", 600), [held("c", 400)], NOON)  # "a" ended: no longer stored as unfinished
    assert book.refusals[("enqueued_tokens", FLASH)] == 1


def test_a_batch_being_created_holds_its_tokens_until_settled() -> None:
    book = QuotaBook(overrides=[Override.parse(f"{FLASH}:enqueued_tokens=1000")])
    book.admit_batch(held("a", 600), [], NOON)
    with pytest.raises(ResourceExhausted):
        book.admit_batch(held("b", 600), [], NOON)  # "a" not stored yet, still counted
    book.settle("a")
    book.admit_batch(held("b", 600), [], NOON)  # "a" never stored (its create failed later)


def test_keys_and_models_have_quotas_of_their_own() -> None:
    book = QuotaBook(tier="1")
    book.add([Override.parse("*:enqueued_tokens=10")], tenant=T)
    assert book.limit(T, FLASH, Metric.ENQUEUED_TOKENS) == 10
    assert book.limit("key-b", FLASH, Metric.ENQUEUED_TOKENS) == 3_000_000
    book.admit_batch(held("a", 10), [], NOON)
    book.admit_batch(held("b", 10, model="gemini-2.5-pro"), [], NOON)
    book.admit_batch(held("c", 10, tenant="key-b"), [], NOON)
    book.reset(T)
    assert book.limit(T, FLASH, Metric.ENQUEUED_TOKENS) == 3_000_000


def test_per_minute_limits_refuse_then_recover_at_the_next_minute() -> None:
    book = QuotaBook(overrides=[Override.parse(f"{FLASH}:rpm=2"), Override.parse(f"{FLASH}:tpm=100")])
    book.admit_request(T, FLASH, 10, NOON)
    book.admit_request(T, f"models/{FLASH}", 10, NOON + 1)
    with pytest.raises(ResourceExhausted) as refused:
        book.admit_request(T, FLASH, 10, NOON + 2)
    body = refused.value.http_body()["error"]
    assert body["code"] == 429 and body["status"] == "RESOURCE_EXHAUSTED"
    assert body["message"].startswith(QUOTA_MESSAGE + "\n* Quota exceeded for metric: generativelanguage")
    assert body["message"].endswith("limit: 2, model: gemini-2.5-flash\nPlease retry in 29.999998s.")
    help_, failure, retry = body["details"]
    assert help_["@type"].endswith("google.rpc.Help")
    assert failure["violations"] == [
        {
            "quotaMetric": "generativelanguage.googleapis.com/generate_requests_per_model_per_minute",
            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel",
            "quotaDimensions": {"location": "global", "model": FLASH},
            "quotaValue": "2",
        }
    ]
    assert retry == {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "29s"}
    with pytest.raises(ResourceExhausted, match="input_token_count, limit: 100"):
        book.admit_request("key-b", FLASH, 101, NOON)
    book.admit_request(T, FLASH, 10, NOON + 30 * 1_000_000)  # the next clock minute


def test_the_free_tier_names_its_metrics_as_the_free_tier_does() -> None:
    book = QuotaBook(tier="free")
    for n in range(250):  # 10 a minute (its rpm), 250 a day (its rpd)
        book.admit_request(T, FLASH, 1, NOON + n // 10 * MINUTE_US)
    with pytest.raises(ResourceExhausted) as refused:
        book.admit_request(T, FLASH, 1, NOON + 25 * MINUTE_US)
    (violation,) = refused.value.details[1]["violations"]  # type: ignore[index]
    assert violation["quotaId"] == "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
    assert violation["quotaMetric"].endswith("generate_content_free_tier_requests")


def test_batch_creations_per_minute_answer_with_the_batch_body() -> None:
    book = QuotaBook(overrides=[Override.parse("*:batch_rpm=1")])
    book.admit_batch(held("a", 0), [], NOON)
    with pytest.raises(ResourceExhausted) as refused:
        book.admit_batch(held("b", 0), [], NOON)
    assert refused.value.message == QUOTA_MESSAGE and len(refused.value.details or []) == 1
    book.admit_batch(held("b", 0), [], NOON + MINUTE_US)


@given(st.lists(st.tuples(st.integers(min_value=0, max_value=90), st.integers(min_value=0, max_value=50)), max_size=60))
def test_a_minute_never_admits_more_than_its_limits(steps: list[tuple[int, int]]) -> None:
    book = QuotaBook(overrides=[Override.parse("*:rpm=3"), Override.parse("*:tpm=60")])
    now = NOON
    admitted: dict[int, list[int]] = {}
    for seconds, tokens in steps:
        now += seconds * 1_000_000
        minute = now // MINUTE_US
        try:
            book.admit_request(T, FLASH, tokens, now)
        except ResourceExhausted:
            assert len(admitted.get(minute, [])) == 3 or sum(admitted.get(minute, [])) + tokens > 60
        else:
            admitted.setdefault(minute, []).append(tokens)
    assert all(len(a) <= 3 and sum(a) <= 60 for a in admitted.values())


def test_usage_shows_what_is_held_and_counted() -> None:
    book = QuotaBook(tier="1", overrides=[Override.parse(f"{FLASH}:enqueued_tokens=1000")])
    book.admit_request(T, FLASH, 7, NOON)
    (flash,) = book.usage(T, [held("a", 600), held("x", 5, tenant="key-b")], NOON)
    by = {u.metric: u for u in flash.usage}
    assert (by[Metric.ENQUEUED_TOKENS].used, by[Metric.ENQUEUED_TOKENS].limit) == (600, 1000)
    assert (by[Metric.RPM].used, by[Metric.RPM].limit, by[Metric.TPM].used) == (1, 1_000, 7)
    assert by[Metric.RPM].resets_us == NOON + 30_000_000
    assert [m.model for m in book.usage(T, [], NOON, models=["models/gemini-2.5-pro"])] == [FLASH, "gemini-2.5-pro"]


# -- the linger quirk ----------------------------------------------------------------------------
def test_a_lingering_batch_holds_its_tokens_for_a_while_after_it_ends() -> None:
    assert not holds_tokens(ended(), HOUR)
    lingering = ended(QuirkName.ENQUEUED_TOKENS_LINGER)  # 900 s by default
    assert holds_tokens(lingering, HOUR + 899 * 1_000_000)
    assert not holds_tokens(lingering, HOUR + 900 * 1_000_000)
    assert holds_tokens(dataclasses.replace(lingering, state=BatchState.RUNNING), 0)


# -- a batch's input tokens ----------------------------------------------------------------------
def test_input_tokens_are_countTokens_tokens_of_every_line(tmp_path: Path) -> None:
    generate = {"contents": [{"parts": [{"text": "x" * 40}]}], "systemInstruction": {"parts": [{"text": "abcd"}]}}
    lines = [
        json.dumps({"key": "a", "request": generate}),
        json.dumps({"request": {"contents": [{"parts": [{"text": "12345678"}]}]}, "metadata": {"key": "b"}}),
        json.dumps({"system_instruction": {"parts": [{"text": "abcd"}]}, "contents": []}),
        json.dumps({"request": {"content": {"parts": [{"text": "x" * 12}]}}}),  # an embed request
        "not json",
        "",
    ]
    assert [line_tokens(line.encode()) for line in lines] == [11, 2, 1, 3, 0, 0]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines))
    assert file_tokens(path) == 17


@given(st.lists(st.tuples(st.booleans(), st.integers(min_value=0, max_value=400)), max_size=40))
def test_a_create_is_refused_exactly_when_it_would_go_over_the_enqueued_tokens(steps: list[tuple[bool, int]]) -> None:
    book = QuotaBook(overrides=[Override.parse(f"{FLASH}:enqueued_tokens=1000")])
    stored: list[Held] = []  # the unfinished batches, as the store lists them
    for n, (end_one, tokens) in enumerate(steps):
        if end_one and stored:
            stored.pop(tokens % len(stored))  # a batch ends (any way): no longer unfinished
            continue
        fits = sum(h.tokens for h in stored) + tokens <= 1000
        try:
            book.admit_batch(held(f"b{n}", tokens), stored, NOON)
        except ResourceExhausted:
            assert not fits
        else:
            assert fits
            book.settle(f"b{n}")
            stored.append(held(f"b{n}", tokens))
        assert book.enqueued(T, FLASH, stored) == sum(h.tokens for h in stored) <= 1000
