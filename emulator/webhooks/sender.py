"""Where deliveries' HTTP requests are made: in a process of their own, off the API's event loop.

Connecting, writing, reading and closing a socket is a dozen steps of the event loop per attempt;
while a thousand events go out, those steps would queue in front of the API's requests. The
`Sender` hands each request to the webhook sender process (`sender_process.py`, started on the first
delivery, at a lower priority than the server) and gets back its `outbound.Answer`: the server's
share of an attempt is one frame out and one frame in.

If the process cannot be started, requests are made here instead, from then on (with a warning). If
it dies, or gives no answer within an attempt's timeout and `GRACE`, the attempts it had in flight
fail (a failed attempt like any other: retried on the backoff schedule with the same `webhook-id`,
and counted among the attempts), it is stopped, and the next request starts a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from emulator import children
from emulator.webhooks import outbound

log = logging.getLogger("emulator.webhooks")

MODULE = "emulator.webhooks.sender_process"
GRACE = 5.0  # real seconds past an attempt's own timeout before the server stops waiting for it
START_TIMEOUT = 60.0
_GONE = outbound.Answer(None, b"", "the webhook sender process exited during the attempt", 0.0)


class Sender:
    def __init__(self, module: str = MODULE) -> None:
        self._module = module  # what the child runs
        self._process: asyncio.subprocess.Process | None = None
        self._starting: asyncio.Task[asyncio.subprocess.Process] | None = None
        self._reading: asyncio.Task[None] | None = None
        self._waiting: dict[int, asyncio.Future[outbound.Answer]] = {}  # the current process's attempts
        self._count = 0
        self._here = False  # the process could not be started: requests are made in the server
        self._poster = outbound.Poster()  # how the server makes them then

    async def post(
        self, url: str, headers: dict[str, str], body: bytes, *, cap: int, timeout: float
    ) -> outbound.Answer:
        """One attempt's request (`outbound.attempt`), made by the sender process."""
        process = None if self._here else await self._running()
        if process is None or process.stdin is None:
            return await self._poster.attempt(url, headers, body, cap=cap, timeout=timeout)
        self._count += 1
        number = self._count
        answered = asyncio.get_running_loop().create_future()
        waiting = self._waiting
        waiting[number] = answered
        try:
            if self._reading is None or self._reading.done():  # it has died since `_running` looked
                return _GONE
            process.stdin.write(children.frame((number, url, headers, body, cap, timeout)))
            return await asyncio.wait_for(answered, timeout + GRACE)
        except TimeoutError:  # it stopped answering: the next request starts another
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            return outbound.Answer(None, b"", f"no answer within {timeout:g} s", timeout * 1000)
        finally:
            waiting.pop(number, None)

    async def close(self) -> None:
        starting, self._starting = self._starting, None
        if starting is not None:
            starting.cancel()
            with contextlib.suppress(BaseException):
                await starting
        process, self._process = self._process, None
        if process is not None:
            await children.stop(process)
        reading, self._reading = self._reading, None
        if reading is not None:
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading

    async def _running(self) -> asyncio.subprocess.Process | None:
        """The sender process, started (once, however many attempts ask at the same time) if need be;
        None if it cannot be started."""
        if self._process is not None and self._process.returncode is None:
            return self._process
        if self._starting is None:
            self._starting = asyncio.create_task(self._start())
        starting = self._starting
        try:
            return await asyncio.shield(starting)
        except Exception as exc:
            if not self._here:
                log.warning("the webhook sender process could not start (%s); deliveries are sent by the server", exc)
            self._here = True
            return None
        finally:
            if self._starting is starting and starting.done():
                self._starting = None

    async def _start(self) -> asyncio.subprocess.Process:
        process = await children.spawn(self._module)
        try:
            await asyncio.wait_for(children.ready(process), START_TIMEOUT)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await asyncio.shield(process.wait())
            raise
        self._process = process
        self._waiting = {}
        self._reading = asyncio.create_task(self._read(process, self._waiting))
        return process

    async def _read(
        self, process: asyncio.subprocess.Process, waiting: dict[int, asyncio.Future[outbound.Answer]]
    ) -> None:
        """Hand each answer to the attempt waiting for it, until the process ends; then fail the
        attempts still in flight (this process's: a new one has a `waiting` of its own)."""
        assert process.stdout is not None
        try:
            while True:
                number, answer = await children.read_frame(process.stdout)
                answered = waiting.get(number)
                if answered is not None and not answered.done():
                    answered.set_result(answer)
        except (asyncio.IncompleteReadError, OSError, EOFError):
            pass
        if self._process is process:
            self._process = None
        for answered in list(waiting.values()):
            if not answered.done():
                answered.set_result(_GONE)
