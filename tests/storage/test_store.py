"""One conformance suite for the `Store` port, run against every backend (as fake-gcs-server runs one
suite against each of its backends): SQLite in memory and SQLite in a file, so far. A new backend is
one more entry in `BACKENDS`."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.batches.models import STUCK_FATE, Batch, BatchKind, BatchState, Fate, Outcome, QuirkName
from emulator.errors import Code
from emulator.files.models import File, FileSource, FileState, UploadSession
from emulator.storage import Store
from emulator.storage.sqlite import SqliteStore

pytestmark = pytest.mark.anyio

BACKENDS: dict[str, Callable[[Path], Awaitable[Store]]] = {
    "sqlite-memory": lambda _: SqliteStore.open(":memory:"),
    "sqlite-file": lambda where: SqliteStore.open(where / "store.sqlite3"),
}
DAY_US = 86_400 * 1_000_000


@pytest.fixture(params=sorted(BACKENDS))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened = await BACKENDS[request.param](tmp_path)
    try:
        yield opened
    finally:
        await opened.close()


def a_file(file_id: str, tenant: str = "t1", *, size: int = 10, expire_us: int = DAY_US, **changes: object) -> File:
    file = File(
        id=file_id,
        tenant=tenant,
        display_name=None,
        mime_type="application/jsonl",
        size_bytes=size,
        sha256_hex="ab" * 32,
        state=FileState.ACTIVE,
        source=FileSource.UPLOADED,
        create_us=1,
        update_us=1,
        expire_us=expire_us,
        blob=f"files/{tenant}-{file_id}",
    )
    return dataclasses.replace(file, **changes)  # type: ignore[arg-type]


def an_upload(upload_id: str, file_id: str, tenant: str = "t1", *, total: int | None = 100) -> UploadSession:
    return UploadSession(
        id=upload_id,
        tenant=tenant,
        file_id=file_id,
        display_name="up",
        mime_type="text/plain",
        total_bytes=total,
        received_bytes=0,
        blob=f"uploads/{upload_id}",
        create_us=1,
    )


def a_batch(batch_id: str, tenant: str = "t1", **changes: object) -> Batch:
    batch = Batch(
        id=batch_id,
        tenant=tenant,
        kind=BatchKind.GENERATE,
        model="gemini-2.5-flash",
        display_name=None,
        state=BatchState.PENDING,
        input_file=None,
        input_blob=f"batches/{batch_id}.input.jsonl",
        output_blob=f"batches/{batch_id}.output.jsonl",
        request_count=3,
        create_us=1,
        update_us=1,
    )
    return dataclasses.replace(batch, **changes)  # type: ignore[arg-type]


# --- counters and meta ---------------------------------------------------------------------------


async def test_counters_count_per_kind_and_a_full_reset_restarts_them(store: Store) -> None:
    assert [await store.next_counter("file") for _ in range(3)] == [1, 2, 3]
    assert await store.next_counter("batch") == 1
    await store.reset("t1")
    assert await store.next_counter("file") == 4  # a tenant's reset keeps the counters
    await store.reset(None)
    assert await store.next_counter("file") == 1


async def test_meta_keeps_json_values(store: Store) -> None:
    assert await store.get_meta("clock") is None
    await store.set_meta("clock", {"now_us": 5, "offsets": {"k": -1}})
    await store.set_meta("other", [1, "two", None])
    assert await store.get_meta("clock") == {"now_us": 5, "offsets": {"k": -1}}
    await store.set_meta("clock", {"now_us": 6})
    assert await store.get_meta("clock") == {"now_us": 6}
    assert await store.get_meta("other") == [1, "two", None]


# --- files ---------------------------------------------------------------------------------------


async def test_files_are_per_tenant_and_round_trip(store: Store) -> None:
    file = a_file("f1", display_name="named", source=FileSource.GENERATED, state=FileState.PROCESSING)
    await store.insert_file(file)
    await store.insert_file(a_file("f1", "t2"))
    assert await store.get_file("t1", "f1") == file
    assert await store.get_file("t3", "f1") is None
    assert await store.file_id_taken("t1", "f1") and not await store.file_id_taken("t3", "f1")
    assert [f.tenant for f in await store.all_files(None)] == ["t1", "t2"]
    assert await store.all_files("t2") == [a_file("f1", "t2")]


async def test_expired_files_are_hidden_when_asked_and_deleted_by_the_sweep(store: Store) -> None:
    await store.insert_file(a_file("old", expire_us=100))
    await store.insert_file(a_file("new", expire_us=1_000))
    assert await store.get_file("t1", "old") is not None
    assert await store.get_file("t1", "old", alive_at=100) is None
    assert [f.id for _, f in await store.list_files("t1", None, 10, alive_at=100)] == ["new"]
    assert await store.storage_used("t1", alive_at=100) == 10
    assert await store.delete_expired_files(before_us=100) == ["files/t1-old"]
    assert [f.id for f in await store.all_files("t1")] == ["new"]


async def test_delete_file_returns_it_once(store: Store) -> None:
    await store.insert_file(a_file("f1"))
    assert await store.delete_file("t2", "f1") is None
    assert await store.delete_file("t1", "f1") == a_file("f1")
    assert await store.delete_file("t1", "f1") is None
    assert not await store.file_id_taken("t1", "f1")


# --- upload sessions -----------------------------------------------------------------------------


async def test_an_upload_holds_its_name_and_its_announced_size(store: Store) -> None:
    await store.insert_file(a_file("done", size=7))
    await store.insert_upload(an_upload("u1", "f1", total=100))
    await store.insert_upload(an_upload("u2", "f2", total=None))
    assert await store.file_id_taken("t1", "f1") and not await store.file_id_taken("t2", "f1")
    await store.set_upload_received("u2", 30)
    assert await store.get_upload("u2") == dataclasses.replace(an_upload("u2", "f2", total=None), received_bytes=30)
    assert await store.storage_used("t1", alive_at=0) == 7 + 100 + 30
    await store.delete_upload("u2")
    assert await store.get_upload("u2") is None
    assert await store.storage_used("t1", alive_at=0) == 7 + 100


async def test_completing_an_upload_turns_it_into_a_file(store: Store) -> None:
    await store.insert_upload(an_upload("u1", "f1"))
    await store.complete_upload("u1", a_file("f1", size=100))
    assert await store.get_upload("u1") is None
    assert await store.get_file("t1", "f1") == a_file("f1", size=100)
    assert await store.storage_used("t1", alive_at=0) == 100


# --- batches -------------------------------------------------------------------------------------


async def test_batches_round_trip_with_their_typed_values(store: Store) -> None:
    batch = a_batch(
        "b1",
        kind=BatchKind.EMBED,
        display_name="d",
        input_file="files/in",
        priority=5,
        webhook={"uri": "http://x"},
        fate=Fate(Outcome.FAILED, 0.5, Code.RESOURCE_EXHAUSTED, "boom", "job-r1"),
        quirks=[{"name": QuirkName.INLINE_OUT_OF_ORDER, "min_requests": 2.0}],
        extra={"openai": {"endpoint": "/v1/x"}},
    )
    await store.insert_batch(batch)
    await store.insert_batch(a_batch("b2", fate=STUCK_FATE))
    assert await store.get_batch("t1", "b1") == batch
    found = await store.find_batch("b2")
    assert found is not None and found.fate == STUCK_FATE
    stored = await store.find_batch("b1")
    assert stored is not None and stored.fate is not None and stored.quirks is not None
    assert isinstance(stored.fate.outcome, Outcome) and isinstance(stored.fate.code, Code)
    assert stored.quirk(QuirkName.INLINE_OUT_OF_ORDER) == {"name": "inline-out-of-order", "min_requests": 2.0}
    assert await store.get_batch("t2", "b1") is None


async def test_state_guarded_writes_apply_only_in_the_expected_state(store: Store) -> None:
    await store.insert_batch(a_batch("b1"))
    running = a_batch("b1", state=BatchState.RUNNING, start_us=5, lines_done=2, input_offset=40, output_offset=80)
    assert not await store.save_batch(running, expect_state=BatchState.RUNNING)
    assert await store.save_batch(running, expect_state=BatchState.PENDING)
    assert await store.get_batch("t1", "b1") == running
    cancelled = dataclasses.replace(running, state=BatchState.CANCELLED, end_us=9, update_us=9, lines_done=0)
    error = {"code": 1, "message": "cancelled", "status": "CANCELLED"}
    assert not await store.mark_terminal(cancelled, BatchState.PENDING, error)
    assert await store.mark_terminal(cancelled, BatchState.RUNNING, error)
    after = await store.get_batch("t1", "b1")
    assert after == dataclasses.replace(running, state=BatchState.CANCELLED, end_us=9, update_us=9, error=error)
    assert not await store.save_batch(a_batch("gone"), expect_state=BatchState.PENDING)  # never inserted


async def test_finalizing_records_outputs_and_the_output_file_together(store: Store) -> None:
    await store.insert_batch(a_batch("b1", state=BatchState.RUNNING))
    await store.insert_file(a_file("batch-b1", size=1))  # an earlier attempt's output is replaced
    done = a_batch("b1", state=BatchState.SUCCEEDED, finalized=True, output_file="files/batch-b1", success_count=3)
    output = a_file("batch-b1", size=99, source=FileSource.GENERATED)
    assert not await store.finalize_batch(done, BatchState.PENDING, output)
    assert await store.get_file("t1", "batch-b1") == a_file("batch-b1", size=1)
    assert await store.finalize_batch(done, BatchState.RUNNING, output)
    assert await store.get_batch("t1", "b1") == done
    assert await store.get_file("t1", "batch-b1") == output
    assert await store.unfinished_batches() == []


async def test_quirk_state_is_saved_on_its_own(store: Store) -> None:
    await store.insert_batch(a_batch("b1", quirks=[{"name": QuirkName.LATE_COMPLETION_AFTER_CANCEL}]))
    batch = await store.get_batch("t1", "b1")
    assert batch is not None and batch.quirks is not None
    batch.quirks[0]["cancelled_us"] = 42
    batch.lines_done = 3  # not a quirk: not saved
    assert await store.save_quirks(batch)
    again = await store.get_batch("t1", "b1")
    assert again is not None and again.lines_done == 0
    assert again.quirk(QuirkName.LATE_COMPLETION_AFTER_CANCEL) == {
        "name": "late-completion-after-cancel",
        "cancelled_us": 42,
    }


async def test_active_unfinished_and_deleted_batches(store: Store) -> None:
    await store.insert_batch(a_batch("p"))
    await store.insert_batch(a_batch("r", state=BatchState.RUNNING))
    await store.insert_batch(a_batch("s", state=BatchState.SUCCEEDED))
    await store.insert_batch(a_batch("f", state=BatchState.FAILED, finalized=True))
    await store.insert_batch(a_batch("other", "t2"))
    assert await store.count_active_batches("t1") == 2
    assert [b.id for b in await store.unfinished_batches()] == ["p", "r", "s", "other"]
    assert [b.id for b in await store.all_batches("t1")] == ["p", "r", "s", "f"]
    assert len(await store.all_batches(None)) == 5
    assert await store.delete_batch("t2", "p") is None
    assert await store.delete_batch("t1", "p") == a_batch("p")
    assert await store.find_batch("p") is None and await store.count_active_batches("t1") == 1


# --- reset ---------------------------------------------------------------------------------------


async def test_a_tenant_reset_forgets_its_rows_and_returns_the_blobs_nobody_holds(store: Store) -> None:
    for tenant in ("t1", "t2"):
        await store.insert_file(a_file("f1", tenant))
        await store.insert_upload(an_upload(f"u-{tenant}", "f2", tenant))
        await store.insert_batch(a_batch(f"inline-{tenant}", tenant))
        # a file batch's output is a file: its blob goes with the file
        await store.insert_batch(a_batch(f"file-{tenant}", tenant, output_file="files/out", output_blob="files/out"))
    await store.set_meta("clock", 1)
    blobs = await store.reset("t1")
    assert sorted(blobs) == sorted(
        [
            "files/t1-f1",
            "uploads/u-t1",
            "batches/inline-t1.input.jsonl",
            "batches/inline-t1.output.jsonl",
            "batches/file-t1.input.jsonl",
        ]
    )
    assert await store.all_files("t1") == [] and await store.all_batches("t1") == []
    assert await store.get_upload("u-t1") is None and await store.get_upload("u-t2") is not None
    assert len(await store.all_files("t2")) == 1 and len(await store.all_batches("t2")) == 2
    assert len(await store.reset(None)) == 5
    assert await store.all_files(None) == [] and await store.all_batches(None) == []
    assert await store.get_meta("clock") == 1  # meta is not tenant state


# --- paging --------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    files=st.lists(st.tuples(st.sampled_from(["t1", "t2"]), st.integers(0, 3)), max_size=25),
    page=st.integers(1, 8),
    now=st.integers(0, 3),
)
async def test_paging_lists_every_live_file_once_newest_first(
    store: Store, files: list[tuple[str, int]], page: int, now: int
) -> None:
    await store.reset(None)
    for n, (tenant, expires) in enumerate(files):
        await store.insert_file(a_file(f"f{n}", tenant, expire_us=expires))
    expected = [
        f"f{n}" for n, (tenant, expires) in reversed(list(enumerate(files))) if tenant == "t1" and expires > now
    ]
    seen: list[str] = []
    position = None
    while True:
        rows = await store.list_files("t1", position, page, alive_at=now)
        assert len(rows) <= page
        seen += [file.id for _, file in rows]
        if len(rows) < page:
            break
        position = rows[-1][0]
    assert seen == expected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tenants=st.lists(st.sampled_from(["t1", "t2"]), max_size=25), page=st.integers(1, 8))
async def test_paging_lists_every_batch_once_newest_first(store: Store, tenants: list[str], page: int) -> None:
    await store.reset(None)
    for n, tenant in enumerate(tenants):
        await store.insert_batch(a_batch(f"b{n}", tenant))
    expected = [f"b{n}" for n, tenant in reversed(list(enumerate(tenants))) if tenant == "t1"]
    seen: list[str] = []
    position = None
    while True:
        rows = await store.list_batches("t1", position, page)
        assert len(rows) <= page
        seen += [batch.id for _, batch in rows]
        if len(rows) < page:
            break
        position = rows[-1][0]
    assert seen == expected


# --- what only a file keeps ----------------------------------------------------------------------


async def test_a_file_store_keeps_everything_across_a_reopen(tmp_path: Path) -> None:
    first = await BACKENDS["sqlite-file"](tmp_path)
    await first.insert_file(a_file("f1"))
    await first.insert_batch(a_batch("b1", fate=Fate(Outcome.HANG, 1.0, rule="forced")))
    await first.set_meta("clock", {"now_us": 7})
    await first.next_counter("file")
    await first.close()
    again = await BACKENDS["sqlite-file"](tmp_path)
    try:
        assert await again.get_file("t1", "f1") == a_file("f1")
        assert await again.get_batch("t1", "b1") == a_batch("b1", fate=Fate(Outcome.HANG, 1.0, rule="forced"))
        assert await again.get_meta("clock") == {"now_us": 7}
        assert await again.next_counter("file") == 2
    finally:
        await again.close()
