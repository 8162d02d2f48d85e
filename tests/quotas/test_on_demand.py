"""The quota book and its modules are made only when quotas are configured or something needs them:
a start without a tier or limit imports none of them, and behaves as before (docs/quotas.md: off by
default, nothing counted, nothing changes). In process, on a real emulator with a manual clock."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator

import pytest

from emulator import Emulator, Settings
from emulator.batches.models import BatchKind, CreateBatch
from emulator.errors import ResourceExhausted
from emulator.ids import tenant_for_key
from emulator.quotas import Metric, Override, QuotaBook
from emulator.quotas.wire import QuotaChange

pytestmark = pytest.mark.anyio

A = tenant_for_key("key-a")
FLASH = "gemini-2.5-flash"
LINE = b'{"request": {"contents": [{"parts": [{"text": "hi"}]}]}}'
OFF = Settings(data_dir=None, clock="manual", queue_delay=3600, request_latency=0)


def test_a_start_without_quotas_imports_no_quota_module() -> None:
    code = (
        "import asyncio, sys\n"
        "import emulator.cli\n"
        "from emulator import Emulator, Settings\n"
        "from emulator.app import create_app\n"
        "async def main():\n"
        "    emulator = Emulator(Settings(data_dir=None))\n"
        "    create_app(emulator=emulator)\n"
        "    async with emulator.running():\n"
        "        await emulator.control.reset()\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.startswith('emulator.quotas')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    emulator = Emulator(OFF)
    async with emulator.running():
        yield emulator


async def create(emulator: Emulator) -> str:
    command = CreateBatch(BatchKind.GENERATE, FLASH, display_name=None, input_file=None, inline_lines=[LINE])
    return (await emulator.batches.create(A, command)).batch.name


async def test_without_quotas_no_book_is_made_by_batches_or_a_reset(emulator: Emulator) -> None:
    await create(emulator)
    await emulator.control.reset(A)
    await emulator.control.reset()
    assert emulator.batches.quotas_made is None


async def test_a_look_at_the_quotas_makes_an_empty_book_that_limits_nothing(emulator: Emulator) -> None:
    await create(emulator)
    report = await emulator.control.quotas()
    assert (report.enabled, report.tier, report.overrides) == (False, None, ())
    book = emulator.batches.quotas_made
    assert isinstance(book, QuotaBook) and not book.enabled
    await create(emulator)  # admitted, and not counted in the creation windows
    (flash,) = (await emulator.control.quotas()).usage
    assert {u.metric: u.used for u in flash.usage}[Metric.BATCH_RPM] == 0
    assert not book.refusals


async def test_limits_set_at_run_time_apply_to_the_next_create(emulator: Emulator) -> None:
    await create(emulator)  # not counted: quotas were off
    change = QuotaChange(None, False, (Override.parse(f"{FLASH}:batch_rpm=1"),))
    report = await emulator.control.set_quotas(change)
    assert report.enabled
    await create(emulator)
    with pytest.raises(ResourceExhausted):
        await create(emulator)
    book = emulator.batches.quotas_made
    assert book is not None and book.refusals[("batch_rpm", FLASH)] == 1
    await emulator.control.reset()  # back to the start-up quotas: none
    assert not book.enabled and not book.refusals


async def test_a_refusal_without_a_tier_is_still_counted_for_the_metrics() -> None:
    emulator = Emulator(OFF.replace(max_active_batches=1))
    async with emulator.running():
        await create(emulator)
        with pytest.raises(ResourceExhausted):
            await create(emulator)
        book = emulator.batches.quotas_made
        assert book is not None and not book.enabled
        assert book.refusals[("active_batches", FLASH)] == 1


async def test_a_tier_or_a_limit_at_start_up_makes_the_book_at_once() -> None:
    for settings in (OFF.replace(tier="1"), OFF.replace(quotas=(f"{FLASH}:rpm=5",))):
        emulator = Emulator(settings)
        async with emulator.running():
            book = emulator.batches.quotas_made
            assert book is not None and book.enabled
            assert (book.tier, tuple(map(str, book.overrides))) == (settings.tier, settings.quotas)
