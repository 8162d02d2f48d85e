"""Persistence: SQLite for metadata (`sqlite.py`), a directory of blobs for bytes (`blobs.py`)."""
