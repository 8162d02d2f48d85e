"""Webhook delivery: N batches (1,000 by default) finish at once (one move of a manual clock) and
each delivers `batch.succeeded` to a static webhook; `batches.get` latency while they are delivered,
against the same server idle, measured in the same run.

Both figures are taken by the same harness (`_while`): `batches.get` of the same finished batch in
a loop, while a thread moves the clock and the receiver is asked every 20 ms how many events it has.
The idle figure is taken after the batches have finished, while their events are held back (a
`delay` fault) and a one-second move releases none: only the deliveries differ between the two."""

from __future__ import annotations

import multiprocessing
import statistics
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

import httpx

from bench.common import KEY, MODEL, Report, Row, emulator, section

IDLE_SECONDS = 2.0  # about as long as the deliveries take
TARGET_RATIO = 1.5


def _receiver(url_out: Connection) -> None:
    """A verifying receiver in a process of its own (so that it shares no interpreter lock with the
    measuring client); sends its URL, then the number of distinct events it has verified, on request."""
    from emulator.webhooks.receiver import WebhookReceiver

    with WebhookReceiver() as receiver:
        url_out.send(receiver.url)
        secret = url_out.recv()
        receiver.secret = secret
        while True:
            if url_out.recv() == "stop":
                return
            url_out.send(len({r.webhook_id for r in receiver.events}))


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98] if len(samples) >= 100 else max(samples)


def _gets(client: httpx.Client, path: str, samples: list[float], until: threading.Event, most: int) -> None:
    while not until.is_set() and len(samples) < most:
        started = time.perf_counter()
        answer = client.get(path, headers=KEY)
        samples.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.text


def _while(
    client: httpx.Client, base: str, path: str, seconds: float, done: Callable[[], bool]
) -> tuple[list[float], float, bool]:
    """Move the clock `seconds` (in a thread) and time `batches.get` until it has returned and `done()`
    says so: the latencies, the seconds it took, and whether `done()` came true in time."""
    samples: list[float] = []
    stop = threading.Event()
    started = time.perf_counter()
    mover = threading.Thread(
        target=lambda: httpx.post(f"{base}/_emulator/clock:advance", json={"seconds": seconds}, timeout=600)
    )
    mover.start()
    measuring = threading.Thread(target=_gets, args=(client, path, samples, stop, 10**7))
    measuring.start()
    deadline = time.monotonic() + 600
    finished = False
    while time.monotonic() < deadline:
        time.sleep(0.02)
        if not mover.is_alive() and done():
            finished = True
            break
    took = time.perf_counter() - started
    stop.set()
    measuring.join()
    mover.join()
    return samples, took, finished


def run(report: Report, tmp: Path, batches: int = 1000) -> None:
    section(f"webhooks: {batches:,} batches finish at once, each delivers batch.succeeded")
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    child = ctx.Process(target=_receiver, args=(there,), daemon=True)
    child.start()
    url = here.recv()
    args = ("--clock", "manual", "--queue-delay", "60", "--max-active-batches", str(batches + 10))
    try:
        with emulator(tmp / "data", *args) as server, httpx.Client(base_url=server.url, timeout=120) as client:
            hook = client.post(
                "/v1beta/webhooks", headers=KEY, json={"uri": url, "subscribed_events": ["batch.succeeded"]}
            )
            assert hook.status_code == 200, hook.text
            here.send(hook.json()["new_signing_secret"])
            body = {
                "batch": {
                    "inputConfig": {
                        "requests": {"requests": [{"request": {"contents": [{"parts": [{"text": "hi"}]}]}}]}
                    }
                }
            }
            names = []
            for _ in range(batches):
                answer = client.post(f"/v1beta/models/{MODEL}:batchGenerateContent", headers=KEY, json=body)
                assert answer.status_code == 200, answer.text
                names.append(answer.json()["name"])
            path = f"/v1beta/{names[0]}"

            def count() -> int:
                here.send("count")
                return int(here.recv())

            # The batches finish (one move of the clock), and their events are held back a minute
            # (a `delay` receiver fault), so that delivering them is measured apart from finishing them.
            delay = {"webhook": [{"effect": "delay", "seconds": 60}]}
            assert client.post("/_emulator/faults", json=delay).status_code == 200
            finishing, _, _ = _while(client, server.url, path, 120, lambda: True)
            assert client.post("/_emulator/webhooks/settle").status_code == 200
            # Idle: the batches have finished (the batch read is the same from here on), their events
            # are held, and a one-second move releases none of them.
            quiet_until = time.monotonic() + IDLE_SECONDS

            def quiet_over() -> bool:  # asks the receiver, as the busy phase's check does
                count()
                return time.monotonic() >= quiet_until

            idle, _, _ = _while(client, server.url, path, 1, quiet_over)
            assert count() == 0, "events went out while the server was meant to be idle"
            assert client.delete("/_emulator/faults").status_code == 200

            busy, took, delivered = _while(client, server.url, path, 60, lambda: count() >= batches)
            delivered_count = count()
    finally:
        here.send("stop")
        child.join(timeout=10)
    ratio = _p99(busy) / _p99(idle)
    report.add(
        Row(
            "webhooks: events delivered",
            f"{delivered_count:,} of {batches:,} in {took:.1f} s",
            "",
            "",
            "all",
            delivered and delivered_count == batches,
        )
    )
    report.add(
        Row(
            "  batches.get p99 while delivering",
            f"{_p99(busy):.2f} ms ({len(busy):,} gets)",
            f"{_p99(idle):.2f} ms idle",
            f"{ratio:.2f}",
            f"<= {TARGET_RATIO}x idle",
            ratio <= TARGET_RATIO,
        )
    )
    report.add(
        Row(
            "  batches.get p99 while they finish",
            f"{_p99(finishing):.2f} ms ({len(finishing):,} gets)",
            f"{_p99(idle):.2f} ms idle",
            f"{_p99(finishing) / _p99(idle):.2f}",
            "",
            None,
        )
    )
