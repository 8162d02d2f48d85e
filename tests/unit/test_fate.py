"""The typed fate of a batch (`Fate`, `Outcome`) and the quirk names, from rule to timeline."""

from __future__ import annotations

import pytest

from emulator.batches import machine
from emulator.batches.machine import Step
from emulator.batches.models import STUCK_FATE, BatchState, Fate, Outcome, QuirkName
from emulator.errors import Code, InvalidArgument
from emulator.faults.book import fate_of
from emulator.faults.parsing import parse_job_fault, parse_quirk
from emulator.faults.rules import JOB_OUTCOMES, QUIRKS, JobFault
from emulator.ui.queries import timeline
from tests.unit.builders import new_batch


def test_rules_may_ask_for_every_outcome_but_the_quirks_own() -> None:
    assert JOB_OUTCOMES == ("FAILED", "EXPIRED", "CANCELLED", "HANG", "NONE")
    assert set(QUIRKS) == set(QuirkName)
    with pytest.raises(InvalidArgument, match="is not one of FAILED, EXPIRED, CANCELLED, HANG, NONE"):
        parse_job_fault({"outcome": "STUCK"}, "job-1", str)


def test_a_job_rule_decides_a_typed_fate() -> None:
    rule = parse_job_fault({"outcome": "BATCH_STATE_CANCELLED", "at": 0.25, "status": 429}, "job-1", str)
    assert rule.outcome is Outcome.CANCELLED
    assert fate_of(rule) == Fate(Outcome.CANCELLED, 0.25, Code.RESOURCE_EXHAUSTED, "The batch was cancelled.", "job-1")
    assert fate_of(JobFault("job-2", outcome=Outcome.NONE)) is None and fate_of(None) is None
    assert parse_job_fault({"outcome": "running"}, "job-3", str).outcome is Outcome.HANG


def test_quirk_rules_carry_their_typed_name() -> None:
    rule = parse_quirk({"name": "inline-out-of-order", "minRequests": 4}, "quirk-1", str)
    assert rule.name is QuirkName.INLINE_OUT_OF_ORDER and rule.params == {"min_requests": 4.0}
    with pytest.raises(InvalidArgument, match="'nope' is not one of stuck-then-expired, "):
        parse_quirk({"name": "nope"}, "quirk-2", str)


def test_outcomes_that_strike_end_in_their_state() -> None:
    assert {o: o.state for o in Outcome if o.state is not None} == {
        Outcome.FAILED: BatchState.FAILED,
        Outcome.EXPIRED: BatchState.EXPIRED,
        Outcome.CANCELLED: BatchState.CANCELLED,
    }


def test_a_stuck_batch_waits_queued_for_its_expiry_and_its_timeline_says_so() -> None:
    batch = new_batch(fate=STUCK_FATE, queue_us=10)
    expiry = 10**9
    assert machine.next_step(batch, 2_000_000, expiry, 100) == Step("wait", 1_000_000 + expiry)
    assert machine.next_step(batch, 1_000_000 + expiry, expiry, 100) == Step("expire", 1_000_000 + expiry)
    events = timeline(batch, expiry_s=expiry / 1_000_000)
    assert [(e.label, e.state) for e in events] == [
        ("Created", BatchState.PENDING),
        ("Expires if not done", BatchState.EXPIRED),
    ]
