"""List paging, as the SDK pagers expect it.

Tokens are opaque strings (a position in newest-first order). A `nextPageToken` is only sent when at
least one more item follows: the Python SDK's Pager raises `IndexError` when a token leads to an
empty page.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from emulator.errors import InvalidArgument

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_position: int | None

    def to_wire(self, field: str, render: Callable[[T], Any], *, token_field: str = "nextPageToken") -> dict[str, Any]:
        """A list call's answer: the rendered items under `field` (left out when there are none) and the
        next page's token, when one follows."""
        body: dict[str, Any] = {field: [render(item) for item in self.items]} if self.items else {}
        if self.next_position is not None:
            body[token_field] = encode_token(self.next_position)
        return body


def encode_token(position: int) -> str:
    return base64.urlsafe_b64encode(f"p{position}".encode()).decode().rstrip("=")


def decode_token(token: str | None) -> int | None:
    if not token:
        return None
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if text.startswith("p") and text[1:].isdigit():
            return int(text[1:])
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidArgument(f"Invalid page token {token!r}: pass back a nextPageToken from a previous list call.")


def page_size(value: str | None, *, default: int, maximum: int) -> int:
    """The page size asked for, clamped to `maximum` (as Google does); 0 or absent means the default."""
    if value is None or value == "":
        return default
    try:
        size = int(value)
    except ValueError:
        raise InvalidArgument(f"Invalid pageSize {value!r}: expected an integer.") from None
    if size < 0:
        raise InvalidArgument(f"Invalid pageSize {size}: must not be negative.")
    return min(size, maximum) if size else default


def paginate(rows: list[tuple[int, T]], size: int) -> Page[T]:
    """Rows fetched with `limit = size + 1`: the extra row only tells whether another page exists."""
    kept = rows[:size]
    return Page([item for _, item in kept], kept[-1][0] if len(rows) > size else None)


def page_params(query: Mapping[str, str], *, default: int, maximum: int) -> tuple[int, int | None]:
    """`pageSize` and `pageToken` (or their snake_case spellings) of a list call: size and position.
    The route's query declaration has already refused them twice, empty or mistyped."""
    size = page_size(query.get("pageSize", query.get("page_size")), default=default, maximum=maximum)
    return size, decode_token(query.get("pageToken") or query.get("page_token"))
