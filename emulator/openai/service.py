"""The OpenAI-compatible surface, composed from the native services: an OpenAI file is a native file,
an OpenAI batch a native batch (its OpenAI fields kept in the batch's `extra`), a chat completion a
`generateContent` answered by the same responder.

Batch create validates the OpenAI input file line by line; a valid file is converted into native
lines, uploaded as a short-lived native file (the batch reads a snapshot of it, so it is deleted
right after) and run by the native engine, with its clock, latency, faults and scripted answers. An
invalid file still makes a batch (so it can be retrieved and listed), forced to FAILED at once, with
the invalid lines in `errors`.

Results are published once: the first read of a finished batch converts the native output into the
OpenAI output and error files (`file-out-<batch>`, `file-err-<batch>`, ordinary files from then on)
and records that in the store's meta table, so a deleted output file is not made again.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from emulator.batches.lines import is_request_line
from emulator.batches.models import BatchKind, BatchState, BatchView, CreateBatch
from emulator.clock import MICROS
from emulator.errors import AlreadyExists, ApiError, InvalidArgument, NotFound
from emulator.files.models import File, FileSource
from emulator.generation.catalogue import DEFAULT_CATALOGUE
from emulator.generation.service import GenerationService
from emulator.ids import derive_rng
from emulator.openai import batch_lines, chat, embeddings
from emulator.openai.multipart import MultipartReader
from emulator.openai.wire import ERROR_PREFIX, OUTPUT_PREFIX, OpenAIBatch, purpose_of, seconds

if TYPE_CHECKING:
    from emulator.emulator import Emulator

JSONL = "application/jsonl"
SPOOL_BYTES = 8 << 20
MAX_LISTED_ERRORS = 1000
COMPLETION_WINDOWS = ("24h",)
_NOT_READY = object()
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class NewBatch:
    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: dict[str, str] | None


@dataclass(frozen=True, slots=True)
class Validated:
    lines: IO[bytes]
    errors: list[dict[str, Any]]
    total: int
    model: str | None


class OpenAIService:
    """One per emulator (routes find it on the app), so publishing results is serialized."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._publishing = asyncio.Lock()

    @property
    def emulator(self) -> Emulator:
        return self._emulator

    # -- files --------------------------------------------------------------------------------------
    async def upload(self, tenant: str, form: MultipartReader) -> File:
        """`files.create`: the `file` part streamed into a new native file, `purpose` checked."""
        purpose: str | None = None
        file: File | None = None
        try:
            async for part in form.parts():
                if part.name == "purpose":
                    purpose = (await form.field()).strip()
                    _check_purpose(purpose)
                elif part.name == "file" and file is None:
                    file_id = "file-" + await self._emulator.files.new_file_id(tenant)
                    name = (part.filename or "upload.jsonl")[:512]
                    file = await self._emulator.files.create(
                        tenant, form.content(), mime_type=JSONL, display_name=name, name=file_id
                    )
            if file is None:
                raise InvalidArgument("file is required: the multipart body has no 'file' part.")
            _check_purpose(purpose)
        except BaseException:
            if file is not None:
                await self._emulator.files.delete(tenant, file.id)
            raise
        return file

    async def get_file(self, tenant: str, file_id: str) -> File:
        return await self._emulator.files.get(tenant, file_id)

    async def list_files(
        self, tenant: str, *, after: str | None, limit: int, order: str, purpose: str | None
    ) -> tuple[list[File], bool]:
        files: list[File] = []
        token = None
        while True:
            page = await self._emulator.files.list(tenant, 1000, token)
            # Native batch outputs (`batch-<id>`, native format) are left out: ours are `file-out-`.
            files.extend(f for f in page.items if f.source is not FileSource.GENERATED)
            if page.next_position is None:
                break
            token = page.next_position
        if order == "asc":
            files.reverse()
        if purpose is not None:
            files = [f for f in files if purpose_of(f) == purpose]
        return _after(files, after, limit, lambda f: f.id, "file")

    async def delete_file(self, tenant: str, file_id: str) -> str:
        file = await self._emulator.files.get(tenant, file_id)
        await self._emulator.files.delete(tenant, file.id)
        return file.id

    async def open_content(self, tenant: str, file_id: str) -> tuple[File, Path]:
        return await self._emulator.files.open_download(tenant, file_id)

    # -- batches ------------------------------------------------------------------------------------
    async def _nonce(self) -> str:
        """Tells batches apart whose ids repeat after a full reset (the id counters restart, the stored
        results do not): the n-th OpenAI batch's nonce, derived from the seed, n kept across resets."""
        store = self._emulator.store
        n = int(await store.get_meta(NONCE_COUNTER) or 0) + 1
        await store.set_meta(NONCE_COUNTER, n)
        return f"{derive_rng(self._emulator.settings.seed, 'openai-nonce', str(n)).getrandbits(64):016x}"

    async def create_batch(self, tenant: str, new: NewBatch) -> OpenAIBatch:
        endpoint = batch_lines.normalize_endpoint(new.endpoint)
        if endpoint not in batch_lines.ENDPOINTS:
            raise InvalidArgument(
                f"endpoint {new.endpoint!r} is not supported: use /v1/chat/completions or /v1/embeddings."
            )
        if new.completion_window not in COMPLETION_WINDOWS:
            raise InvalidArgument(f"completion_window must be 24h, not {new.completion_window!r}.")
        files, batches = self._emulator.files, self._emulator.batches
        source, path = await files.open_download(tenant, new.input_file_id)
        checked = await asyncio.to_thread(_validate, path, endpoint)
        with checked.lines:
            if checked.total == 0:
                raise InvalidArgument(f"The batch input file {source.id} has no requests.")
            info: dict[str, Any] = {
                "endpoint": endpoint,
                "input_file_id": source.id,
                "completion_window": new.completion_window,
                "metadata": new.metadata,
                "model": chat.model_id(checked.model) if checked.model else None,
                "total": checked.total,
                "errors": checked.errors or None,
                "nonce": await self._nonce(),
            }
            kind = batch_lines.ENDPOINTS[endpoint]
            model = checked.model or "models/gemini-2.5-flash"
            extra = {"openai": info}
            if checked.errors:
                # OpenAI fails an invalid file in validation: a batch that exists, already failed.
                command = CreateBatch(kind, model, None, source.name, None, extra=extra)
                view = await batches.create(tenant, command)
                view = await batches.force(view.batch.name, BatchState.FAILED)
            else:
                native_id = await files.new_file_id(tenant)
                converted = await files.create(
                    tenant,
                    _chunks(checked.lines),
                    mime_type=JSONL,
                    display_name=f"openai-{source.id}.jsonl",
                    name=native_id,
                )
                try:
                    view = await batches.create(
                        tenant, CreateBatch(kind, model, None, converted.name, None, extra=extra)
                    )
                finally:
                    await files.delete(tenant, converted.id)
        return self._openai(view, None)

    async def get_batch(self, tenant: str, batch_id: str) -> OpenAIBatch:
        view = await self._native(tenant, batch_id)
        return self._openai(view, await self._publish(view))

    async def list_batches(self, tenant: str, *, after: str | None, limit: int) -> tuple[list[OpenAIBatch], bool]:
        views: list[BatchView] = []
        token = None
        while True:
            page = await self._emulator.batches.list(tenant, 1000, token)
            views.extend(v for v in page.items if _info(v) is not None)
            if page.next_position is None:
                break
            token = page.next_position
        shown, more = _after(views, after, limit, lambda v: v.batch.id, "batch")
        return [self._openai(v, await self._publish(v)) for v in shown], more

    async def cancel_batch(self, tenant: str, batch_id: str) -> OpenAIBatch:
        """Cancelling shows `cancelling` until the next read publishes the partial results. A finished
        batch is left as it is (lenient, as the native cancel)."""
        await self._native(tenant, batch_id)
        await self._emulator.batches.cancel(tenant, batch_id)
        view = await self._native(tenant, batch_id)
        info = _info(view)
        assert info is not None
        return self._openai(view, await self._emulator.store.get_meta(_results_key(view, info)))

    async def _native(self, tenant: str, batch_id: str) -> BatchView:
        view = await self._emulator.batches.get(tenant, batch_id)
        if _info(view) is None:  # a native batch: not visible through the OpenAI surface
            raise NotFound(f"Batch batches/{batch_id} was not found.")
        return view

    def _openai(self, view: BatchView, results: dict[str, Any] | None) -> OpenAIBatch:
        info = _info(view)
        assert info is not None
        expiry = round(self._emulator.settings.batch_expiry * MICROS)
        return OpenAIBatch(view.batch, info, results, expiry)

    async def _publish(self, view: BatchView) -> dict[str, Any] | None:
        """The batch's results, converting them into the OpenAI output and error files the first
        time a finished batch is read; None while there is nothing (yet) to publish."""
        batch, info = view.batch, _info(view)
        assert info is not None
        if info.get("errors") or not batch.state.terminal or not batch.finalized or batch.state is BatchState.FAILED:
            return None
        store = self._emulator.store
        key = _results_key(view, info)
        done: dict[str, Any] | None = await store.get_meta(key)
        if done is not None:
            return done
        source = await self._output_source(view)
        if source is _NOT_READY:
            return None
        async with self._publishing:
            done = await store.get_meta(key)
            if done is not None:
                return done
            input_path = self._emulator.blobs.path(batch.input_blob)
            created = seconds(batch.start_us or batch.create_us) or 0
            out, err, tally = await asyncio.to_thread(
                _convert, input_path, source, batch.kind, batch.id, created, batch.state
            )
            results: dict[str, Any] = {
                "completed": tally.completed,
                "failed": tally.failed,
                "usage": tally.usage(),
                "output_file_id": None,
                "error_file_id": None,
            }
            with out, err:
                for spool, prefix, field, what in (
                    (out, OUTPUT_PREFIX, "output_file_id", "output"),
                    (err, ERROR_PREFIX, "error_file_id", "error"),
                ):
                    if spool.tell() == 0:
                        continue
                    name = f"batch_{batch.id}_{what}.jsonl"
                    with contextlib.suppress(AlreadyExists):
                        await self._emulator.files.create(
                            batch.tenant, _chunks(spool), mime_type=JSONL, display_name=name, name=prefix + batch.id
                        )
                    results[field] = prefix + batch.id
            await store.set_meta(key, results)
            return results

    async def _output_source(self, view: BatchView) -> Path | bytes | object:
        batch = view.batch
        if batch.state not in (BatchState.SUCCEEDED, BatchState.CANCELLED) or batch.lines_done == 0:
            return b""
        if batch.output_file is not None:
            try:
                return (await self._emulator.files.open_download(batch.tenant, batch.output_file))[1]
            except ApiError:  # the native output is gone (discarded): nothing to publish from
                return _NOT_READY
        if view.inline_output is not None:
            return view.inline_output
        return _NOT_READY  # shown SUCCEEDED before its output exists (a production quirk)

    # -- synchronous calls --------------------------------------------------------------------------
    async def chat(self, tenant: str, body: Mapping[str, Any]) -> tuple[dict[str, Any], str, int]:
        """The native answer to a chat body, its model, and the `created` time (emulated)."""
        request, model = chat.to_native(body)
        emulator = self._emulator
        response = await GenerationService(emulator.responder, emulator.files).generate(tenant, request, model)
        return response, model, seconds(emulator.clock.now_us(tenant)) or 0

    def embed(self, body: Mapping[str, Any]) -> dict[str, Any]:
        requests, texts, encoding = embeddings.to_native(body)
        emulator = self._emulator
        answers = GenerationService(emulator.responder, emulator.files).embed(requests)
        return embeddings.response(answers, texts, requests[0][1], encoding)

    def models(self) -> list[dict[str, Any]]:
        return [_model(m) for m in DEFAULT_CATALOGUE.models]

    def model(self, model: str) -> dict[str, Any]:
        return _model(DEFAULT_CATALOGUE.get(model))


NONCE_COUNTER = "openai-batches"


def _model(model: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": model["name"], "object": "model", "created": 0, "owned_by": "google"}


def _info(view: BatchView) -> dict[str, Any] | None:
    extra = view.batch.extra or {}
    info = extra.get("openai")
    return info if isinstance(info, dict) else None


def _results_key(view: BatchView, info: Mapping[str, Any]) -> str:
    """Batch ids repeat after a full reset (the counters restart): the nonce tells batches apart."""
    return f"openai-results:{view.batch.tenant}:{view.batch.id}:{info['nonce']}"


def _check_purpose(purpose: str | None) -> None:
    if purpose is None:
        return
    if purpose != "batch":
        raise InvalidArgument(
            f"purpose {purpose!r} is not supported: the Gemini OpenAI-compatible Files API takes 'batch'."
        )


def _after(items: list[T], after: str | None, limit: int, id_of: Callable[[T], str], what: str) -> tuple[list[T], bool]:
    """The page of `limit` items that follows the item whose id is `after`, and whether more follow."""
    start = 0
    if after:
        ids = [id_of(item) for item in items]
        if after not in ids:
            raise NotFound(f"No {what} found with id {after!r} (the 'after' cursor).")
        start = ids.index(after) + 1
    page = items[start : start + limit]
    return page, start + limit < len(items)


async def _chunks(spool: IO[bytes]) -> AsyncIterator[bytes]:
    spool.seek(0)
    while chunk := spool.read(1 << 20):
        yield chunk


def _spool() -> IO[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)


def _validate(path: Path, endpoint: str) -> Validated:
    """Every line of an OpenAI batch input file, checked and converted (runs in a worker thread)."""
    out = _spool()
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    total = 0
    model = None
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, 1):
            if not is_request_line(raw):
                continue
            total += 1
            result = batch_lines.convert_line(raw, number, endpoint, seen)
            if isinstance(result, batch_lines.LineError):
                if len(errors) < MAX_LISTED_ERRORS:
                    errors.append(result.to_wire())
                continue
            model = model or result.model
            if not errors:
                out.write(result.data + b"\n")
    return Validated(out, errors, total, model)


def _convert(
    input_path: Path, source: Path | bytes | object, kind: BatchKind, batch_id: str, created: int, state: BatchState
) -> tuple[IO[bytes], IO[bytes], batch_lines.Tally]:
    """A finished batch's native input and output lines as the OpenAI output and error files."""
    out, err = _spool(), _spool()
    with contextlib.ExitStack() as stack:
        inputs = stack.enter_context(input_path.open("rb"))
        if isinstance(source, Path):
            outputs: Iterator[bytes] = iter(stack.enter_context(source.open("rb")))
        else:
            assert isinstance(source, bytes)
            outputs = iter(source.splitlines())
        results = (line for line in outputs if is_request_line(line))
        tally = batch_lines.convert_results(
            iter(inputs),
            results,
            kind=kind,
            batch_id=batch_id,
            created=created,
            expired=state is BatchState.EXPIRED,
            out=out,
            err=err,
        )
    return out, err, tally
