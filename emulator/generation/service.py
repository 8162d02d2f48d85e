"""The synchronous model calls: validation, then the batch responder (plus the caller's files for
`fileData` parts)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from emulator.errors import ApiError, InvalidArgument
from emulator.files.models import FileState
from emulator.files.service import FilesService
from emulator.generation import wire
from emulator.responder import FileInfo, FileLookup, RequestInfo, Responder

if TYPE_CHECKING:
    from emulator.validation.validator import Validator

log = logging.getLogger("emulator.validation")


class GenerationService:
    """Answers `generateContent` and `embedContent` exactly as a batch line with the same request
    would be answered (same responder, same `RequestInfo` apart from the line key).

    The `*_content`/`count_tokens` methods serve the Gemini surface: they validate the body as sent
    (Google's schema and checks, `validator`) first. `generate` and `embed` take requests already
    parsed, for the OpenAI-compatible surface, which keeps its own errors."""

    def __init__(self, responder: Responder, files: FilesService, validator: Validator | None = None) -> None:
        self._responder = responder
        self._files = files
        self._validator = validator
        self.warnings: list[str] = []  # what lenient validation let through in this call

    async def generate_content(
        self, tenant: str, body: Mapping[str, Any], model: str, *, method: str, version: str
    ) -> dict[str, Any]:
        self._warn(self._checker().request(body, model, embed=False, method=method, version=version))
        request, name = wire.parse_generate(body, model)
        return await self.generate(tenant, request, name)

    def count_tokens(self, body: Mapping[str, Any], model: str, *, version: str) -> dict[str, Any]:
        self._warn(self._checker().count_tokens(body, model, version=version))
        return wire.count_tokens(body)

    def embed_content(self, body: Mapping[str, Any], model: str, *, version: str) -> dict[str, Any]:
        self._warn(self._checker().request(body, model, embed=True, method="embedContent", version=version))
        (embedding,) = self.embed([wire.parse_embed(body, model)])
        return embedding

    def batch_embed_contents(self, body: Mapping[str, Any], model: str, *, version: str) -> dict[str, Any]:
        validator = self._checker()
        self._warn(validator.schema("BatchEmbedContentsRequest", body))
        validator.model(model, "batchEmbedContents", version=version)
        parsed = wire.parse_batch_embed(body, model)
        if validator.enabled:
            for index, (request, name) in enumerate(parsed):
                path = f"requests[{index}]"
                try:
                    validator.request(
                        request, name, embed=True, method="batchEmbedContents", version=version, path=path
                    )
                except InvalidArgument as error:
                    raise InvalidArgument(
                        error.message.replace("EmbedContentRequest", f"BatchEmbedContentsRequest.{path}")
                    ) from None
        answers = self.embed(parsed)
        return {"embeddings": [answer["embedding"] for answer in answers]}

    async def generate(self, tenant: str, request: Mapping[str, Any], model: str) -> dict[str, Any]:
        info = RequestInfo(model=model, files=await self._lookup(tenant, request))
        return self._responder.generate(request, info)

    def embed(self, requests: list[tuple[dict[str, Any], str]]) -> list[dict[str, Any]]:
        return [self._responder.embed(request, RequestInfo(model=model)) for request, model in requests]

    def _checker(self) -> Validator:
        if self._validator is None:  # the OpenAI surface's calls never validate
            raise RuntimeError("this GenerationService was made without a validator")
        return self._validator

    def _warn(self, warnings: list[str]) -> None:
        for warning in warnings:
            log.warning("lenient validation let through: %s", warning)
        self.warnings.extend(warnings)

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
                found[name] = FileInfo(
                    name=file.name,
                    mime_type=file.mime_type,
                    size_bytes=file.size_bytes,
                    active=file.state is FileState.ACTIVE,
                )
        return lambda uri: found.get(wire.file_name(uri))
