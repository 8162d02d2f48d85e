"""Persistence: the `Store` port (`port.py`) and its SQLite backend (`sqlite.py`) for metadata, a
directory of blobs for bytes (`blobs.py`)."""

from emulator.storage.port import Store

__all__ = ["Store"]
