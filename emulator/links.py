"""How a client reaches the emulator: the base URL and API version that absolute URLs (`uri`,
`downloadUri`, upload sessions) are built from. A plain value: `asgi.requests.links_of(request)`
makes one from a request, the wire modules read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Links:
    """`base`: scheme, host and base path (or `--public-url`); `version`: `v1`, `v1beta`, ..."""

    base: str
    version: str
