"""The production quirks as pure functions: what a client is shown of a batch that has a quirk, at a
given time and after a given number of polls. (Through HTTP and the SDK: tests/control/test_quirks.py.)"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from emulator.batches import quirks
from emulator.batches.models import Batch, BatchState, QuirkName
from emulator.faults.rules import QUIRKS
from tests.unit.builders import new_batch

HOUR = 3_600_000_000


def batch(*named: QuirkName, inline: bool = True, **params: Any) -> Batch:
    return new_batch(
        id="b1",
        model="models/gemini-2.5-flash",
        state=BatchState.SUCCEEDED,
        input_file=None if inline else "files/in",
        request_count=3,
        create_us=0,
        update_us=HOUR,
        end_us=HOUR,
        output_file=None if inline else "files/batch-out",
        quirks=[{"name": name, **QUIRKS[name], **params} for name in named],
    )


def inline_lines(n: int) -> bytes:
    return b"\n".join(orjson.dumps({"response": {"n": i}, "metadata": {"key": f"k{i}"}}) for i in range(n))


def test_a_batch_without_quirks_is_shown_as_stored() -> None:
    plain = dataclasses.replace(batch(), quirks=None)
    output = inline_lines(3)
    assert quirks.shown(plain, output, now_us=10 * HOUR, polls=0, seed=0) == (plain, output)


def test_succeeded_before_output_hides_the_output_for_the_first_polls() -> None:
    b = batch(QuirkName.SUCCEEDED_BEFORE_OUTPUT, inline=False)
    early, _ = quirks.shown(b, None, now_us=HOUR, polls=3, seed=0)
    late, _ = quirks.shown(b, None, now_us=HOUR, polls=4, seed=0)
    assert early.state is BatchState.SUCCEEDED and early.output_file is None
    assert late.output_file == "files/batch-out"


def test_inline_metadata_dropped_removes_only_the_metadata() -> None:
    _, shown = quirks.shown(batch(QuirkName.INLINE_METADATA_DROPPED), inline_lines(3), now_us=HOUR, polls=9, seed=0)
    assert shown is not None
    assert [orjson.loads(line) for line in shown.splitlines()] == [{"response": {"n": i}} for i in range(3)]


@given(st.integers(0, 2**32), st.integers(2, 60))
def test_inline_out_of_order_is_a_seeded_permutation(seed: int, n: int) -> None:
    b = dataclasses.replace(batch(QuirkName.INLINE_OUT_OF_ORDER), request_count=n)
    output = inline_lines(n)
    _, first = quirks.shown(b, output, now_us=HOUR, polls=1, seed=seed)
    _, again = quirks.shown(b, output, now_us=HOUR, polls=5, seed=seed)
    assert first == again
    assert first is not None and sorted(first.splitlines()) == sorted(output.splitlines())


def test_output_discarded_after_drops_inline_results_once_old_enough() -> None:
    b = batch(QuirkName.OUTPUT_DISCARDED_AFTER, seconds=3600)
    assert quirks.shown(b, inline_lines(2), now_us=HOUR + HOUR - 1, polls=1, seed=0)[1] is not None
    assert quirks.shown(b, inline_lines(2), now_us=HOUR + HOUR, polls=1, seed=0)[1] is None


def test_late_completion_after_cancel_shows_cancelled_while_the_batch_goes_on() -> None:
    b = dataclasses.replace(
        batch(QuirkName.LATE_COMPLETION_AFTER_CANCEL, cancelled_us=5), state=BatchState.RUNNING, end_us=None
    )
    shown, output = quirks.shown(b, None, now_us=HOUR, polls=0, seed=0)
    assert shown.state is BatchState.CANCELLED and shown.end_us == 5 and output is None
    assert shown.error is not None and shown.error["status"] == "CANCELLED"
    assert quirks.swallows_cancel(dataclasses.replace(b, state=BatchState.PENDING))


def test_small_file_batches_come_back_inline() -> None:
    b = batch(QuirkName.SMALL_FILE_BATCH_INLINE_OUTPUT, inline=False)
    file_lines = b"\n".join(orjson.dumps({"key": f"k{i}", "response": {"n": i}}) for i in range(3))
    assert quirks.inline_output_instead_of_file(b)
    _, shown = quirks.shown(b, file_lines, now_us=HOUR, polls=9, seed=0)
    assert shown is not None
    assert orjson.loads(shown.splitlines()[0]) == {"response": {"n": 0}, "metadata": {"key": "k0"}}


def test_stuck_then_expired_starts_stuck() -> None:
    assert quirks.starts_stuck([{"name": QuirkName.STUCK_THEN_EXPIRED}])
    assert not quirks.starts_stuck([{"name": QuirkName.INLINE_METADATA_DROPPED}])


def test_every_quirk_has_parameters_and_a_name() -> None:
    assert set(QUIRKS) == {q.value for q in QuirkName}
