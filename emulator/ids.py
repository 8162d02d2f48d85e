"""Identifiers and randomness, all derived from the one seed.

`derive_rng(seed, *keys)` gives an independent, reproducible `random.Random` per purpose, so the
same seed and the same calls give the same ids, outputs and faults, whatever order work happens in.
"""

from __future__ import annotations

import hashlib
import random
import secrets

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def stable_digest(*parts: str | bytes) -> bytes:
    """A SHA-256 over the parts, unambiguous about where one part ends (each is length-prefixed)."""
    return hashlib.sha256(length_prefixed(*parts)).digest()


def length_prefixed(*parts: str | bytes) -> bytes:
    """What `stable_digest` hashes: each part after its length. Digesting `length_prefixed(a, b) +
    length_prefixed(c)` equals `stable_digest(a, b, c)`, so a caller may build a common prefix once."""
    encoded = [part.encode() if isinstance(part, str) else part for part in parts]
    return b"".join(len(p).to_bytes(8, "big") + p for p in encoded)


def derive_rng(seed: int, *keys: str | bytes) -> random.Random:
    return rng_from_digest(stable_digest(str(seed), *keys))


def rng_from_digest(digest: bytes) -> random.Random:
    """A generator seeded by a digest already taken (of the seed and the keys it depends on)."""
    return random.Random(int.from_bytes(digest[:16], "big"))


def base36(data: bytes, length: int) -> str:
    n = int.from_bytes(data, "big")
    chars = []
    for _ in range(length):
        n, r = divmod(n, 36)
        chars.append(_ALPHABET[r])
    return "".join(chars)


def resource_id(seed: int, kind: str, n: int, length: int) -> str:
    """The n-th id of a kind (`file`, `batch`, ...) for a seed: lowercase alphanumerics, never `-`."""
    return base36(stable_digest(str(seed), kind, str(n)), length)


def capability_token() -> str:
    """An unguessable token (upload session ids act as credentials: the Python SDK sends no key on
    chunks). Deliberately not seeded: it must not be predictable from the seed."""
    return secrets.token_urlsafe(24)


def unique_key(prefix: str) -> str:
    """An API key no other test run uses (the pytest plugin gives one to each test). Random on purpose:
    runs sharing a sidecar must not collide, and a key never shapes the emulator's answers."""
    return f"{prefix}{secrets.token_hex(10)}"


def tenant_for_key(key: str | None) -> str:
    """State is partitioned by API key. The key itself is never stored, only this fingerprint."""
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:16] if key else ANONYMOUS


ANONYMOUS = "anonymous"
# The owner of seeded items that name no key: every key reads them (get, list, download, batch input),
# none changes them (docs/seeding.md).
SHARED = "shared"
