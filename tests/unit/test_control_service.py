"""The control plane's service, in process, on a real emulator with a manual clock: what a user of
`/_emulator/*` would notice, without HTTP in between."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from emulator import Emulator, Settings
from emulator.batches.models import BatchKind, BatchState, CreateBatch
from emulator.clock import parse_time
from emulator.control.models import ClockChange, JournalQuery
from emulator.control.service import ControlService
from emulator.errors import InvalidArgument, NotFound
from emulator.ids import tenant_for_key

pytestmark = pytest.mark.anyio

START = "2026-01-01T00:00:00Z"
A, B = tenant_for_key("key-a"), tenant_for_key("key-b")


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    settings = Settings(data_dir=None, clock="manual", clock_start=START, queue_delay=60, request_latency=0)
    emulator = Emulator(settings)
    async with emulator.running():
        yield emulator


@pytest.fixture
def control(emulator: Emulator) -> ControlService:
    return emulator.control


async def new_batch(emulator: Emulator, tenant: str) -> str:
    command = CreateBatch(
        kind=BatchKind.GENERATE,
        model="gemini-2.5-flash",
        display_name=None,
        input_file=None,
        inline_lines=[b'{"request": {"contents": [{"parts": [{"text": "hi"}]}]}}'],
    )
    return (await emulator.batches.create(tenant, command)).batch.name


async def state_of(emulator: Emulator, name: str) -> BatchState:
    """As stored: what the runner has done, not what a read would work out."""
    batch = await emulator.store.find_batch(name.removeprefix("batches/"))
    assert batch is not None
    return batch.state


async def test_advancing_moves_the_clock_and_returns_with_due_batches_finished(
    emulator: Emulator, control: ControlService
) -> None:
    name = await new_batch(emulator, A)
    assert await state_of(emulator, name) is BatchState.PENDING

    view = await control.move_clock(ClockChange(by_seconds=3600))

    assert view.now_us == parse_time(START) + 3600 * 1_000_000 == emulator.clock.now_us()
    assert await state_of(emulator, name) is BatchState.SUCCEEDED


async def test_advancing_one_key_moves_only_its_clock_and_its_batches(
    emulator: Emulator, control: ControlService
) -> None:
    mine, theirs = await new_batch(emulator, A), await new_batch(emulator, B)

    view = await control.move_clock(ClockChange(by_seconds=3600), A)

    assert view.now_us == parse_time(START) + 3600 * 1_000_000
    assert (await control.clock_view(B)).now_us == parse_time(START)
    assert [clock.tenant for clock in await control.own_clocks()] == [A]
    assert await state_of(emulator, mine) is BatchState.SUCCEEDED
    assert await state_of(emulator, theirs) is BatchState.PENDING


async def test_the_clock_is_saved_so_a_restart_keeps_it(control: ControlService) -> None:
    await control.move_clock(ClockChange(to_us=parse_time("2030-01-01T00:00:00Z")))
    saved = await control.store.get_meta("clock")
    assert saved["now_us"] == parse_time("2030-01-01T00:00:00Z")


async def test_a_key_on_its_own_manual_clock_stays_put_and_a_mode_needs_a_key(control: ControlService) -> None:
    view = await control.move_clock(ClockChange(mode="manual"), A)
    assert view.mode == "manual" and [c.tenant for c in await control.own_clocks()] == [A]
    with pytest.raises(InvalidArgument, match="apiKey"):
        await control.move_clock(ClockChange(mode="manual"))


async def test_the_clock_refuses_to_pass_the_year_9999_and_stays_where_it_was(control: ControlService) -> None:
    before = await control.clock_view()
    with pytest.raises(InvalidArgument, match="9999"):
        await control.move_clock(ClockChange(by_seconds=9000 * 365.25 * 86400))
    assert await control.clock_view() == before


async def test_reconfiguring_one_key_changes_only_that_keys_timing(emulator: Emulator, control: ControlService) -> None:
    config = await control.reconfigure({"latency": {"queue_delay": 7200}}, A)

    assert config["latency"]["queueDelay"] == str(emulator.settings.queue_delay)  # everyone's: unchanged
    slow, fast = await new_batch(emulator, A), await new_batch(emulator, B)
    await control.move_clock(ClockChange(by_seconds=3600))
    assert await state_of(emulator, slow) is BatchState.PENDING
    assert await state_of(emulator, fast) is BatchState.SUCCEEDED
    with pytest.raises(InvalidArgument, match="one API key"):
        await control.reconfigure({"limits": {"max_active_batches": 3}}, A)


async def test_reconfiguring_everyone_reaches_the_emulator_and_new_batches(
    emulator: Emulator, control: ControlService
) -> None:
    config = await control.reconfigure({"latency": {"queue_delay": 7200}, "request_error_rate": 0.5})

    assert config["latency"]["queueDelay"] == "7200" and config["requestErrorRate"] == 0.5
    assert emulator.settings is control.settings and emulator.settings.request_error_rate == 0.5
    name = await new_batch(emulator, A)
    await control.move_clock(ClockChange(by_seconds=3600))
    assert await state_of(emulator, name) is BatchState.PENDING
    with pytest.raises(InvalidArgument, match="start-up"):
        await control.reconfigure({"seed": 3})


async def test_reset_of_one_key_forgets_its_state_and_clock_only(emulator: Emulator, control: ControlService) -> None:
    mine, theirs = await new_batch(emulator, A), await new_batch(emulator, B)
    await control.move_clock(ClockChange(by_seconds=60), A)
    await control.move_clock(ClockChange(by_seconds=30), B)

    await control.reset(A)

    assert await emulator.store.find_batch(mine.removeprefix("batches/")) is None
    assert await emulator.store.find_batch(theirs.removeprefix("batches/")) is not None
    assert [c.tenant for c in await control.own_clocks()] == [B]


async def test_fault_rules_get_ids_can_be_removed_once_and_cleared(control: ControlService) -> None:
    added, active = await control.add_faults({"http": [{"operation": "batches.get", "status": 503}]})

    (rule_id,) = added.rule_ids()
    assert rule_id in active.rule_ids() and rule_id in (await control.fault_rules()).rule_ids()
    await control.remove_fault(rule_id)
    with pytest.raises(NotFound):
        await control.remove_fault(rule_id)
    await control.add_faults({"job": [{"outcome": "FAILED"}]})
    await control.clear_faults()
    assert not (await control.fault_rules()).rule_ids()


async def test_forcing_a_state_and_reading_an_empty_journal(emulator: Emulator, control: ControlService) -> None:
    name = await new_batch(emulator, A)

    view = await control.force(name, BatchState.FAILED)

    assert view.batch.state is BatchState.FAILED
    assert await control.journal_entries(JournalQuery(tenant=A)) == []  # the journal records HTTP calls only
    assert await control.wait_idle(5.0)


async def test_seeding_then_exporting_gives_back_what_was_seeded(control: ControlService) -> None:
    document = {
        "apiKey": "key-a",
        "files": [{"name": "files/seeded", "text": "hello"}],
        "batches": [{"name": "batches/seeded", "requests": [{"contents": [{"parts": [{"text": "hi"}]}]}]}],
    }

    assert await control.import_state(document) == {"created": ["files/seeded", "batches/seeded"], "skipped": []}
    assert (await control.import_state(document))["skipped"] == ["files/seeded", "batches/seeded"]
    exported = await control.export_state(A)
    assert [f["name"] for f in exported["files"]] == ["files/seeded"]
    assert [b["name"] for b in exported["batches"]] == ["batches/seeded"]
