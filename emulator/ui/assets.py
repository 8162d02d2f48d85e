"""The dashboard's script, stylesheet and icon: hand-written files shipped in the package.

No CDN and no build step. Each URL carries a hash of the file's content, so browsers may keep it
forever and still get the new one after an upgrade.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response

from emulator.errors import NotFound

TYPES = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}


@cache
def asset(name: str) -> tuple[bytes, str]:
    """A static file's bytes and the hash of its content."""
    data = resources.files("emulator.ui").joinpath("static", name).read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:12]


def asset_url(base: str, name: str) -> str:
    return f"{base}/static/{name}?v={asset(name)[1]}"


async def serve_asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in TYPES:
        raise NotFound(f"No dashboard asset {name!r}.")
    data, digest = asset(name)
    cache = "public, max-age=31536000, immutable" if request.query_params.get("v") == digest else "no-cache"
    return Response(data, media_type=TYPES[name], headers={"cache-control": cache, "etag": f'"{digest}"'})
