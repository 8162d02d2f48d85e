"""One batch worker process, started by `pool.WorkerPool` (or `python -m emulator.batches.worker`).

It reads tasks from stdin and writes answers to stdout, one length-prefixed pickled frame each, until
its stdin closes: when the server stops, or dies (`kill -9` included), the worker exits with it.
A task is one stripe of one chunk: `(input_path, input_offset, max_lines, first_index, packed
LineContext, stripe, stripes)`; the answer is `(True, Answers)` or `(False, the exception)`.
"""

from __future__ import annotations

import os
import pickle
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
from emulator.children import enter, frame, read_frame_blocking
from emulator.validation import schema

schema.messages()  # Google's schema compiled (and protobuf imported) before the first line, not during it


def serve(tasks: BinaryIO, answers: BinaryIO) -> None:
    answers.write(frame((True, None)))  # ready: everything is imported
    answers.flush()
    while True:
        more, task = read_frame_blocking(tasks)
        if not more:
            return
        input_path, input_offset, max_lines, first_index, packed, stripe, stripes = task
        result: tuple[bool, object]
        try:
            ctx = pickle.loads(packed)
            result = (True, answer_lines(input_path, input_offset, max_lines, first_index, ctx, stripe, stripes))
        except Exception as exc:  # sent back, raised in the server like the thread's own errors
            result = (False, exc)
        answers.write(frame(result))
        answers.flush()


def main() -> None:
    answers = enter()
    try:
        serve(sys.stdin.buffer, answers)
    except BrokenPipeError:  # the server is gone (killed): so is the one who wanted the answer
        os._exit(0)


if __name__ == "__main__":
    main()
