"""BlobStore.append and digest: the byte handling of uploads, in process."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest

from emulator.storage.blobs import BlobConflict, BlobStore, BlobTooLarge

LIMIT = 1 << 30


async def _pieces(pieces: Iterable[bytes], fail_after: int | None = None) -> AsyncIterator[bytes]:
    for i, piece in enumerate(pieces):
        if fail_after is not None and i == fail_after:
            raise ConnectionError("the client went away")
        yield piece


def _append(
    blobs: BlobStore,
    pieces: Iterable[bytes],
    at: int,
    size: int,
    *,
    limit: int = LIMIT,
    durable: bool = False,
    fail_after: int | None = None,
) -> int:
    body = _pieces(pieces, fail_after)
    return asyncio.run(blobs.append("uploads/x", body, at=at, size=size, limit=limit, durable=durable))


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    store = BlobStore(tmp_path)
    store.write("uploads/x", b"")
    return store


@pytest.mark.parametrize("durable", [False, True])
def test_appends_pieces_and_keeps_a_running_digest(blobs: BlobStore, durable: bool) -> None:
    data = bytes(range(256)) * 9000  # over the hashing batch, so the digest is taken in a thread
    assert _append(blobs, [data[:1000], data[1000:]], 0, 0, durable=durable) == len(data)
    assert _append(blobs, [b"tail"], len(data), len(data), durable=durable) == len(data) + 4
    assert blobs.path("uploads/x").read_bytes() == data + b"tail"
    assert asyncio.run(blobs.digest("uploads/x", len(data) + 4)) == hashlib.sha256(data + b"tail").hexdigest()


def test_bytes_sent_again_must_match_and_only_the_new_ones_are_appended(blobs: BlobStore) -> None:
    _append(blobs, [b"hello "], 0, 0)
    assert _append(blobs, [b"llo ", b"world"], 2, 6) == 11
    with pytest.raises(BlobConflict) as refused:
        _append(blobs, [b"hellO", b" there"], 0, 11)
    assert refused.value.offset == 0
    assert blobs.path("uploads/x").read_bytes() == b"hello world"
    assert asyncio.run(blobs.digest("uploads/x", 11)) == hashlib.sha256(b"hello world").hexdigest()


def test_a_failed_append_leaves_the_blob_as_it_was(blobs: BlobStore) -> None:
    _append(blobs, [b"kept"], 0, 0)
    with pytest.raises(ConnectionError):
        _append(blobs, [b"lost", b"lost", b"never"], 4, 4, fail_after=2)
    with pytest.raises(BlobTooLarge):
        _append(blobs, [b"12345", b"6"], 4, 4, limit=9)
    assert blobs.path("uploads/x").read_bytes() == b"kept"
    assert asyncio.run(blobs.digest("uploads/x", 4)) == hashlib.sha256(b"kept").hexdigest()


def test_bytes_past_the_recorded_size_are_not_the_blobs(blobs: BlobStore) -> None:
    blobs.path("uploads/x").write_bytes(b"abcSTALE")  # a crash between a write and its record
    assert _append(blobs, [b"d"], 3, 3) == 4
    assert blobs.path("uploads/x").read_bytes() == b"abcd"
    assert asyncio.run(blobs.digest("uploads/x", 4)) == hashlib.sha256(b"abcd").hexdigest()
