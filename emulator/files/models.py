"""The File resource and the upload session, with the rules the real Files API applies to them."""

from __future__ import annotations

import dataclasses
import mimetypes
import re
from dataclasses import dataclass
from enum import StrEnum

from emulator.errors import FailedPrecondition, InvalidArgument, NotFound

RETENTION_US = 48 * 3600 * 1_000_000
_FILE_ID = re.compile(r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")

# What a batch may read: JSON Lines under its various spellings (the official guide uses "jsonl";
# js-genai's batch-embedding sample application/vnd.google.generativeai.jsonl).
JSONL_MIME_TYPES = frozenset(
    {
        "application/jsonl",
        "application/vnd.google.generativeai.jsonl",
        "application/x-jsonl",
        "application/jsonlines",
        "application/x-jsonlines",
        "application/x-ndjson",
        "application/ndjson",
        "application/json",
        "text/jsonl",
        "text/plain",
    }
)
_MIME_ALIASES = {"jsonl": "application/jsonl", "json": "application/json", "ndjson": "application/x-ndjson"}
_SUPPORTED_FAMILIES = ("text/", "image/", "audio/", "video/")
# application/* types whose bytes are text (JSON and JSON Lines, markup, source code).
TEXT_APPLICATION_TYPES = frozenset(
    {t for t in JSONL_MIME_TYPES if t.startswith("application/")}
    | {
        "application/xml",
        "application/javascript",
        "application/x-javascript",
        "application/x-python",
        "application/x-python-code",
        "application/x-typescript",
        "application/x-sh",
        "application/rtf",
    }
)
_SUPPORTED_APPLICATION = TEXT_APPLICATION_TYPES | {"application/pdf", "application/octet-stream"}


class FileState(StrEnum):
    PROCESSING = "PROCESSING"
    ACTIVE = "ACTIVE"
    FAILED = "FAILED"


class FileSource(StrEnum):
    UPLOADED = "UPLOADED"
    GENERATED = "GENERATED"


@dataclass(slots=True)
class File:
    id: str
    tenant: str
    display_name: str | None
    mime_type: str
    size_bytes: int
    sha256_hex: str
    state: FileState
    source: FileSource
    create_us: int
    update_us: int
    expire_us: int
    blob: str

    @classmethod
    def made(
        cls,
        file_id: str,
        tenant: str,
        *,
        display_name: str | None,
        mime_type: str,
        size_bytes: int,
        sha256_hex: str,
        source: FileSource,
        now_us: int,
        expire_us: int,
        blob: str,
    ) -> File:
        """A file whose bytes are all stored: ACTIVE, created and updated at `now_us`."""
        state = FileState.ACTIVE
        return cls(
            file_id,
            tenant,
            display_name,
            mime_type,
            size_bytes,
            sha256_hex,
            state,
            source,
            now_us,
            now_us,
            expire_us,
            blob,
        )

    @property
    def name(self) -> str:
        return f"files/{self.id}"

    def shown_at(self, now_us: int, *, video: float, audio: float) -> File:
        """The file as a client sees it at `now_us`: a video (audio) upload is `PROCESSING` for `video`
        (`audio`) seconds after it was made, as on the real service, then `ACTIVE`."""
        seconds = processing_seconds(self.mime_type, video=video, audio=audio)
        if seconds and self.state is FileState.ACTIVE and self.source is FileSource.UPLOADED:
            if now_us < self.create_us + round(seconds * 1_000_000):
                return dataclasses.replace(self, state=FileState.PROCESSING)
        return self

    @property
    def is_jsonl(self) -> bool:
        return canonical_mime_type(self.mime_type) in JSONL_MIME_TYPES

    @property
    def is_text(self) -> bool:
        mime = canonical_mime_type(self.mime_type)
        return mime.startswith("text/") or mime in TEXT_APPLICATION_TYPES


@dataclass(slots=True)
class UploadSession:
    """A resumable upload in progress; a row, so it survives a restart."""

    id: str
    tenant: str
    file_id: str
    display_name: str | None
    mime_type: str
    total_bytes: int | None
    received_bytes: int
    blob: str
    create_us: int


@dataclass(frozen=True, slots=True)
class UploadStart:
    """What a client announces when it starts an upload (all of it optional but a MIME type)."""

    total_bytes: int | None
    mime_type: str | None
    display_name: str | None
    name: str | None
    file_name: str | None


@dataclass(frozen=True, slots=True)
class UploadStep:
    """One request to an upload session: bytes to add at `offset`, and/or finalize, query, cancel."""

    upload: bool
    finalize: bool
    query: bool
    cancel: bool
    offset: int | None


@dataclass(frozen=True, slots=True)
class UploadProgress:
    """Where a session stands after a step: the bytes it holds, and the file once finalized."""

    received_bytes: int
    file: File | None


class UploadRejected(InvalidArgument):
    """A step an upload session refuses. The session is left as it was, holding `received_bytes`
    (None when the request was refused before its session was looked at)."""

    def __init__(self, message: str, *, received_bytes: int | None = None) -> None:
        super().__init__(message)
        self.received_bytes = received_bytes


class UploadNotFound(NotFound):
    """No such upload session: it never existed, was cancelled, or became a file and is forgotten."""

    def __init__(
        self, message: str = "No upload session with this id: it never existed, was cancelled or is already finalized."
    ) -> None:
        super().__init__(message)


def file_id_from_name(name: str) -> str:
    """`files/abc` or `abc` → `abc`, validated as the real API does (≤ 40 lowercase alphanumerics or
    dashes, not starting or ending with a dash)."""
    file_id = name.removeprefix("files/")
    if not _FILE_ID.match(file_id):
        raise InvalidArgument(
            f"Invalid file name {name!r}: the id must be 1-40 lowercase letters, digits or dashes, "
            "and must not start or end with a dash."
        )
    return file_id


def normalize_mime_type(mime_type: str) -> str:
    """The MIME type to store for what the client announced: the type as given (`jsonl` stays
    `jsonl`, as the real service echoes it), once its canonical form is known to be supported;
    unsupported types are refused."""
    canonical = canonical_mime_type(mime_type)
    if not (canonical.startswith(_SUPPORTED_FAMILIES) or canonical in _SUPPORTED_APPLICATION):
        raise InvalidArgument(f"Unsupported MIME type: {mime_type}")
    return mime_type.strip()


def processing_seconds(mime_type: str, *, video: float, audio: float) -> float:
    """How long an upload of this type is processed before it can be used: `video` seconds for
    `video/*`, `audio` for `audio/*`, none for anything else (text, JSON Lines, images, PDF)."""
    family = canonical_mime_type(mime_type).split("/", 1)[0]
    return video if family == "video" else audio if family == "audio" else 0.0


def not_active(file_id: str) -> FailedPrecondition:
    """The real answer to using a file that is still `PROCESSING` (or `FAILED`)."""
    return FailedPrecondition(f"The File {file_id} is not in an ACTIVE state and usage is not allowed.")


def canonical_mime_type(mime_type: str) -> str:
    """What a stored type means: lowercase, without parameters, the short spellings expanded
    (`jsonl` -> `application/jsonl`)."""
    value = mime_type.split(";", 1)[0].strip().lower()
    return _MIME_ALIASES.get(value, value)


def guess_mime_type(file_name: str | None) -> str | None:
    if not file_name:
        return None
    if file_name.lower().endswith((".jsonl", ".ndjson")):
        return "application/jsonl"
    return mimetypes.guess_type(file_name)[0]
