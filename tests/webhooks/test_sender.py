"""The webhook sender process (deliveries are sent from a child of the server, off the API's event
loop) and the pace deliveries keep while the API is in use."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from emulator.config import Settings
from emulator.testing import serve_in_thread
from emulator.webhooks.receiver import WebhookReceiver
from emulator.webhooks.sender import Sender
from tests.servers import worker_pids
from tests.webhooks.conftest import Key


def senders() -> set[int]:
    """The webhook sender processes this test process has started (its in-process servers' children)."""
    return worker_pids(os.getpid(), "emulator.webhooks.sender_process")


def wait_until(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_killed_sender_process_fails_its_attempt_which_is_retried_with_the_same_id(
    key: Key, receiver: WebhookReceiver
) -> None:
    hook = key.client.webhooks.create(uri=receiver.url, subscribed_events=["batch.succeeded"])
    receiver.secret = hook.new_signing_secret
    receiver.hang = True  # the first attempt is in flight, in the sender process, when it dies
    name = key.batch()
    key.control("/clock:advance", {"apiKey": key.key, "seconds": 1})
    wait_until(lambda: len(receiver.requests) == 1)
    killed = senders()  # this server's, and those of any other server this process runs (harmless)
    assert killed
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not killed & senders())
    receiver.hang = False
    key.advance(0)  # the failed attempt is recorded
    (delivery,) = key.deliveries(batch=name)
    assert delivery["state"] == "pending"
    assert "sender process exited" in delivery["attempts"][0]["error"]
    key.advance(10)  # the 5 s retry: a new sender process makes it
    event = receiver.wait_for("batch.succeeded")
    assert event.webhook_id == receiver.requests[0].webhook_id
    (delivery,) = key.deliveries(batch=name)
    assert delivery["state"] == "delivered" and delivery["attemptCount"] == 2
    assert senders() and not killed & senders()


@contextlib.contextmanager
def api_in_use(key: Key, name: str) -> Iterator[list[int]]:
    """A thread that reads `name` through the API, back to back, until the block ends: the statuses."""
    stop = threading.Event()
    statuses: list[int] = []

    def poll() -> None:
        with httpx.Client(base_url=key.server.url, headers={"x-goog-api-key": key.key}) as client:
            while not stop.is_set():
                statuses.append(client.get(f"/v1beta/{name}").status_code)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        wait_until(lambda: len(statuses) > 0)
        yield statuses
    finally:
        stop.set()
        poller.join()


@pytest.fixture
def unpaced() -> Iterator[Key]:
    """A key on an emulator whose deliveries keep no pace (`--webhook-pace 0`)."""
    settings = Settings(data_dir=None, port=0, queue_delay=0.0, request_latency=0.0, webhook_timeout=2, webhook_pace=0)
    with serve_in_thread(settings) as server:
        yield Key(server)


@pytest.mark.parametrize("which", ["key", "unpaced"])
def test_every_event_goes_out_while_the_api_is_in_constant_use(
    which: str, request: pytest.FixtureRequest, receiver: WebhookReceiver
) -> None:
    key: Key = request.getfixturevalue(which)
    hook = key.client.webhooks.create(uri=receiver.url, subscribed_events=["batch.succeeded"])
    receiver.secret = hook.new_signing_secret
    names = [key.batch() for _ in range(30)]
    with api_in_use(key, names[0]) as statuses:
        key.advance(1)  # returns once every due attempt has been made
    assert {event.json["data"]["id"] for event in receiver.events} == set(names)
    assert set(statuses) == {200}


def test_while_the_api_is_in_use_a_hanging_receiver_still_holds_up_only_its_own(
    key: Key, receiver: WebhookReceiver
) -> None:
    with WebhookReceiver() as stuck:
        stuck.hang = True
        hung = key.client.webhooks.create(uri=stuck.url, subscribed_events=["batch.succeeded"])
        good = key.client.webhooks.create(uri=receiver.url, subscribed_events=["batch.succeeded"])
        receiver.secret = good.new_signing_secret
        names = [key.batch() for _ in range(3)]
        with api_in_use(key, names[0]):
            key.control("/clock:advance", {"apiKey": key.key, "seconds": 1})
            receiver.wait_for("batch.succeeded", count=3)
            # Every attempt to the hanging receiver is still in flight (none has timed out or ended):
            # the other receiver's events did not wait for them.
            waiting = [d for d in key.deliveries() if d["webhook"] == hung.id]
            assert len(waiting) == 3 and all(d.get("attemptCount", 0) == 0 for d in waiting)
        stuck.hang = False


@pytest.mark.anyio
async def test_where_the_sender_process_cannot_start_the_server_sends_itself(receiver: WebhookReceiver) -> None:
    sender = Sender(module="emulator.no_such_module")  # the child exits at once: it cannot import it
    try:
        first = await sender.post(receiver.url, {"x-test": "1"}, b'{"a": 1}', cap=1024, timeout=5)
        second = await sender.post(receiver.url, {"x-test": "2"}, b'{"a": 2}', cap=1024, timeout=5)
    finally:
        await sender.close()
    # The receiver answered both (400: they carry no signature), so they were sent, from the server.
    assert (first.status, first.error, second.status, second.error) == (400, None, 400, None)
    assert [(r.headers["x-test"], r.body) for r in receiver.requests] == [("1", b'{"a": 1}'), ("2", b'{"a": 2}')]
