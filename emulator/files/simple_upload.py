"""The non-resumable upload forms on `POST /upload/{v}/files`, as discovery clients send them.

Google's discovery document gives `media.upload` a `simple` upload protocol (`multipart: true`) at
`/upload/{v}/files`; the `googleapis` Node.js client (Google's file-API sample) and Python's
`googleapiclient` use it:

- `?uploadType=media`: the body is the file's bytes, `Content-Type` its MIME type; no metadata.
- `?uploadType=multipart`: a `multipart/related` body, the JSON metadata (`{"file": {"displayName"}}`,
  as in the resumable start) first, then the bytes with their `content-type`.

Either answers `{"file": File}`, like the resumable protocol's final step. The bytes are streamed into
the Files service (hashed and written as they arrive), never buffered whole.
"""

from __future__ import annotations

from email.message import Message

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response

from emulator import googlejson
from emulator.asgi.requests import JSONResponse, emulator_of, links_of, tenant_of
from emulator.errors import InvalidArgument
from emulator.files import wire
from emulator.openai.multipart import MultipartReader, Part


class RelatedReader(MultipartReader):
    """A `multipart/related` body: parts have a `content-type` and no name."""

    def part(self, head: str) -> Part:
        headers = Headers(raw=[_header(line) for line in head.split("\r\n") if ":" in line])
        return Part(name="", filename=None, content_type=headers.get("content-type"))


def _header(line: str) -> tuple[bytes, bytes]:
    name, _, value = line.partition(":")
    return name.strip().lower().encode("latin-1"), value.strip().encode("latin-1")


def _boundary(content_type: str | None) -> bytes:
    message = Message()
    message["content-type"] = content_type or ""
    boundary = message.get_param("boundary")
    if message.get_content_type() != "multipart/related" or not isinstance(boundary, str) or not boundary:
        raise InvalidArgument(
            f"uploadType=multipart needs a multipart/related body with a boundary, not {content_type or 'none'!r}."
        )
    return boundary.encode("latin-1")


async def simple_upload(request: Request, upload_type: str) -> Response:
    files, tenant = emulator_of(request).files, tenant_of(request)
    if upload_type == "media":
        announced = request.headers.get("content-length", "")
        file = await files.create(
            tenant,
            request.stream(),
            mime_type=request.headers.get("content-type", ""),
            size=int(announced) if announced.isdigit() else None,
        )
    else:
        reader = RelatedReader(request.stream().__aiter__(), _boundary(request.headers.get("content-type")))
        parts = reader.parts()
        if await anext(parts, None) is None:
            raise InvalidArgument("The multipart/related body has no metadata part.")
        try:
            metadata = googlejson.loads(await reader.field())
        except googlejson.JsonSyntaxError as exc:
            raise InvalidArgument(str(exc)) from None
        if not isinstance(metadata, dict):
            raise InvalidArgument("Invalid JSON payload received. Expected a JSON object at the top level.")
        start = wire.parse_upload_start(Headers(), metadata)
        media = await anext(parts, None)
        if media is None:
            raise InvalidArgument("The multipart/related body has no media part after the metadata.")
        file = await files.create(
            tenant,
            reader.content(),
            mime_type=media.content_type or start.mime_type or "",
            display_name=start.display_name,
            name=start.name,
        )
        async for _ in parts:  # read up to the closing boundary; parts after the media are ignored
            pass
    links = links_of(request, emulator_of(request).settings.public_url)
    return JSONResponse({"file": wire.file_to_wire(file, links)})
