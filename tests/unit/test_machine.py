"""The batch state machine, driven the way the runner drives it, under any timing and any way of
sampling the clock: a batch always ends, in a state its fate allows, at the time it was due, however
often (or rarely) the clock was looked at."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from emulator.batches import machine
from emulator.batches.models import Batch, BatchState, Fate, Outcome
from tests.unit.builders import new_batch

EXPIRY = 48 * 3600 * 1_000_000
S = BatchState


def run(batch: Batch, polls: list[int], max_lines: int) -> list[tuple[BatchState, int]]:
    """Apply steps as the runner does, looking at the clock at each poll time (then at infinity);
    returns the transitions made, with their stamped times."""
    seen: list[tuple[BatchState, int]] = []
    for now in [*polls, 10 * EXPIRY]:
        while not batch.state.terminal:
            step = machine.next_step(batch, now, EXPIRY, max_lines)
            if step.kind == "wait":
                assert step.at_us > now
                break
            if step.kind == "start":
                machine.transition(batch, S.RUNNING, step.at_us)
            elif step.kind == "answer":
                assert 0 < step.lines <= max_lines
                batch.lines_done += step.lines
            elif step.kind == "finish":
                machine.transition(batch, S.SUCCEEDED, step.at_us)
            elif step.kind == "fate":
                machine.transition(batch, machine.fate_state(batch), step.at_us)
            elif step.kind == "expire":
                machine.transition(batch, S.EXPIRED, step.at_us)
            seen.append((batch.state, batch.update_us))
    return seen


def batch_with(queue_us: int, latency_us: int, overhead_us: int, count: int, fate: Fate | None) -> Batch:
    return new_batch(
        create_us=0,
        update_us=0,
        request_count=count,
        queue_us=queue_us,
        latency_us=latency_us,
        overhead_us=overhead_us,
        fate=fate,
    )


fates = st.one_of(
    st.none(),
    st.builds(
        Fate,
        st.sampled_from([Outcome.FAILED, Outcome.CANCELLED, Outcome.EXPIRED, Outcome.HANG, Outcome.STUCK]),
        st.sampled_from([0.0, 0.3, 0.5, 1.0]),
        message=st.just("x"),
    ),
)
timings = st.tuples(
    st.integers(0, EXPIRY + 10),  # queue
    st.integers(0, 10**9),  # per-line latency
    st.integers(0, 10**9),  # overhead
    st.integers(1, 200),  # lines
)


@given(timings, fates, st.lists(st.integers(0, 2 * EXPIRY), max_size=20), st.integers(1, 50))
def test_every_batch_ends_once_at_the_time_it_was_due(
    timing: tuple[int, int, int, int], fate: Fate | None, polls: list[int], max_lines: int
) -> None:
    queue, latency, overhead, count = timing
    sampled = batch_with(queue, latency, overhead, count, fate)
    once = batch_with(queue, latency, overhead, count, fate)
    steps = run(sampled, sorted(polls), max_lines)
    # The same batch looked at only once, long after, ends the same way at the same time.
    assert run(once, [], count)[-1] == steps[-1]
    assert sampled.state.terminal and sampled.end_us == sampled.update_us <= EXPIRY
    times = [at for _, at in steps]
    assert times == sorted(times)
    assert sampled.lines_done <= count
    if sampled.state is S.SUCCEEDED:
        assert fate is None and sampled.lines_done == count
        assert sampled.end_us == queue + count * latency + overhead
    if fate is None:
        assert sampled.state in (S.SUCCEEDED, S.EXPIRED)
    elif fate.outcome in (Outcome.HANG, Outcome.STUCK):
        assert sampled.state is S.EXPIRED and sampled.end_us == EXPIRY
    else:
        assert sampled.state in (fate.outcome.state, S.EXPIRED)
        assert sampled.lines_done <= machine.fate_line_limit(sampled)
