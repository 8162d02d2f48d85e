"""The Files API: resumable uploads, get, list, delete and download, per tenant (API key)."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from emulator.clock import MICROS, VirtualClock
from emulator.config import Settings
from emulator.errors import AlreadyExists, InvalidArgument, NotFound, ResourceExhausted, file_not_found
from emulator.files.models import (
    File,
    FileSource,
    FileState,
    UploadSession,
    file_id_from_name,
    guess_mime_type,
    normalize_mime_type,
)
from emulator.ids import capability_token, resource_id
from emulator.paging import Page, paginate
from emulator.storage.blobs import BlobStore, sha256_hex
from emulator.storage.port import Store

if TYPE_CHECKING:
    from hashlib import _Hash as Hash

_WRITEBACK_BYTES = 2 * 1024 * 1024  # during a chunk, sync what has arrived every this many bytes
_HASH_BATCH_BYTES = 1024 * 1024  # and hash it in batches of this many bytes
_datasync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


def _digest_all(hasher: Hash, pieces: list[bytes]) -> None:
    for piece in pieces:
        hasher.update(piece)


FILE_ID_LENGTH = 12
FINAL = {"x-goog-upload-status": "final"}


@dataclass(frozen=True, slots=True)
class UploadStart:
    total_bytes: int | None
    mime_type: str | None
    display_name: str | None
    name: str | None
    file_name: str | None


@dataclass(frozen=True, slots=True)
class UploadStep:
    """One request to an upload session URL, decoded from `X-Goog-Upload-*` headers."""

    upload: bool
    finalize: bool
    query: bool
    cancel: bool
    offset: int | None


@dataclass(frozen=True, slots=True)
class UploadProgress:
    received_bytes: int
    file: File | None


class FilesService:
    def __init__(self, store: Store, blobs: BlobStore, clock: VirtualClock, settings: Settings) -> None:
        self._store = store
        self._blobs = blobs
        self._clock = clock
        self._settings = settings
        self._hashers: dict[str, tuple[int, hashlib._Hash]] = {}

    def use(self, settings: Settings) -> None:
        """Take new settings (the control plane changed latency or limits)."""
        self._settings = settings

    async def new_file_id(self, tenant: str) -> str:
        while True:
            n = await self._store.next_counter("file")
            file_id = resource_id(self._settings.seed, "file", n, FILE_ID_LENGTH)
            if not await self._store.file_id_taken(tenant, file_id):
                return file_id

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
        if start.name:
            file_id = file_id_from_name(start.name)
            if await self._store.file_id_taken(tenant, file_id):
                raise AlreadyExists(f"File files/{file_id} already exists.")
        else:
            file_id = await self.new_file_id(tenant)
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

    async def upload(self, upload_id: str, step: UploadStep, body: AsyncIterator[bytes]) -> UploadProgress:
        """Apply one chunk (and/or finalize, query, cancel) to an upload session."""
        session = await self._store.get_upload(upload_id)
        if session is None:
            raise NotFound(
                "No upload session with this id: it never existed, was cancelled or is already finalized.",
                headers=FINAL,
            )
        if step.cancel:
            await self._store.delete_upload(upload_id)
            self._blobs.delete(session.blob)
            return UploadProgress(session.received_bytes, None)
        if step.upload:
            await self._append(session, step, body)
        if step.finalize:
            return UploadProgress(session.received_bytes, await self._finalize(session))
        return UploadProgress(session.received_bytes, None)

    async def _append(self, session: UploadSession, step: UploadStep, body: AsyncIterator[bytes]) -> None:
        offset = step.offset if step.offset is not None else session.received_bytes
        if offset > session.received_bytes:
            raise InvalidArgument(
                f"Invalid upload offset {offset}: the server has received {session.received_bytes} bytes.",
                headers=_status(session),
            )
        position, hasher = self._hashers.get(session.id, (0, hashlib.sha256()))
        skip = session.received_bytes - offset  # bytes of a re-sent chunk we already have
        received = session.received_bytes
        limit = session.total_bytes if session.total_bytes is not None else self._settings.max_file_bytes
        durable = self._settings.data_dir is not None
        # With a data dir, the chunk is on disk before the session says it has it. The disk starts
        # on it while the rest of the chunk arrives (a sync every few MiB, in a thread), so the
        # sync that ends the chunk has little left to wait for.
        syncing: asyncio.Future[None] | None = None
        unsynced = 0
        # The digest, likewise, is taken a few MiB at a time in a thread (hashlib lets go of the
        # GIL), one batch at a time and in order, while the loop goes on receiving.
        hashing: asyncio.Future[None] | None = None
        unhashed: list[bytes] = []
        unhashed_bytes = 0
        with self._blobs.path(session.blob).open("r+b") as out:
            out.seek(received)
            try:
                async for piece in body:
                    if skip:
                        dropped = min(skip, len(piece))
                        piece, skip = piece[dropped:], skip - dropped
                    if not piece:
                        continue
                    if received + len(piece) > limit:
                        raise InvalidArgument(
                            f"The upload is larger than the {limit} bytes announced.", headers=_status(session)
                        )
                    out.write(piece)
                    if position == received:
                        unhashed.append(piece)
                        unhashed_bytes += len(piece)
                        position += len(piece)
                        if unhashed_bytes >= _HASH_BATCH_BYTES:
                            if hashing is not None:
                                await hashing
                            hashing = asyncio.ensure_future(asyncio.to_thread(_digest_all, hasher, unhashed))
                            unhashed, unhashed_bytes = [], 0
                    received += len(piece)
                    unsynced += len(piece)
                    if durable and unsynced >= _WRITEBACK_BYTES and (syncing is None or syncing.done()):
                        out.flush()
                        syncing = asyncio.ensure_future(asyncio.to_thread(_datasync, out.fileno()))
                        unsynced = 0
                if hashing is not None:
                    await hashing
                _digest_all(hasher, unhashed)
                if syncing is not None:
                    await syncing
            except BaseException:
                # A refused or broken chunk (the client went away mid-body) leaves no trace: the
                # session stays at what it had, and the digest is recomputed from disk at the end.
                busy = [future for future in (syncing, hashing) if future is not None]
                if busy:
                    await asyncio.wait(busy)  # never truncate under a sync still running
                out.truncate(session.received_bytes)
                self._hashers.pop(session.id, None)
                raise
            if durable:  # on disk before the session says it has them
                out.flush()
                await asyncio.to_thread(os.fsync, out.fileno())  # off the event loop: it may take a while
        self._hashers[session.id] = (position, hasher)
        session.received_bytes = received
        await self._store.set_upload_received(session.id, received)

    async def _finalize(self, session: UploadSession) -> File:
        if session.total_bytes is not None and session.received_bytes != session.total_bytes:
            raise InvalidArgument(
                f"The upload was finalized after {session.received_bytes} bytes, but "
                f"{session.total_bytes} bytes were announced.",
                headers=_status(session),
            )
        position, hasher = self._hashers.pop(session.id, (-1, hashlib.sha256()))
        path = self._blobs.path(session.blob)
        digest = hasher.hexdigest() if position == session.received_bytes else await asyncio.to_thread(sha256_hex, path)
        now = self._clock.now_us(session.tenant)
        file = File(
            id=session.file_id,
            tenant=session.tenant,
            display_name=session.display_name,
            mime_type=session.mime_type,
            size_bytes=session.received_bytes,
            sha256_hex=digest,
            state=FileState.ACTIVE,
            source=FileSource.UPLOADED,
            create_us=now,
            update_us=now,
            expire_us=now + round(self._settings.file_retention * MICROS),
            blob=session.blob,
        )
        await self._store.complete_upload(session.id, file)
        return file

    async def get(self, tenant: str, name: str) -> File:
        file_id = file_id_from_name(name)
        file = await self._store.get_file(tenant, file_id, alive_at=self._clock.now_us(tenant))
        if file is None:
            raise file_not_found(file_id)
        return file

    async def list(self, tenant: str, page_size: int, token: int | None) -> Page[File]:
        rows = await self._store.list_files(tenant, token, page_size + 1, alive_at=self._clock.now_us(tenant))
        return paginate(rows, page_size)

    async def delete(self, tenant: str, name: str) -> None:
        file_id = file_id_from_name(name)
        file = await self._store.delete_file(tenant, file_id)
        if file is None:
            raise file_not_found(file_id)
        self._blobs.delete(file.blob)

    async def open_download(self, tenant: str, name: str) -> tuple[File, Path]:
        file = await self.get(tenant, name)
        return file, self._blobs.path(file.blob)


def _status(session: UploadSession) -> dict[str, str]:
    """Error answers on an upload carry `x-goog-upload-status`, or the Python SDK retries for 7 s."""
    return {"x-goog-upload-status": "final", "x-goog-upload-size-received": str(session.received_bytes)}
