"""File bytes live on disk, not in SQLite: files reach 2 GB and must stream in flat memory.

A blob is named by a key such as `files/abc`; its path is `<data_dir>/blobs/<key>`. Only the
storage layer and the runner's line pipeline touch these paths.

`append` is how bytes arrive in pieces (an upload's chunks): it writes them after what the blob
already holds, checks that bytes sent again over what is already there are the same, keeps a
running SHA-256 so that `digest` rarely has to read the blob back, and (when asked to be durable)
has the bytes on disk before it returns. A failed append leaves the blob as it was.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
from collections.abc import AsyncIterable
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from hashlib import _Hash as Hash

_WRITEBACK_BYTES = 2 * 1024 * 1024  # while appending durably, sync what has arrived every this many bytes
_HASH_BATCH_BYTES = 1024 * 1024  # and hash it in a thread in batches of this many bytes
_datasync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


class BlobConflict(Exception):
    """Bytes sent again at an offset the blob already holds differ from the bytes there."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"the bytes at offset {offset} differ from those already stored")
        self.offset = offset


class BlobTooLarge(Exception):
    """An append would take the blob past the limit it was given."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        for sub in ("files", "uploads", "batches"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        # key -> (bytes hashed so far, the digest of them): what `append` has seen, for `digest`.
        self._digests: dict[str, tuple[int, Hash]] = {}

    def path(self, key: str) -> Path:
        if ".." in key.split("/") or key.startswith("/"):
            raise ValueError(f"bad blob key {key!r}")
        return self.root / key

    def size(self, key: str) -> int:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return 0

    def delete(self, key: str) -> None:
        self._digests.pop(key, None)
        self.path(key).unlink(missing_ok=True)

    def link(self, src: str, dst: str) -> None:
        """Give `dst` the bytes of `src` without copying them where the filesystem allows."""
        target = self.path(dst)
        target.unlink(missing_ok=True)
        try:
            os.link(self.path(src), target)
        except OSError:
            shutil.copyfile(self.path(src), target)

    def write(self, key: str, data: bytes) -> None:
        self._digests.pop(key, None)
        self.path(key).write_bytes(data)

    def truncate(self, key: str, size: int) -> None:
        self._digests.pop(key, None)
        path = self.path(key)
        if not path.exists():
            path.touch()
        os.truncate(path, size)

    async def append(
        self, key: str, pieces: AsyncIterable[bytes], *, at: int, size: int, limit: int, durable: bool
    ) -> int:
        """Write `pieces` from offset `at` into a blob whose first `size` bytes are in place (`at` <=
        `size`), and return the blob's new size. The pieces' bytes before `size` must equal those
        stored (`BlobConflict`); the rest is appended, up to `limit` bytes in all (`BlobTooLarge`).
        With `durable`, the bytes are on disk before this returns. On any failure (a client that went
        away mid-body included) the blob is cut back to `size` bytes."""
        if at > size:
            raise ValueError(f"append at {at} past the end ({size}) of {key!r}")
        with self.path(key).open("r+b") as out:
            out.truncate(size)  # bytes past `size` (a crash between a write and its record) are not the blob's
            writer = _Appender(out, self._digests.pop(key, (0, hashlib.sha256())), size, durable)
            try:
                await writer.run(pieces, at, limit)
            except BaseException:
                await writer.settle()  # never truncate under a sync still running
                out.truncate(size)
                if writer.end == size:  # nothing was appended: the running digest still holds
                    self._digests[key] = writer.digest
                raise
        if writer.hashed == writer.end:  # a digest of the whole blob, for `digest`
            self._digests[key] = writer.digest
        return writer.end

    async def digest(self, key: str, size: int) -> str:
        """The SHA-256 (hex) of the blob's first `size` bytes: the running digest `append` kept when it
        covers exactly those bytes, or else read back from disk."""
        hashed, hasher = self._digests.pop(key, (-1, None))
        if hasher is not None and hashed == size:
            return hasher.hexdigest()
        return await asyncio.to_thread(sha256_hex, self.path(key), size)


class _Appender:
    """One `append`: the disk starts syncing what has arrived while the rest comes in (a sync every
    few MiB, in a thread), so that the sync which ends it has little left to wait for; the digest,
    likewise, is taken a batch at a time in a thread (hashlib lets go of the GIL), in order."""

    def __init__(self, out: IO[bytes], digest: tuple[int, Hash], size: int, durable: bool) -> None:
        self.out = out
        self.hashed, self.hasher = digest
        self.end = size
        self.durable = durable
        self.syncing: asyncio.Future[None] | None = None
        self.unsynced = 0
        self.hashing: asyncio.Future[None] | None = None
        self.unhashed: list[bytes] = []
        self.unhashed_bytes = 0

    @property
    def digest(self) -> tuple[int, Hash]:
        return self.hashed, self.hasher

    async def run(self, pieces: AsyncIterable[bytes], at: int, limit: int) -> None:
        position = at
        self.out.seek(self.end)
        async for piece in pieces:
            if position < self.end:  # bytes sent again: they must be the ones we have
                overlap = piece[: self.end - position]
                self.out.seek(position)
                if self.out.read(len(overlap)) != overlap:
                    raise BlobConflict(position)
                position += len(overlap)
                piece = piece[len(overlap) :]
                if not piece:
                    continue
                self.out.seek(self.end)
            if self.end + len(piece) > limit:
                raise BlobTooLarge(limit)
            self.out.write(piece)
            await self._hash(piece)
            self.end += len(piece)
            position = self.end
            self.unsynced += len(piece)
            if self.durable and self.unsynced >= _WRITEBACK_BYTES and (self.syncing is None or self.syncing.done()):
                self.out.flush()
                self.syncing = asyncio.ensure_future(asyncio.to_thread(_datasync, self.out.fileno()))
                self.unsynced = 0
        if self.hashing is not None:
            await self.hashing
        _digest_all(self.hasher, self.unhashed)
        if self.syncing is not None:
            await self.syncing
        if self.durable:
            self.out.flush()
            await asyncio.to_thread(os.fsync, self.out.fileno())  # off the event loop: it may take a while

    async def _hash(self, piece: bytes) -> None:
        if self.hashed != self.end:  # the digest does not cover the blob so far: `digest` reads it back
            return
        self.unhashed.append(piece)
        self.unhashed_bytes += len(piece)
        self.hashed += len(piece)
        if self.unhashed_bytes >= _HASH_BATCH_BYTES:
            if self.hashing is not None:
                await self.hashing
            self.hashing = asyncio.ensure_future(asyncio.to_thread(_digest_all, self.hasher, self.unhashed))
            self.unhashed, self.unhashed_bytes = [], 0

    async def settle(self) -> None:
        busy = [future for future in (self.syncing, self.hashing) if future is not None]
        if busy:
            await asyncio.wait(busy)


def _digest_all(hasher: Hash, pieces: list[bytes]) -> None:
    for piece in pieces:
        hasher.update(piece)


def sha256_hex(path: Path, size: int | None = None) -> str:
    """The SHA-256 of the first `size` bytes of a blob (all of it by default), read in blocks."""
    h = hashlib.sha256()
    remaining = path.stat().st_size if size is None else size
    with path.open("rb") as f:
        while remaining > 0 and (block := f.read(min(1 << 20, remaining))):
            h.update(block)
            remaining -= len(block)
    return h.hexdigest()
