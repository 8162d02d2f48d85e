"""Fast, in-process: the retry schedule, the wire parsers, the allow-list, and the durable queue on a
real SQLite database (queued deliveries and unannounced batches survive closing it)."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.batches.models import Batch, BatchState
from emulator.clock import MICROS, VirtualClock
from emulator.errors import InvalidArgument
from emulator.storage.sqlite import SqliteStore
from emulator.storage.webhooks import WebhookStore
from emulator.webhooks import events, outbound, schedule, wire
from emulator.webhooks.models import Delivery, Mode, WebhookOptions, WebhookState
from emulator.webhooks.outbound import allowed
from emulator.webhooks.service import WebhookService
from tests.unit.builders import new_batch

pytestmark = pytest.mark.anyio


def test_the_schedule_covers_24_hours_with_growing_gaps() -> None:
    offsets = schedule.OFFSETS_S
    assert offsets[0] == 0 and offsets[-1] == 24 * 3600
    gaps = [b - a for a, b in itertools.pairwise(offsets[:-1])]
    assert gaps == sorted(gaps) and all(g > 0 for g in gaps)
    assert schedule.due_us(10, 1) == 10 and schedule.due_us(10, schedule.MAX_ATTEMPTS + 1) is None
    assert schedule.due_us(10, 0) is None


@given(st.integers(0, 2**40), st.integers(1, schedule.MAX_ATTEMPTS - 1))
def test_each_attempt_is_due_after_the_previous(event_us: int, n: int) -> None:
    first, second = schedule.due_us(event_us, n), schedule.due_us(event_us, n + 1)
    assert first is not None and second is not None and second > first >= event_us


@given(st.text())
def test_webhook_ids_are_checked(value: str) -> None:
    try:
        parsed = wire.parse_webhook_id(value)
    except InvalidArgument:
        return
    assert parsed is None or (parsed == value and 1 <= len(value) <= 63 and value[0].isalnum())


@given(st.text())
def test_uris_are_checked(value: str) -> None:
    try:
        assert wire.parse_uri(value).startswith(("http://", "https://"))
    except InvalidArgument:
        pass


def test_parse_create_and_update() -> None:
    given_ = wire.parse_create({"uri": "https://x/h", "subscribedEvents": ["batch.failed", "batch.failed"]})
    assert given_.events == ("batch.failed",) and given_.name is None
    for bad in (
        {"uri": "ftp://x", "subscribed_events": ["batch.failed"]},
        {"uri": "https://x", "subscribed_events": []},
    ):
        with pytest.raises(InvalidArgument):
            wire.parse_create(bad)
    with pytest.raises(InvalidArgument, match=r"batch\.completed"):
        wire.parse_create({"uri": "https://x", "subscribed_events": ["batch.completed"]})
    change = wire.parse_update({"uri": "https://y", "name": "n"}, "uri")
    assert change.uri == "https://y" and change.name is None
    assert wire.parse_update({"name": "n"}, None).name == "n"
    assert wire.parse_update({}, "name").name == ""  # named in the mask, absent: cleared
    with pytest.raises(InvalidArgument):
        wire.parse_update({}, "id")
    with pytest.raises(InvalidArgument):
        wire.parse_update({"state": "disabled_due_to_failed_deliveries"}, "state")
    assert wire.parse_update({"state": "disabled"}, "state").state is WebhookState.DISABLED
    assert wire.parse_revocation({}) == "revoke_previous_secrets_after_h24"
    assert wire.parse_revocation({"revocationBehavior": "REVOKE_PREVIOUS_SECRETS_IMMEDIATELY"}).endswith("immediately")


def test_the_allow_list() -> None:
    assert allowed("http://127.0.0.1:9/x", ("loopback",)) and allowed("http://[::1]:9/x", ("loopback",))
    assert allowed("http://localhost/x", ("loopback",)) and allowed("http://127.8.9.1/x", ("loopback",))
    assert not allowed("http://127.evil.example/x", ("loopback",))  # a name, not a loopback address
    assert not allowed("http://10.0.0.1/x", ("loopback",)) and not allowed("https://example.com", ("loopback",))
    assert not allowed("file:///etc/passwd", ("*",)) and not allowed("gopher://h/", ("*",))
    assert allowed("https://example.com/h", ("*",)) and not allowed("http://h/", ())
    patterns = ("127.0.0.1:*", "*.internal", "https://hooks.example.com/*")
    assert allowed("http://127.0.0.1:8080/h", patterns)
    assert allowed("http://svc.internal/h", patterns) and not allowed("http://internal.evil/h", patterns)
    assert allowed("https://hooks.example.com/a", patterns) and not allowed("http://hooks.example.com/a", patterns)


@given(st.text())
def test_the_allow_list_never_fails_on_odd_urls(url: str) -> None:
    assert allowed(url, ("loopback", "*.x", "https://*")) in (True, False)


def _batch(n: int, state: BatchState, **extra: object) -> Batch:
    return new_batch(
        id=f"b{n}", state=state, request_count=1, create_us=1, update_us=2, end_us=3 * MICROS, finalized=True, **extra
    )


def test_payloads() -> None:
    ok = events.payload("batch.succeeded", _batch(1, BatchState.SUCCEEDED, output_file="files/batch-b1"))
    assert ok == (
        b'{"type":"batch.succeeded","version":"v1","timestamp":"1970-01-01T00:00:03.000000Z",'
        b'"data":{"id":"batches/b1","output_file_uri":"files/batch-b1"}}'
    )
    assert events.batch_event_type(_batch(1, BatchState.CANCELLED), cancelled_events=False) is None
    assert events.batch_event_type(_batch(1, BatchState.CANCELLED), cancelled_events=True) == "batch.cancelled"
    assert events.dynamic_targets(_batch(1, BatchState.FAILED, webhook={"uris": []})) is None


async def _service(path: Path) -> tuple[SqliteStore, WebhookService]:
    store = await SqliteStore.open(path)
    hooks = await WebhookStore.open(store)
    return store, WebhookService(hooks, store, VirtualClock(scale=0, base_us=10 * MICROS), 0, WebhookOptions())


async def test_the_queue_survives_closing_the_database(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite3"
    store, service = await _service(db)
    webhook, _ = await service.create("t", wire.WebhookInput("http://127.0.0.1:9/h", ("batch.succeeded",)))
    finished = _batch(1, BatchState.SUCCEEDED)
    await store.insert_batch(finished)
    await service.batch_finished(finished)
    await service.batch_finished(finished)  # announced once only
    unannounced = _batch(2, BatchState.SUCCEEDED)
    await store.insert_batch(unannounced)  # finished, but the server stopped before announcing it
    await store.close()

    store, service = await _service(db)
    await service.start()
    queued = await service.deliveries({"tenant": "t"})
    assert sorted(d.subject for d, _ in queued) == ["batches/b1", "batches/b2"]
    assert all(d.webhook_id == webhook.id and d.state == "pending" for d, _ in queued)
    await service.dispatcher.close()
    await store.close()


async def test_upgrading_a_database_sends_no_old_events(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite3"
    store = await SqliteStore.open(db)
    await store.insert_batch(_batch(1, BatchState.SUCCEEDED))  # from before webhooks existed
    await store.close()
    store, service = await _service(db)
    await service.create("t", wire.WebhookInput("http://127.0.0.1:9/h", ("batch.succeeded",)))
    await service.start()
    assert await service.deliveries({}) == []
    await service.dispatcher.close()
    await store.close()


def _delivery(n: int, tenant: str, next_us: int | None) -> Delivery:
    return Delivery(
        f"msg_{n}", tenant, "batch.succeeded", f"batches/b{n}", "http://h/", Mode.STATIC, b"{}", 0, 0, next_us
    )


@given(
    st.lists(
        st.tuples(st.integers(0, 9), st.sampled_from(["a", "b"]), st.one_of(st.none(), st.integers(0, 100))),
        max_size=40,
    ),
    st.lists(st.integers(0, 9), max_size=5),
    st.integers(0, 100),
    st.integers(0, 100),
)
def test_the_due_queue_gives_what_is_due_by_each_tenant_s_clock(
    puts: list[tuple[int, str, int | None]], removed: list[int], now_a: int, now_b: int
) -> None:
    queue = schedule.DueQueue()
    latest: dict[str, Delivery] = {}
    for n, tenant, next_us in puts:
        delivery = latest.get(f"msg_{n}") or _delivery(n, tenant, next_us)
        delivery.next_us = next_us  # rescheduled (or added)
        latest[delivery.id] = delivery
        queue.put(delivery)
    for n in removed:
        queue.remove(f"msg_{n}")
        latest.pop(f"msg_{n}", None)
    now = {"a": now_a, "b": now_b}
    taken = queue.take_due(now.__getitem__, lambda host: 100, limit=100)
    expected = {d.id for d in latest.values() if d.next_us is not None and d.next_us <= now[d.tenant]}
    assert sorted(d.id for d in taken) == sorted(expected)  # each once
    assert all(due > now[tenant] for tenant, _, due in queue.next_due())
    for d in taken:
        queue.put(d)  # scheduled again (its next_us unchanged)
    one_each = queue.take_due(now.__getitem__, lambda host: 1, limit=100)
    assert len({d.host for d in one_each}) == len(one_each)  # the per-host room holds across tenants
    assert {d.host for d in one_each} == {d.host for d in taken}


async def _answering(answer: bytes) -> tuple[asyncio.Server, str, list[bytes]]:
    """A raw TCP server on loopback that reads one request and sends `answer`."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(
            next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")).split(b":")[1]
        )
        seen.append(head + await reader.readexactly(length))
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/hook?x=1", seen


async def test_outbound_posts_follow_no_redirect_and_read_a_capped_answer() -> None:
    server, url, seen = await _answering(
        b"HTTP/1.1 302 Found\r\nLocation: http://10.0.0.1/\r\nContent-Length: 0\r\n\r\n"
    )
    async with server:
        status, body = await outbound.post(url, {"webhook-id": "msg_1"}, b'{"a":1}', cap=100, tls=None)
    assert status == 302 and body == b""
    request = seen[0]
    assert request.startswith(b"POST /hook?x=1 HTTP/1.1\r\n") and b"\r\nwebhook-id: msg_1\r\n" in request
    assert request.endswith(b'\r\n\r\n{"a":1}') and b"Connection: close" in request
    big = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 1_000_000
    server, url, _ = await _answering(big)
    async with server:
        status, body = await outbound.post(url, {}, b"{}", cap=100, tls=None)
    assert status == 200 and body == b"x" * 100
    server, url, _ = await _answering(b"SSH-2.0-OpenSSH\r\n")
    async with server:
        with pytest.raises(outbound.OutboundError):
            await outbound.post(url, {}, b"{}", cap=100, tls=None)


def test_taken_one_at_a_time_every_tenant_gets_its_turn() -> None:
    """While deliveries are paced (one started at a time), a tenant with a long backlog does not hold
    back another's."""
    queue = schedule.DueQueue()
    for n in range(50):
        queue.put(_delivery(n, "a", 1))
    for n in range(50, 53):
        queue.put(_delivery(n, "b", 1))
    order = [d.tenant for _ in range(6) for d in queue.take_due(lambda tenant: 10, lambda host: 4, limit=1)]
    assert order.count("b") == 3  # all of b's within the first six starts, not after a's fifty
