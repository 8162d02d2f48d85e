"""uvicorn's HTTP/1.1 protocol, with the answer to a request it cannot parse in Google's JSON shape.

A garbage request line, binary noise, a malformed header, or a request line and headers that are
still incomplete after `MAX_HEADER_BYTES` never reach the app: uvicorn answers them itself, in plain
text. This protocol answers them as every other error, `{"error": {"code", "message", "status"}}`:
431 for headers over the limit (h11's hint), 400 for the rest; then it closes the connection, as
uvicorn does (a client still sending may see a reset rather than the answer).
"""

from __future__ import annotations

import sys
from http import HTTPStatus
from typing import Any

import h11
import orjson
from uvicorn.protocols.http.h11_impl import H11Protocol

from emulator.errors import InvalidArgument

MAX_HEADER_BYTES = 64 * 1024


class GoogleShapeH11Protocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        # uvicorn calls this from its `except h11.RemoteProtocolError` block: the error is at hand.
        problem = sys.exc_info()[1]
        status = problem.error_status_hint if isinstance(problem, h11.RemoteProtocolError) else 400
        if status == 431:
            message = (
                f"Request header fields too large: the request line and headers must fit in {MAX_HEADER_BYTES} bytes."
            )
        else:
            message = f"Invalid HTTP request received: {problem or msg}."
            status = 400
        body = orjson.dumps(InvalidArgument(message, http_status=status).http_body())
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        for event in (
            h11.Response(status_code=status, headers=headers, reason=HTTPStatus(status).phrase.encode()),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()


def uvicorn_options() -> dict[str, Any]:
    """What `uvicorn.Config` needs for these answers (the CLI and the in-process test server use it)."""
    return {"http": GoogleShapeH11Protocol, "h11_max_incomplete_event_size": MAX_HEADER_BYTES}
