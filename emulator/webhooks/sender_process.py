"""The webhook sender process, started by `sender.Sender` (a child of the server, `emulator.children`).

It makes deliveries' HTTP requests, so that their sockets, reads and TLS never take the event loop
that answers the API. Each frame it reads is one request, `(number, url, headers, body, cap,
timeout)`; it makes them all at once, as they come (the dispatcher decides how many are in flight),
and writes `(number, outbound.Answer)` for each as it ends, in whatever order they end, with the
first `outbound.KEPT_BYTES` of the answer's body (all the server keeps). Every request gets an
answer, a failure included. It exits at the end of its stdin, when the server stops or dies; the
attempts it had in flight are then made again after the server's restart.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import BinaryIO

from emulator.children import enter, frame, read_frame
from emulator.webhooks import outbound


class _Sending:
    def __init__(self, answers: BinaryIO) -> None:
        self._answers = answers
        self._poster = outbound.Poster()
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        requests = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(requests), sys.stdin)
        self._write(None)  # ready: everything is imported
        while True:
            try:
                request = await read_frame(requests)
            except asyncio.IncompleteReadError:  # the server has gone
                return
            task = asyncio.create_task(self._send(*request))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send(
        self, number: int, url: str, headers: dict[str, str], body: bytes, cap: int, timeout: float
    ) -> None:
        answer = await self._poster.attempt(url, headers, body, cap=cap, timeout=timeout)
        self._write((number, answer._replace(body=answer.body[: outbound.KEPT_BYTES])))

    def _write(self, value: object) -> None:
        try:
            self._answers.write(frame(value))
            self._answers.flush()
        except OSError:  # the server is gone (killed): so is the one who wanted the answer
            os._exit(0)


def main() -> None:
    answers = enter()
    try:
        asyncio.run(_Sending(answers).run())
    except BrokenPipeError:  # the server is gone (killed): so is the one who wanted the answer
        os._exit(0)


if __name__ == "__main__":
    main()
