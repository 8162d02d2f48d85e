"""The synchronous model calls: the batch responder, plus the caller's files for `fileData` parts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.errors import ApiError
from emulator.files.service import FilesService
from emulator.generation import wire
from emulator.responder import FileInfo, FileLookup, RequestInfo, Responder


class GenerationService:
    """Answers `generateContent` and `embedContent` exactly as a batch line with the same request
    would be answered (same responder, same `RequestInfo` apart from the line key)."""

    def __init__(self, responder: Responder, files: FilesService) -> None:
        self._responder = responder
        self._files = files

    async def generate(self, tenant: str, request: Mapping[str, Any], model: str) -> dict[str, Any]:
        info = RequestInfo(model=model, files=await self._lookup(tenant, request))
        return self._responder.generate(request, info)

    def embed(self, requests: list[tuple[dict[str, Any], str]]) -> list[dict[str, Any]]:
        return [self._responder.embed(request, RequestInfo(model=model)) for request, model in requests]

    async def _lookup(self, tenant: str, request: Mapping[str, Any]) -> FileLookup | None:
        """Resolve every uploaded file the request names before the (synchronous) responder runs."""
        uris = wire.file_uris(request)
        if not uris:
            return None
        found: dict[str, FileInfo | None] = {}
        for name in {wire.file_name(uri) for uri in uris}:
            try:
                file = await self._files.get(tenant, name)
            except ApiError:  # missing, another key's, or a malformed id: the responder reports it
                found[name] = None
            else:
                found[name] = FileInfo(name=file.name, mime_type=file.mime_type, size_bytes=file.size_bytes)
        return lambda uri: found.get(wire.file_name(uri))
