"""The Files API: resumable uploads, get, list, delete and download, per tenant (API key).

`create` makes a file of bytes a caller already has (the dashboard, seeding, the OpenAI surface);
`start_upload` and `upload` are the resumable protocol's steps. Both end the same way: the bytes in a
blob (the blob store appends, syncs and hashes them), then one row.

Concurrent requests are answered as if they had arrived one after the other: the steps on one upload
session hold that session's lock (re-reading the session inside it), and reserving a file name holds
that name's lock from the check to the insert. One process serves a data dir, so in-process locks
suffice. A finalized session is remembered for a while, so that a finalize sent again gets its file.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from emulator.clock import MICROS, VirtualClock
from emulator.config import Settings
from emulator.errors import AlreadyExists, InvalidArgument, ResourceExhausted, file_not_found
from emulator.files.models import (
    File,
    FileSource,
    UploadNotFound,
    UploadProgress,
    UploadRejected,
    UploadSession,
    UploadStart,
    UploadStep,
    file_id_from_name,
    guess_mime_type,
    normalize_mime_type,
)
from emulator.ids import capability_token, resource_id
from emulator.paging import Page, paginate
from emulator.storage.blobs import BlobConflict, BlobStore, BlobTooLarge
from emulator.storage.port import Store

FILE_ID_LENGTH = 12
_FINISHED_KEPT = 4096  # finalized sessions remembered (their id, the file's tenant, id and blob)


async def _pieces(content: bytes | AsyncIterable[bytes]) -> AsyncIterable[bytes]:
    if isinstance(content, bytes):
        yield content
    else:
        async for piece in content:
            yield piece


class KeyedLocks:
    """One asyncio lock per key, kept only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        lock = lock or asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class FilesService:
    def __init__(self, store: Store, blobs: BlobStore, clock: VirtualClock, settings: Settings) -> None:
        self._store = store
        self._blobs = blobs
        self._clock = clock
        self._settings = settings
        self._sessions = KeyedLocks()  # one step at a time per upload session
        self._names = KeyedLocks()  # one reservation at a time per file name
        # upload id -> (tenant, file id, blob) of the sessions finalized lately, so that a finalize
        # sent again (a client retrying after a timeout, or racing itself) gets the file it made.
        self._finished: dict[str, tuple[str, str, str]] = {}

    def use(self, settings: Settings) -> None:
        """Take new settings (the control plane changed latency or limits)."""
        self._settings = settings

    async def new_file_id(self, tenant: str) -> str:
        while True:
            file_id = await self._next_file_id()
            if not await self._store.file_id_taken(tenant, file_id):
                return file_id

    async def _next_file_id(self) -> str:
        return resource_id(self._settings.seed, "file", await self._store.next_counter("file"), FILE_ID_LENGTH)

    async def start_upload(self, tenant: str, start: UploadStart) -> UploadSession:
        announced = start.mime_type or guess_mime_type(start.file_name) or guess_mime_type(start.display_name)
        if not announced:
            raise InvalidArgument(
                "The MIME type of the upload could not be determined: send "
                "X-Goog-Upload-Header-Content-Type or file.mimeType."
            )
        mime_type = normalize_mime_type(announced)
        if start.total_bytes is not None and start.total_bytes > self._settings.max_file_bytes:
            raise InvalidArgument(
                f"File size {start.total_bytes} bytes exceeds the maximum of {self._settings.max_file_bytes} bytes."
            )
        if start.total_bytes is not None:
            used = await self._store.storage_used(tenant, self._clock.now_us(tenant))
            if used + start.total_bytes > self._settings.max_storage_bytes:
                raise ResourceExhausted(
                    f"Resource has been exhausted (e.g. check quota): storing {start.total_bytes} more bytes "
                    f"would exceed this project's {self._settings.max_storage_bytes} bytes of file storage."
                )
        if start.display_name is not None and len(start.display_name) > 512:
            raise InvalidArgument("file.displayName must be at most 512 characters.")
        chosen = file_id_from_name(start.name) if start.name else None
        while True:
            file_id = chosen or await self._next_file_id()
            async with self._names.hold(f"{tenant}/{file_id}"):  # check and reserve the name as one step
                if await self._store.file_id_taken(tenant, file_id):
                    if chosen:
                        raise AlreadyExists(f"File files/{file_id} already exists.")
                    continue
                upload_id = capability_token()
                session = UploadSession(
                    id=upload_id,
                    tenant=tenant,
                    file_id=file_id,
                    display_name=start.display_name,
                    mime_type=mime_type,
                    total_bytes=start.total_bytes,
                    received_bytes=0,
                    blob=f"uploads/{upload_id}",
                    create_us=self._clock.now_us(tenant),
                )
                self._blobs.write(session.blob, b"")
                await self._store.insert_upload(session)
                return session

    async def create(
        self,
        tenant: str,
        content: bytes | AsyncIterable[bytes],
        *,
        mime_type: str,
        display_name: str | None = None,
        name: str | None = None,
        size: int | None = None,
    ) -> File:
        """A new uploaded file of `content` (bytes, or pieces of them streamed in), named `name` or a
        fresh id; `size`, when known ahead of streamed pieces, is checked against the limits first."""
        if isinstance(content, bytes):
            size = len(content)
        start = UploadStart(total_bytes=size, mime_type=mime_type, display_name=display_name, name=name, file_name=None)
        session = await self.start_upload(tenant, start)
        try:
            limit = size if size is not None else self._settings.max_file_bytes
            session.received_bytes = await self._append(session.blob, 0, _pieces(content), 0, limit)
            return await self._finalize(session)
        except BaseException:
            await self._store.delete_upload(session.id)
            self._blobs.delete(session.blob)
            raise

    async def upload(self, upload_id: str, step: UploadStep, body: AsyncIterable[bytes]) -> UploadProgress:
        """Apply one step (bytes at an offset, and/or finalize, query, cancel) to an upload session.
        Steps on one session run one after the other, whatever the number of clients sending them."""
        if not (step.upload or step.finalize or step.cancel):  # a query only reads what is committed
            session = await self._store.get_upload(upload_id)
            if session is None:
                return await self._after_finalize(upload_id, step, body)
            return UploadProgress(session.received_bytes, None)
        async with self._sessions.hold(upload_id):
            session = await self._store.get_upload(upload_id)
            if session is None:
                return await self._after_finalize(upload_id, step, body)
            if step.cancel:
                await self._store.delete_upload(upload_id)
                self._blobs.delete(session.blob)
                return UploadProgress(session.received_bytes, None)
            if step.upload:
                limit = session.total_bytes if session.total_bytes is not None else self._settings.max_file_bytes
                received = await self._append(session.blob, step.offset, body, session.received_bytes, limit)
                if received != session.received_bytes:
                    session.received_bytes = received
                    await self._store.set_upload_received(session.id, received)
            if not step.finalize:
                return UploadProgress(session.received_bytes, None)
            file = await self._finalize(session)
            self._finished[upload_id] = (file.tenant, file.id, file.blob)
            while len(self._finished) > _FINISHED_KEPT:
                del self._finished[next(iter(self._finished))]
            return UploadProgress(file.size_bytes, file)

    async def _after_finalize(self, upload_id: str, step: UploadStep, body: AsyncIterable[bytes]) -> UploadProgress:
        """A step on a session that became a file: bytes sent again must be the file's own (it takes
        no more), and the answer is the file, as the finalize's was."""
        tenant, file_id, blob = self._finished.get(upload_id) or ("", "", "")
        file = await self._store.get_file(tenant, file_id, alive_at=self._clock.now_us(tenant)) if file_id else None
        if file is None or file.blob != blob:  # never finalized here, or deleted since
            raise UploadNotFound()
        if step.cancel:
            raise UploadRejected(
                f"The upload is finalized: it is the file {file.name} now.", received_bytes=file.size_bytes
            )
        if step.upload:
            await self._append(blob, step.offset, body, file.size_bytes, file.size_bytes, final=True)
        return UploadProgress(file.size_bytes, self.shown(file))

    async def _append(
        self, blob: str, at: int | None, body: AsyncIterable[bytes], received: int, limit: int, *, final: bool = False
    ) -> int:
        """A chunk's bytes, sent from offset `at`, into a blob that holds `received` bytes (`final`: the
        finalized file's blob, which takes no more); returns the blob's size after it."""
        if at is None:
            raise UploadRejected(
                "X-Goog-Upload-Offset is required with the upload command: it must be the number of bytes "
                f"already sent ({received} received).",
                received_bytes=received,
            )
        if at > received:
            raise UploadRejected(
                f"Invalid upload offset {at}: the server has received {received} bytes.", received_bytes=received
            )
        # With a data dir, the chunk is on disk before the session says it has it.
        durable = self._settings.data_dir is not None
        try:
            return await self._blobs.append(blob, body, at=at, size=received, limit=limit, durable=durable)
        except BlobTooLarge:
            if final:  # as an upload session, it is gone
                raise UploadNotFound(f"The upload session is finalized: its file has {limit} bytes.") from None
            raise UploadRejected(
                f"The upload is larger than the {limit} bytes announced.", received_bytes=received
            ) from None
        except BlobConflict as conflict:
            raise UploadRejected(
                f"The bytes sent at offset {conflict.offset} differ from the bytes already received there.",
                received_bytes=received,
            ) from None

    async def _finalize(self, session: UploadSession) -> File:
        if session.total_bytes not in (None, session.received_bytes):
            # The bytes of an `upload, finalize` stay: the error says how many the session holds.
            raise UploadRejected(
                f"The upload was finalized after {session.received_bytes} bytes, but {session.total_bytes} bytes "
                "were announced.",
                received_bytes=session.received_bytes,
            )
        if self._blobs.size(session.blob) != session.received_bytes:  # bytes written, never recorded (a crash)
            self._blobs.truncate(session.blob, session.received_bytes)
        digest = await self._blobs.digest(session.blob, session.received_bytes)
        now = self._clock.now_us(session.tenant)
        file = File.made(
            session.file_id,
            session.tenant,
            display_name=session.display_name,
            mime_type=session.mime_type,
            size_bytes=session.received_bytes,
            sha256_hex=digest,
            source=FileSource.UPLOADED,
            now_us=now,
            expire_us=now + round(self._settings.file_retention * MICROS),
            blob=session.blob,
        )
        await self._store.complete_upload(session.id, file)
        return self.shown(file)

    def shown(self, file: File) -> File:
        """The file as its key sees it now: a video or audio upload is `PROCESSING` for the configured
        time after it was made (`video_processing`, `audio_processing`), then `ACTIVE`."""
        s = self._settings
        return file.shown_at(self._clock.now_us(file.tenant), video=s.video_processing, audio=s.audio_processing)

    async def get(self, tenant: str, name: str) -> File:
        file_id = file_id_from_name(name)
        file = await self._store.get_file(tenant, file_id, alive_at=self._clock.now_us(tenant))
        if file is None:
            raise file_not_found(file_id)
        return self.shown(file)

    async def list(self, tenant: str, page_size: int, token: int | None) -> Page[File]:
        rows = await self._store.list_files(tenant, token, page_size + 1, alive_at=self._clock.now_us(tenant))
        return paginate([(seq, self.shown(file)) for seq, file in rows], page_size)

    async def delete(self, tenant: str, name: str) -> None:
        file_id = file_id_from_name(name)
        file = await self._store.delete_file(tenant, file_id)
        if file is None:
            raise file_not_found(file_id)
        self._blobs.delete(file.blob)

    async def open_download(self, tenant: str, name: str) -> tuple[File, Path]:
        file = await self.get(tenant, name)
        return file, self._blobs.path(file.blob)
