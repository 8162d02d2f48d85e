"""The resumable upload protocol as a hypothesis state machine with concurrent clients (issue 19).

Several clients share one upload session; each step fires a few requests at once: chunks at the
offset received so far, re-sends at earlier offsets, chunks past the end, chunks whose client hangs up
mid-body, finalizes. The clients do not all hold the same bytes (one is a copy of the first, one
differs in a few places), so racing chunks can disagree.

Invariant, once every request of a step has been answered: what the session holds is exactly what one
client would have produced by sending the accepted chunks one after the other. Every accepted chunk's
bytes are where it put them, the accepted chunks cover all the bytes held and nothing else is there (a
hang-up leaves no trace); no answer is a 5xx; every answer carries `x-goog-upload-status`; at most one
file is made, and its bytes and `sha256Hash` agree.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from tests.api.uploads import Answer, at_once, hang_up, list_files, query, send, sha256_b64, start
from tests.servers import ThreadServer


@dataclass(frozen=True)
class Action:
    client: int
    offset: str  # "at" the bytes received, "back" before them, "ahead" past them
    distance: int
    length: int
    kind: str  # "upload", "finalize" (upload, finalize), "hang-up"


actions = st.builds(
    Action,
    client=st.integers(0, 2),
    offset=st.sampled_from(["at", "at", "at", "back", "ahead"]),
    distance=st.integers(1, 300),
    length=st.integers(0, 900),
    kind=st.sampled_from(["upload", "upload", "finalize", "hang-up"]),
)


class UploadProtocol(RuleBasedStateMachine):
    def __init__(self, server: ThreadServer) -> None:
        super().__init__()
        self.server = server
        self.key = f"machine-{uuid.uuid4().hex}"
        self.url = ""
        self.clients: list[bytes] = []
        self.accepted: list[tuple[int, bytes]] = []
        self.accepted_log: list[tuple[int, int, int | None]] = []
        self.requests = 0  # chunk requests sent (queries included), each journaled once answered
        self.file: dict[str, object] | None = None

    @initialize(size=st.integers(1, 2500), seed=st.integers(0, 2**32 - 1))
    def start(self, size: int, seed: int) -> None:
        rng = random.Random(seed)
        first = rng.randbytes(size)
        other = bytearray(first)
        for _ in range(rng.randint(1, 4)):
            other[rng.randrange(size)] ^= 0xFF
        self.clients = [first, first, bytes(other)]
        self.url = start(self.server.url, self.key, size)

    @property
    def size(self) -> int:
        return len(self.clients[0])

    def received(self) -> int:
        self.requests += 1
        answer = query(self.url, key=self.key)
        assert answer.status == 200 and answer.received is not None, answer
        return answer.received

    @rule(step=st.lists(actions, min_size=1, max_size=4))
    def race(self, step: list[Action]) -> None:
        held = self.size if self.file is not None else self.received()
        calls = []
        for action in step:
            offset = {"at": held, "back": max(0, held - action.distance), "ahead": held + action.distance}[
                action.offset
            ]
            data = self.clients[action.client][offset : offset + action.length]
            command = "upload, finalize" if action.kind == "finalize" else "upload"
            if action.kind == "hang-up" and data:
                calls.append(lambda d=data, o=offset: (o, d, hang_up(self.url, d, o, len(d) // 2, key=self.key)))
            else:
                calls.append(lambda d=data, o=offset, c=command: (o, d, send(self.url, d, o, c, key=self.key)))
        self.requests += len(calls)
        for offset, data, answer in at_once(calls):
            self._check_answer(offset, data, answer)
        self._wait_until_answered()

    def _check_answer(self, offset: int, data: bytes, answer: Answer) -> None:
        if answer.status == 0:  # the client hung up: it never read an answer
            return
        assert not answer.server_error, answer
        assert answer.upload_status in ("active", "final"), answer
        if answer.status == 200 or answer.short_finalize:  # a short finalize keeps the bytes it brought
            self.accepted.append((offset, data))
            self.accepted_log.append((offset, len(data), answer.received))
            if answer.file is not None:
                assert self.file is None or answer.file == self.file, "two files from one session"
                self.file = answer.file
        else:
            assert answer.status in (400, 404) and answer.upload_status == "final", answer

    def _wait_until_answered(self) -> None:
        """Hung-up requests end on the server's own time: wait until the journal has them all."""
        for _ in range(2000):
            r = httpx.get(
                f"{self.server.url}/_emulator/requests", params={"key": self.key, "operation": "files.upload.chunk"}
            )
            if len(r.json()["requests"]) >= self.requests:
                return
            time.sleep(0.005)
        raise AssertionError("requests still unanswered")

    def _held(self) -> bytes:
        if self.file is not None:
            got = httpx.get(
                f"{self.server.url}/v1beta/{self.file['name']}:download",
                params={"alt": "media"},
                headers={"x-goog-api-key": self.key},
            )
            assert got.status_code == 200
            assert sha256_b64(got.content) == self.file["sha256Hash"]
            assert str(len(got.content)) == self.file["sizeBytes"] == str(self.size)
            return got.content
        upload_id = parse_qs(urlsplit(self.url).query)["upload_id"][0]
        return self.server.emulator.blobs.path(f"uploads/{upload_id}").read_bytes()

    @invariant()
    def held_bytes_are_the_accepted_chunks(self) -> None:
        if not self.url:
            return
        held = self._held()
        if self.file is None:
            assert len(held) == self.received()  # nothing past what the session says it has
        covered = bytearray(len(held))
        for offset, data in self.accepted:
            assert held[offset : offset + len(data)] == data, f"an accepted chunk at {offset} is not what is stored"
            covered[offset : offset + len(data)] = b"\x01" * len(data)
        assert all(covered), (
            f"bytes stored that no accepted chunk sent: from {covered.find(0)} of {len(held)}, {self.accepted_log}"
        )

    def teardown(self) -> None:
        if not self.url:
            return
        if self.file is None:
            held = self.received()
            self.requests += 1
            done = send(self.url, self.clients[0][held:], held, "upload, finalize", key=self.key)
            assert done.status == 200 and done.file is not None, done
            self.accepted.append((held, self.clients[0][held:]))
            self.file = done.file
            self.held_bytes_are_the_accepted_chunks()
        assert len(list_files(self.server.url, self.key)) == 1


def test_upload_protocol_with_concurrent_clients(live_server: ThreadServer) -> None:
    run_state_machine_as_test(
        lambda: UploadProtocol(live_server),
        settings=settings(
            max_examples=20,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
