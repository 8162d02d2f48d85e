"""One error type, rendered in one place, in Google's `google.rpc.Status` shape.

Code raises an `ApiError` subclass, and two methods render it, for every surface:

- `http_body()`: the out-of-band envelope of an HTTP error answer, the HTTP status as `code`
  (`emulator.asgi.requests.error_response` sends it with the status and the error's headers);
- `status()`: the in-band `google.rpc.Status` of an `Operation.error` and of a batch's error results,
  the gRPC number as `code`, except in JSONL result files, whose error lines carry the HTTP status
  (`status(http_code=True)`), as the real service was observed to write them.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, ClassVar


class Code(Enum):
    """Canonical codes as (gRPC number, HTTP status)."""

    OK = (0, 200)
    CANCELLED = (1, 499)
    UNKNOWN = (2, 500)
    INVALID_ARGUMENT = (3, 400)
    DEADLINE_EXCEEDED = (4, 504)
    NOT_FOUND = (5, 404)
    ALREADY_EXISTS = (6, 409)
    PERMISSION_DENIED = (7, 403)
    RESOURCE_EXHAUSTED = (8, 429)
    FAILED_PRECONDITION = (9, 400)
    ABORTED = (10, 409)
    OUT_OF_RANGE = (11, 400)
    UNIMPLEMENTED = (12, 501)
    INTERNAL = (13, 500)
    UNAVAILABLE = (14, 503)
    DATA_LOSS = (15, 500)
    UNAUTHENTICATED = (16, 401)

    @property
    def rpc(self) -> int:
        return self.value[0]

    @property
    def http(self) -> int:
        return self.value[1]

    @classmethod
    def for_http(cls, status: int) -> Code:
        """The code that best describes an HTTP status we did not raise ourselves (404, 405...)."""
        by_status = {
            400: cls.INVALID_ARGUMENT,
            401: cls.UNAUTHENTICATED,
            403: cls.PERMISSION_DENIED,
            404: cls.NOT_FOUND,
            405: cls.NOT_FOUND,
            409: cls.ALREADY_EXISTS,
            413: cls.INVALID_ARGUMENT,
            429: cls.RESOURCE_EXHAUSTED,
            501: cls.UNIMPLEMENTED,
            503: cls.UNAVAILABLE,
        }
        return by_status.get(status, cls.INTERNAL if status >= 500 else cls.INVALID_ARGUMENT)


# Google's own messages for an error that says nothing more specific, the same on every surface
# (an unavailable service words it differently for a batch line and a model call).
GOOGLE_MESSAGES = {
    Code.INTERNAL: "Internal error encountered.",
    Code.RESOURCE_EXHAUSTED: "Resource has been exhausted (e.g. check quota).",
    Code.DEADLINE_EXCEEDED: "Deadline expired before operation could complete.",
}


class ApiError(Exception):
    """An error the client should see. Subclasses fix the canonical code."""

    default_code: ClassVar[Code] = Code.INTERNAL

    def __init__(
        self,
        message: str,
        *,
        code: Code | None = None,
        headers: dict[str, str] | None = None,
        http_status: int | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code: Code = code or self.default_code
        self.headers = headers or {}
        self._http_status = http_status
        self.details = details

    @property
    def http_status(self) -> int:
        return self._http_status or self.code.http

    def http_body(self) -> dict[str, Any]:
        """The out-of-band envelope: `{"error": {"code": <HTTP>, "message", "status"}}` (+ `details`)."""
        error: dict[str, Any] = {"code": self.http_status, "message": self.message, "status": self.code.name}
        if self.details:
            error["details"] = self.details
        return {"error": error}

    def status(self, *, http_code: bool = False) -> dict[str, Any]:
        """The in-band `google.rpc.Status`, without `details` (the SDK types them as strings): the gRPC
        number as `code`, or the canonical HTTP status with `http_code` (a JSONL result file's lines)."""
        code = self.code.http if http_code else self.code.rpc
        return {"code": code, "message": self.message, "status": self.code.name}


class InvalidArgument(ApiError):
    default_code = Code.INVALID_ARGUMENT


class NotFound(ApiError):
    default_code = Code.NOT_FOUND


class PermissionDenied(ApiError):
    default_code = Code.PERMISSION_DENIED


class AlreadyExists(ApiError):
    default_code = Code.ALREADY_EXISTS


class FailedPrecondition(ApiError):
    default_code = Code.FAILED_PRECONDITION


class ResourceExhausted(ApiError):
    default_code = Code.RESOURCE_EXHAUSTED


class Cancelled(ApiError):
    default_code = Code.CANCELLED


class Internal(ApiError):
    default_code = Code.INTERNAL


class Unavailable(ApiError):
    default_code = Code.UNAVAILABLE


def error_for(code: Code, message: str) -> ApiError:
    """An `ApiError` for a code chosen at run time (fault injection, scripted errors)."""
    return ApiError(message, code=code)


def file_not_found(file_id: str) -> PermissionDenied:
    """The real service answers 403, not 404, for a file that is missing or not the caller's."""
    return PermissionDenied(f"You do not have permission to access the File {file_id} or it may not exist.")


def unknown_field(name: str, where: str) -> InvalidArgument:
    """What Google's JSON parser says about a field it does not know."""
    at = f" at '{where}'" if where else ""
    return InvalidArgument(f'Invalid JSON payload received. Unknown name "{name}"{at}: Cannot find field.')
