"""One batch worker process, started by `workers.WorkerPool` (or `python -m emulator.batches.worker`).

It reads tasks from stdin and writes answers to stdout, one length-prefixed pickled frame each, until
its stdin closes: when the server stops, or dies (`kill -9` included), the worker exits with it.
A task is one stripe of one chunk: `(input_path, input_offset, max_lines, first_index, packed
LineContext, stripe, stripes)`; the answer is `(True, Answers)` or `(False, the exception)`.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
from typing import BinaryIO

# Everything a task's context refers to, imported before the worker says it is ready, so that the
# first task does not pay for it.
import emulator.batches.models
import emulator.faults.rules
import emulator.responder.default
import emulator.responder.scripted
import emulator.validation.validator  # noqa: F401
from emulator.batches.pipeline import answer_lines
from emulator.batches.pool import FRAME_HEADER, frame
from emulator.validation import schema

schema.messages()  # Google's schema compiled (and protobuf imported) before the first line, not during it

NICENESS = 10  # yield the CPU to the server (and to whatever else runs on the machine)


def serve(tasks: BinaryIO, answers: BinaryIO) -> None:
    answers.write(frame((True, None)))  # ready: everything is imported
    answers.flush()
    while header := tasks.read(FRAME_HEADER):
        if len(header) < FRAME_HEADER:
            return
        size = int.from_bytes(header, "big")
        data = tasks.read(size)
        if len(data) < size:
            return
        input_path, input_offset, max_lines, first_index, packed, stripe, stripes = pickle.loads(data)
        result: tuple[bool, object]
        try:
            ctx = pickle.loads(packed)
            result = (True, answer_lines(input_path, input_offset, max_lines, first_index, ctx, stripe, stripes))
        except Exception as exc:  # sent back, raised in the server like the thread's own errors
            result = (False, exc)
        answers.write(frame(result))
        answers.flush()


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle; EOF stops us
    try:
        os.nice(NICENESS)
    except (OSError, AttributeError):  # not permitted here, or no nice() (Windows): the same priority
        pass
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print() must not corrupt a frame
    sys.stdout = sys.stderr
    try:
        serve(sys.stdin.buffer, answers)
    except BrokenPipeError:  # the server is gone (killed): so is the one who wanted the answer
        os._exit(0)


if __name__ == "__main__":
    main()
