"""Workloads shared by tests/perf (reduced sizes, in `make test`) and `python -m bench concurrency` /
`python -m bench durability` (full sizes): many SDK clients at once, fairness between a huge batch
and many small ones, and kill -9 at random points during uploads and batch runs.

Nothing here asserts on time: timeouts only stop a broken emulator from hanging the caller.
"""

from __future__ import annotations

import base64
import hashlib
import random
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.servers import ProcessServer

MODEL = "gemini-2.5-flash"
TIMEOUT = 120.0  # generous: only there so that a broken emulator fails instead of hanging
DONE_STATES = frozenset({"BATCH_STATE_SUCCEEDED", "BATCH_STATE_FAILED", "BATCH_STATE_CANCELLED", "BATCH_STATE_EXPIRED"})


# -- inputs and outputs -----------------------------------------------------------------------------
def write_requests(path: Path, n: int, tag: str = "") -> Path:
    """`n` request lines keyed k0..k{n-1}; `tag` makes one client's requests differ from another's."""
    with path.open("wb") as f:
        for i in range(n):
            text = f"{tag} request {i}: summarise the quarterly report for region {i % 17} in one sentence."
            f.write(orjson.dumps({"key": f"k{i}", "request": {"contents": [{"parts": [{"text": text}]}]}}) + b"\n")
    return path


def output_problems(output: bytes, n: int) -> list[str]:
    """What is wrong with a batch output that should answer k0..k{n-1} each exactly once, in input
    order, each with a response: [] when nothing is."""
    keys: list[Any] = []
    without: list[Any] = []
    for line in output.splitlines():
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            return [f"a line that is not JSON: {line[:80]!r}"]
        keys.append(obj.get("key"))
        if "response" not in obj:
            without.append(obj.get("key"))
    problems = []
    expected = [f"k{i}" for i in range(n)]
    if keys != expected:
        seen: dict[Any, int] = {}
        for k in keys:
            seen[k] = seen.get(k, 0) + 1
        duplicated = [k for k, c in seen.items() if c > 1]
        missing = [k for k in expected if k not in seen]
        problems.append(
            f"{len(keys)} lines for {n} requests: {len(missing)} missing (e.g. {missing[:3]}), "
            f"{len(duplicated)} duplicated (e.g. {duplicated[:3]})"
            + ("" if missing or duplicated else ", out of order")
        )
    if without:
        problems.append(f"{len(without)} lines without a response, e.g. {without[:3]}")
    if output and not output.endswith(b"\n"):
        problems.append("the output does not end with a newline")
    return problems


def lost_lines(output: bytes, n: int) -> int:
    """Requests among k0..k{n-1} that have no response line."""
    answered = set()
    for line in output.splitlines():
        with_key = orjson.loads(line)
        if "response" in with_key:
            answered.add(with_key.get("key"))
    return sum(1 for i in range(n) if f"k{i}" not in answered)


def wait_for(what: str, probe: Callable[[], Any], timeout: float = TIMEOUT, every: float = 0.05) -> Any:
    """Call `probe` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    while not (value := probe()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)
    return value


# -- many clients, each the whole workflow through the real SDK ---------------------------------------
@dataclass
class ClientsResult:
    clients: int
    lines_each: int
    errors: list[str]
    lost: int
    seconds: float


def sdk_workflow(base_url: str, api_key: str, path: Path, lines: int, poll: float = 0.1) -> int:
    """Upload, create, poll to the end, download, check, with the google-genai SDK. Returns the lines
    lost (requests without a response); raises on any error or a malformed output."""
    from google import genai
    from google.genai import types

    with genai.Client(api_key=api_key, http_options={"base_url": base_url}) as client:
        file = client.files.upload(file=path, config=types.UploadFileConfig(mime_type="jsonl"))
        assert file.name is not None
        job = client.batches.create(model=MODEL, src=file.name)
        assert job.name is not None
        deadline = time.monotonic() + TIMEOUT
        while not job.done:
            if time.monotonic() > deadline:
                raise AssertionError(f"{job.name} still {job.state} after {TIMEOUT:.0f} s")
            time.sleep(poll)
            job = client.batches.get(name=job.name)
        if job.state != types.JobState.JOB_STATE_SUCCEEDED or job.dest is None or not job.dest.file_name:
            raise AssertionError(f"{job.name} ended {job.state}: {job.error}")
        output = client.files.download(file=job.dest.file_name)
    problems = output_problems(output, lines)
    if problems:
        raise AssertionError(f"{job.name}: {'; '.join(problems)}")
    return lost_lines(output, lines)


def run_clients(base_url: str, tmp: Path, clients: int, lines: int) -> ClientsResult:
    """`clients` threads, each with its own API key and input, each running `sdk_workflow` once, all
    started together."""
    paths = [write_requests(tmp / f"client-{i}.jsonl", lines, tag=f"client {i}") for i in range(clients)]
    barrier = threading.Barrier(clients)
    errors: list[str] = []
    lost = 0
    lock = threading.Lock()

    def one(i: int) -> None:
        nonlocal lost
        barrier.wait(timeout=TIMEOUT)
        try:
            missing = sdk_workflow(base_url, f"perf-{i}-{uuid.uuid4().hex[:8]}", paths[i], lines)
        except Exception as exc:
            with lock:
                errors.append(f"client {i}: {type(exc).__name__}: {exc}")
                lost += lines
            return
        with lock:
            lost += missing

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, range(clients)))
    return ClientsResult(clients, lines, errors, lost, time.perf_counter() - started)


# -- fairness: a huge batch, then many small ones ---------------------------------------------------
@dataclass
class FairnessResult:
    small: int
    small_done_before_huge: int  # small batches seen finished in a listing where the huge one was not
    huge_state_when_small_done: str  # the huge batch's state in the first listing with every small one done
    huge_done_then: int
    huge_lines: int
    problems: list[str]


class RestClient:
    """The REST API with one key, through httpx (the SDK's view hides batchStats)."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.http = httpx.Client(base_url=base_url, headers={"x-goog-api-key": api_key}, timeout=60)

    def close(self) -> None:
        self.http.close()

    def upload(self, path: Path) -> str:
        from google import genai
        from google.genai import types

        key = self.http.headers["x-goog-api-key"]
        with genai.Client(api_key=key, http_options={"base_url": str(self.http.base_url).rstrip("/")}) as client:
            file = client.files.upload(file=path, config=types.UploadFileConfig(mime_type="jsonl"))
        assert file.name is not None
        return file.name

    def create(self, file_name: str, display_name: str) -> str:
        answer = self.http.post(
            f"/v1beta/models/{MODEL}:batchGenerateContent",
            json={"batch": {"displayName": display_name, "inputConfig": {"fileName": file_name}}},
        )
        answer.raise_for_status()
        name: str = answer.json()["name"]
        return name

    def get(self, name: str) -> dict[str, Any]:
        answer = self.http.get(f"/v1beta/{name}")
        answer.raise_for_status()
        operation: dict[str, Any] = answer.json()
        return operation

    def list_batches(self) -> dict[str, dict[str, Any]]:
        """Every batch of the key, name → metadata, in one listing (one consistent read)."""
        found: dict[str, dict[str, Any]] = {}
        token = None
        while True:
            params = {"pageSize": "1000", **({"pageToken": token} if token else {})}
            answer = self.http.get("/v1beta/batches", params=params)
            answer.raise_for_status()
            body = answer.json()
            for op in body.get("operations", []):
                found[op["name"]] = op["metadata"]
            token = body.get("nextPageToken")
            if not token:
                return found

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock (every key's); returns once what became due is done."""
        self.http.post("/_emulator/clock:advance", json={"seconds": seconds}, timeout=TIMEOUT * 5).raise_for_status()

    def output(self, name: str) -> bytes:
        operation = self.get(name)
        file_name = operation["response"]["responsesFile"]
        answer = self.http.get(f"/download/v1beta/{file_name}:download", params={"alt": "media"})
        answer.raise_for_status()
        return answer.content


def _finished(rest: RestClient, name: str) -> dict[str, Any] | None:
    operation = rest.get(name)
    return operation if operation.get("done") else None


def _done(meta: dict[str, Any]) -> int:
    return int(meta.get("batchStats", {}).get("successfulRequestCount", 0))


FAIRNESS_ARGS = ("--clock", "manual", "--queue-delay", "1", "--request-latency", "0")


def fairness(base_url: str, tmp: Path, huge_lines: int, small: int = 99, small_lines: int = 10) -> FairnessResult:
    """A huge batch is created, then `small` small batches (from 8 threads); then the clock moves and
    all of them are due at once. Every listing of the key's batches is checked for which are done.
    Compares states, not times. The server must run `FAIRNESS_ARGS` (a manual clock and a queue
    delay: nothing starts before the clock moves, however fast the emulator is)."""
    rest = RestClient(base_url, f"fair-{uuid.uuid4().hex}")
    try:
        huge_file = rest.upload(write_requests(tmp / "huge.jsonl", huge_lines, tag="huge"))
        small_file = rest.upload(write_requests(tmp / "small.jsonl", small_lines, tag="small"))
        huge = rest.create(huge_file, "huge")
        with ThreadPoolExecutor(max_workers=8) as pool:
            smalls = set(pool.map(lambda i: rest.create(small_file, f"small {i}"), range(small)))
        assert all(batch["state"] == "BATCH_STATE_PENDING" for batch in rest.list_batches().values())
        # The advance returns once everything due is done: it runs beside the listings.
        advance = threading.Thread(target=rest.advance, args=(60.0,), daemon=True)
        advance.start()
        done_before_huge: set[str] = set()
        huge_state, huge_done = "", 0
        deadline = time.monotonic() + TIMEOUT
        while True:
            listing = rest.list_batches()
            finished = {n for n in smalls if listing[n]["state"] in DONE_STATES}
            if listing[huge]["state"] not in DONE_STATES:
                done_before_huge |= finished
            if finished == smalls:
                huge_state, huge_done = listing[huge]["state"], _done(listing[huge])
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(smalls - finished)} small batches unfinished after {TIMEOUT:.0f} s")
            time.sleep(0.05)
        problems = []
        wait_for("the huge batch to finish", lambda: rest.get(huge).get("done"), timeout=TIMEOUT * 5, every=0.2)
        advance.join(TIMEOUT)
        for name in [huge, *sorted(smalls)]:
            meta = rest.get(name)["metadata"]
            if meta["state"] != "BATCH_STATE_SUCCEEDED":
                problems.append(f"{name} ended {meta['state']}")
                continue
            lines = huge_lines if name == huge else small_lines
            problems += [f"{name}: {p}" for p in output_problems(rest.output(name), lines)]
        return FairnessResult(small, len(done_before_huge), huge_state, huge_done, huge_lines, problems)
    finally:
        rest.close()


# -- kill -9 at random points -------------------------------------------------------------------------
@dataclass
class Upload:
    """One file on its way up through the resumable protocol, as the client knows it."""

    name: str
    path: Path
    size: int
    sha256: str
    url: str | None = None  # known once the start was answered
    acknowledged: int = 0  # bytes the server has confirmed receiving
    sent: int = 0  # bytes the client has put on the wire (some may be lost in a crash)
    finished: bool = False


@dataclass
class KillReport:
    kills: int = 0
    uploads_started: int = 0
    uploads_interrupted: int = 0  # not finished when a kill struck
    uploads_resumed: int = 0  # resumed from the offset a restarted server reported
    uploads_complete: int = 0
    orphaned_starts: int = 0  # starts killed before their answer: no file, nothing to resume
    batches: int = 0
    batches_interrupted: int = 0  # batches that were running (or pending) when a kill struck
    lines_checked: int = 0
    problems: list[str] = field(default_factory=list)


class KillPoints:
    """A server on `data_dir` that is killed (SIGKILL) at seeded random moments while uploads and
    batches are under way, and restarted on the same directory; every upload is then resumed, and
    at the end every file must be complete (its SHA-256 matches) and every batch must have answered
    each line exactly once. The server keeps its state between kills; the client keeps only what a
    real client would (upload URLs, acknowledged offsets, batch names)."""

    def __init__(
        self,
        tmp: Path,
        data_dir: Path,
        seed: int,
        *,
        file_bytes: int = 4 << 20,
        chunk: int = 256 << 10,
        batch_lines: int = 3000,
        max_delay: float = 1.5,
        server_args: tuple[str, ...] = ("--request-latency", "0.0005", "--queue-delay", "0"),
    ) -> None:
        self.tmp, self.data_dir, self.rng = tmp, data_dir, random.Random(seed)
        self.file_bytes, self.chunk, self.batch_lines, self.max_delay = file_bytes, chunk, batch_lines, max_delay
        self.server_args = server_args
        self.key = f"kill-{seed}-{uuid.uuid4().hex[:8]}"
        self.uploads: list[Upload] = []
        self.batches: set[str] = set()
        self.input_file: str | None = None
        self.report = KillReport()
        self._server: ProcessServer | None = None
        self._http: httpx.Client | None = None

    # -- servers --------------------------------------------------------------------------------
    @property
    def http(self) -> httpx.Client:
        assert self._http is not None
        return self._http

    def _start(self) -> None:
        self._server = ProcessServer(self.data_dir, *self.server_args).start()
        self._http = httpx.Client(base_url=self._server.url, headers={"x-goog-api-key": self.key}, timeout=30)

    def _kill(self, threads: list[threading.Thread]) -> None:
        """kill -9, then let the client threads run into the dead server and stop."""
        assert self._server is not None and self._http is not None
        self._server.kill()
        for t in threads:
            t.join(timeout=TIMEOUT)
        self._http.close()
        self.report.kills += 1

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
        if self._server is not None:
            self._server.stop()

    # -- client side of the resumable protocol ----------------------------------------------------
    def _new_upload(self) -> Upload:
        i = len(self.uploads)
        path = self.tmp / f"upload-{i}.bin"
        size = self.rng.randint(1, self.file_bytes)
        data = random.Random(self.rng.random()).randbytes(size)
        path.write_bytes(data)
        upload = Upload(f"files/kp-{i}-{uuid.uuid4().hex[:6]}", path, size, hashlib.sha256(data).hexdigest())
        self.uploads.append(upload)
        self.report.uploads_started += 1
        return upload

    def _pieces(self, data: bytes) -> Iterator[bytes]:
        """A chunk's body in 64 KiB pieces with short pauses, so that a kill can strike mid-body."""
        for at in range(0, len(data), 64 << 10):
            yield data[at : at + (64 << 10)]
            time.sleep(0.002)

    def _push(self, upload: Upload) -> None:
        """Drive one upload forward until it is finished or the server goes away."""
        http = self.http
        if upload.url is None:
            answer = http.post(
                "/upload/v1beta/files",
                headers={
                    "x-goog-upload-protocol": "resumable",
                    "x-goog-upload-command": "start",
                    "x-goog-upload-header-content-length": str(upload.size),
                    "x-goog-upload-header-content-type": "application/octet-stream",
                },
                json={"file": {"name": upload.name}},
            )
            answer.raise_for_status()
            upload.url = "/upload/" + answer.headers["x-goog-upload-url"].split("/upload/", 1)[1]
        data = upload.path.read_bytes()
        while not upload.finished:
            offset = upload.acknowledged
            piece = data[offset : offset + self.chunk]
            last = offset + len(piece) >= upload.size
            upload.sent = offset + len(piece)  # a kill mid-body may leave any part of it on the server
            answer = http.post(
                upload.url,
                content=self._pieces(piece),
                headers={
                    "content-length": str(len(piece)),
                    "x-goog-upload-command": "upload, finalize" if last else "upload",
                    "x-goog-upload-offset": str(offset),
                },
            )
            if answer.status_code != 200:
                self.report.problems.append(f"{upload.name}: chunk at {offset} answered {answer.status_code}")
                return
            received = int(answer.headers["x-goog-upload-size-received"])
            if received != offset + len(piece):
                self.report.problems.append(f"{upload.name}: {received} bytes received after a chunk to {upload.sent}")
                return
            upload.acknowledged = received
            upload.finished = last and answer.headers.get("x-goog-upload-status") == "final"
            time.sleep(self.rng.uniform(0, 0.08))  # a client paced by something else: kills land mid-upload
        self.report.uploads_complete += 1

    def _recover(self, upload: Upload) -> None:
        """After a restart: where does the server say this upload stands?"""
        if upload.finished:
            return
        if upload.url is None:  # killed before the start was answered: nothing a client can resume
            leftover = self.http.get(f"/v1beta/{upload.name}")
            if leftover.status_code == 200:
                self.report.problems.append(f"{upload.name}: a file although its upload never started")
            self.report.orphaned_starts += 1
            self.uploads.remove(upload)
            return
        answer = self.http.post(upload.url, headers={"x-goog-upload-command": "query"})
        if answer.status_code == 404:  # the session is gone: it must have become the file
            file = self.http.get(f"/v1beta/{upload.name}")
            if file.status_code != 200:
                self.report.problems.append(
                    f"{upload.name}: neither its upload session nor its file survived the kill "
                    f"({upload.acknowledged} of {upload.size} bytes acknowledged)"
                )
                self.uploads.remove(upload)
                return
            upload.finished = True
            self.report.uploads_complete += 1
            return
        answer.raise_for_status()
        received = int(answer.headers["x-goog-upload-size-received"])
        if not upload.acknowledged <= received <= upload.sent:
            self.report.problems.append(
                f"{upload.name}: the restarted server has {received} bytes; {upload.acknowledged} were "
                f"acknowledged and {upload.sent} sent"
            )
        upload.acknowledged = received
        self.report.uploads_resumed += 1

    def _check_files(self) -> None:
        """Every file the server lists is complete: one of ours, its size and SHA-256 as uploaded."""
        ours = {u.name: u for u in self.uploads}
        answer = self.http.get("/v1beta/files", params={"pageSize": "100"})
        answer.raise_for_status()
        for file in answer.json().get("files", []):
            if file.get("source") == "GENERATED" or file["name"] == self.input_file:
                continue
            upload = ours.get(file["name"])
            if upload is None:
                self.report.problems.append(f"{file['name']}: listed, but no upload of ours has that name")
                continue
            digest = base64.b64decode(file["sha256Hash"]).decode()
            if int(file["sizeBytes"]) != upload.size or digest != upload.sha256:
                self.report.problems.append(
                    f"{file['name']}: listed with {file['sizeBytes']} bytes, sha256 {digest[:12]}; "
                    f"uploaded {upload.size} bytes, sha256 {upload.sha256[:12]}"
                )
            if not upload.finished:
                self.report.problems.append(f"{file['name']}: listed before its last chunk was acknowledged")

    # -- batches ------------------------------------------------------------------------------------
    def _create_batch(self) -> None:
        assert self.input_file is not None
        answer = self.http.post(
            f"/v1beta/models/{MODEL}:batchGenerateContent",
            json={"batch": {"displayName": "kill points", "inputConfig": {"fileName": self.input_file}}},
        )
        answer.raise_for_status()
        self.batches.add(answer.json()["name"])

    def _listed_batches(self) -> dict[str, dict[str, Any]]:
        answer = self.http.get("/v1beta/batches", params={"pageSize": "1000"})
        answer.raise_for_status()
        return {op["name"]: op["metadata"] for op in answer.json().get("operations", [])}

    # -- the loop -----------------------------------------------------------------------------------
    def run(self, kills: int) -> KillReport:
        self._start()
        self.input_file = self._upload_input()
        for _ in range(kills):
            self._round()
        self._finish()
        return self.report

    def _upload_input(self) -> str:
        from google import genai
        from google.genai import types

        path = write_requests(self.tmp / "requests.jsonl", self.batch_lines, tag="kill points")
        base = str(self.http.base_url).rstrip("/")
        with genai.Client(api_key=self.key, http_options={"base_url": base}) as client:
            file = client.files.upload(file=path, config=types.UploadFileConfig(mime_type="jsonl"))
        assert file.name is not None
        return file.name

    def _round(self) -> None:
        """Work for a random while, then kill -9 and restart; check what the restarted server shows."""
        for upload in list(self.uploads):
            self._recover(upload)
        self._check_files()
        for name, meta in self._listed_batches().items():
            self.batches.add(name)  # a create killed before its answer may still have made one
            if meta["state"] not in ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING", "BATCH_STATE_SUCCEEDED"):
                self.report.problems.append(f"{name} is {meta['state']} after a restart")
        work = [u for u in self.uploads if not u.finished] + [self._new_upload(), self._new_upload()]
        errors: list[str] = []

        def worker(task: Callable[[], None]) -> None:
            try:
                task()
            except httpx.TransportError:
                pass  # the server was killed under it: that is the point
            except Exception:
                errors.append(traceback.format_exc(limit=3))

        threads = [threading.Thread(target=worker, args=(lambda u=u: self._push(u),)) for u in work]
        threads.append(threading.Thread(target=worker, args=(self._create_batch,)))
        for t in threads:
            t.start()
        time.sleep(self.rng.uniform(0.05, self.max_delay))
        running = {
            n for n, m in self._safe_listing().items() if m["state"] in ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING")
        }
        self._kill(threads)
        self.report.uploads_interrupted += sum(1 for u in work if not u.finished)
        self.report.batches_interrupted += len(running)
        self.report.problems += [f"a client thread failed: {e}" for e in errors]
        self._start()

    def _safe_listing(self) -> dict[str, dict[str, Any]]:
        try:
            return self._listed_batches()
        except httpx.HTTPError:
            return {}

    def _finish(self) -> None:
        """No more kills: resume every upload to the end, wait for every batch, check everything."""
        for upload in list(self.uploads):
            self._recover(upload)
        for upload in self.uploads:
            if not upload.finished:
                self._push(upload)
        self._check_files()
        for upload in self.uploads:
            answer = self.http.get(f"/download/v1beta/{upload.name}:download", params={"alt": "media"})
            if answer.status_code != 200 or hashlib.sha256(answer.content).hexdigest() != upload.sha256:
                self.report.problems.append(f"{upload.name}: its download does not match what was uploaded")
        self.batches |= set(self._listed_batches())
        rest = RestClient(str(self.http.base_url).rstrip("/"), self.key)
        try:
            for name in sorted(self.batches):
                operation = wait_for(f"{name} to finish", partial(_finished, rest, name))
                if operation["metadata"]["state"] != "BATCH_STATE_SUCCEEDED":
                    self.report.problems.append(f"{name} ended {operation['metadata']['state']}")
                    continue
                problems = output_problems(rest.output(name), self.batch_lines)
                self.report.problems += [f"{name}: {p}" for p in problems]
                self.report.lines_checked += self.batch_lines
        finally:
            rest.close()
        self.report.batches = len(self.batches)
