"""Worker processes for the heavy part of a batch: answering its lines.

Answering is CPU-bound Python. In the server's process it would hold the GIL the event loop needs
(control-plane reads would queue behind it) and could use one core at most. With `workers` ≥ 1 the
runner sends each large chunk to a pool of processes, one stripe of the chunk per process (every
`n`-th line), merges their answers back into input order and writes them itself, so checkpoints and
durability do not change. The output is the same byte for byte as with no workers: every answer is
a function of the line and its index alone.

A worker runs `emulator.batches.worker` in a child process of the server (`emulator.children`: a
fresh interpreter, one pickled frame each way per task). The pool starts on demand (the first large
batch), its workers run at a lower priority than the server (a control-plane read never waits for
batch work), and they exit when the server does, even after `kill -9` (their stdin closes).
Small chunks (a slow job's trickle of lines) stay in a thread of the server, where they cost less
than the round trip; so do the lines of a custom responder (`--responder module:callable`), which
may keep state of its own (count its calls, record what it saw) that must stay in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
from pathlib import Path

from emulator import children
from emulator.batches.lines import LineContext
from emulator.batches.pipeline import Answers, merge
from emulator.responder import Responder

log = logging.getLogger("emulator.batches")

MIN_LINES = 500  # fewer lines than this are answered in a thread: the round trip would cost more


def default_workers() -> int:
    """`workers: auto`: one process per core, up to 8; none on a single core, where a process would
    only add its round trips."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 0 if cores <= 1 else min(cores, 8)


class _Worker:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self._turn = asyncio.Lock()  # one task at a time on the pipe, in the order they were sent

    async def ready(self) -> None:
        await children.ready(self.process)

    async def call(self, task: bytes) -> Answers:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        try:
            async with self._turn:
                stdin.write(task)
                await stdin.drain()
                ok, value = await children.read_frame(stdout)
        except (OSError, asyncio.IncompleteReadError) as exc:
            raise children.ChildDied(str(exc) or type(exc).__name__) from None
        except asyncio.CancelledError:
            # Between a task and its answer: the pipe would hand this answer to the next task.
            # The worker goes; the next call finds it dead and the pool starts afresh.
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            raise
        if not ok:
            raise value  # the task's own error (the input file was deleted under us, ...)
        answers: Answers = value
        return answers

    async def stop(self) -> None:
        await children.stop(self.process)


class WorkerPool:
    """`size` worker processes, started on first use. Used by the runner's one task at a time."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._workers: list[_Worker] = []
        self._starting: asyncio.Task[list[_Worker]] | None = None
        # The chunk most likely to be asked for next, already sent to the workers (see `prefetch`).
        self._ahead: tuple[tuple[object, ...], asyncio.Task[list[Answers]]] | None = None

    @property
    def ready(self) -> bool:
        """Whether the workers are running, or have started and wait to be taken into use."""
        starting = self._starting
        return bool(self._workers) or (
            starting is not None and starting.done() and not starting.cancelled() and starting.exception() is None
        )

    def warm(self, responder: Responder) -> None:
        """Start the processes now, without waiting for them (a large batch is about to run)."""
        if _built_in(responder):
            self._start_soon()

    def _start_soon(self) -> None:
        if self.size > 0 and not self._workers and self._starting is None:
            self._starting = asyncio.create_task(self._start())

    def packed(self, ctx: LineContext, lines: int) -> bytes | None:
        """The context pickled for the workers, or None when this chunk is better answered here."""
        if self.size == 0 or lines < MIN_LINES or not _built_in(ctx.responder):
            return None
        return pickle.dumps(ctx, protocol=pickle.HIGHEST_PROTOCOL)

    async def answer(
        self, input_path: Path, input_offset: int, max_lines: int, first_index: int, packed: bytes
    ) -> Answers | None:
        """One chunk answered by every worker, a stripe each; None while the workers are starting, or
        if one could not be started or died: the caller answers the chunk itself (the pool restarts
        on next use), so no chunk ever waits for a process to start."""
        if not self._workers:
            if self._starting is None or not self._starting.done():
                self._start_soon()
                return None
            starting, self._starting = self._starting, None
            try:
                self._workers = starting.result()
            except Exception as exc:  # e.g. `emulator` cannot be imported by a fresh interpreter
                log.warning("batch worker processes could not start (%s); lines are answered in the server", exc)
                self.size = 0
                return None
        task = (input_path, input_offset, max_lines, first_index, packed)
        ahead, self._ahead = self._ahead, None
        try:
            if ahead is not None and ahead[0] == task:
                shares = await ahead[1]
            else:
                shares = await self._call_all(task)
        except (children.ChildDied, OSError) as exc:
            log.warning("a batch worker process failed (%s); answering in the server until it restarts", exc)
            await self.close()
            return None
        return merge(shares)

    def prefetch(self, input_path: Path, input_offset: int, max_lines: int, first_index: int, packed: bytes) -> None:
        """Send the next chunk to the workers now, while the server writes and checkpoints the last
        one; `answer` with the same arguments then takes its result. Anything else asked of the
        workers (another batch's chunk, a changed context) simply queues behind it."""
        if self._workers:
            task = (input_path, input_offset, max_lines, first_index, packed)
            running = asyncio.create_task(self._call_all(task))
            running.add_done_callback(_quietly)  # a prefetch nobody takes must not warn
            self._ahead = (task, running)

    async def _call_all(self, task: tuple[object, ...]) -> list[Answers]:
        workers = self._workers
        return list(
            await asyncio.gather(
                *(worker.call(children.frame((*task, stripe, len(workers)))) for stripe, worker in enumerate(workers))
            )
        )

    async def close(self) -> None:
        """Stop the workers (each exits once its stdin closes)."""
        self._ahead = None
        starting, self._starting = self._starting, None
        if starting is not None:
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                self._workers = await starting
        workers, self._workers = self._workers, []
        await asyncio.gather(*(worker.stop() for worker in workers), return_exceptions=True)

    async def _start(self) -> list[_Worker]:
        workers = []
        try:
            for _ in range(self.size):
                workers.append(_Worker(await children.spawn("emulator.batches.worker")))
            for worker in workers:  # each says when it has imported what it needs
                await asyncio.wait_for(worker.ready(), 60)
        except BaseException:
            await asyncio.gather(*(worker.stop() for worker in workers), return_exceptions=True)
            raise
        return workers


def _quietly(task: asyncio.Task[list[Answers]]) -> None:
    if not task.cancelled():
        task.exception()


def _built_in(responder: Responder) -> bool:
    """The emulator's own responders (the fake model, with or without scripted rules): stateless,
    so any number of copies answer exactly as the one in the server would."""
    from emulator.responder.default import DefaultResponder
    from emulator.responder.scripted import ScriptedResponder

    if isinstance(responder, ScriptedResponder):
        return type(responder.base) is DefaultResponder
    return type(responder) is DefaultResponder
