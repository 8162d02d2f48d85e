"""File bytes live on disk, not in SQLite: files reach 2 GB and must stream in flat memory.

A blob is named by a key such as `files/abc`; its path is `<data_dir>/blobs/<key>`. Only the
storage layer and the runner's line pipeline touch these paths.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        for sub in ("files", "uploads", "batches"):
            (root / sub).mkdir(parents=True, exist_ok=True)

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
        self.path(key).write_bytes(data)

    def truncate(self, key: str, size: int) -> None:
        path = self.path(key)
        if not path.exists():
            path.touch()
        os.truncate(path, size)


def sha256_hex(path: Path, size: int | None = None) -> str:
    """The SHA-256 of the first `size` bytes of a blob (all of it by default), read in blocks."""
    h = hashlib.sha256()
    remaining = path.stat().st_size if size is None else size
    with path.open("rb") as f:
        while remaining > 0 and (block := f.read(min(1 << 20, remaining))):
            h.update(block)
            remaining -= len(block)
    return h.hexdigest()
