"""The server's child processes (the batch workers, the webhook sender): how they are started and
how the server speaks to them.

A child runs one of our modules in a fresh interpreter, spoken to over its stdin and stdout (one
length-prefixed pickled frame each way per message), not a `multiprocessing` child: it never
re-imports the caller's main module, so a script that serves the emulator needs no
`if __name__ == "__main__"` guard. It exits when its stdin closes, so when the server stops or dies
(`kill -9` included), its children go with it. Children lower their own priority (`NICENESS`): the
server's event loop, which answers the API, always comes first.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import sys
from pathlib import Path
from typing import Any, BinaryIO

import emulator

FRAME_HEADER = 8  # bytes of the big-endian length before each frame
NICENESS = 10  # how far a child yields the CPU to the server (and to whatever else runs on the machine)

# A child runs this very `emulator` package, found where the server found it: its directory is
# added to the path when a fresh interpreter would not see it (a checkout on the server's sys.path),
# and only then, so that an installed package's site-packages never goes ahead of the stdlib.
_BOOT = (
    "import sys, importlib; home = sys.argv[1]; home in sys.path or sys.path.insert(0, home); "
    "importlib.import_module(sys.argv[2]).main()"
)


def frame(value: Any) -> bytes:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(FRAME_HEADER, "big") + data


async def read_frame(stream: asyncio.StreamReader) -> Any:
    """The next frame's value (`asyncio.IncompleteReadError` at the end of the stream)."""
    size = int.from_bytes(await stream.readexactly(FRAME_HEADER), "big")
    return pickle.loads(await stream.readexactly(size))


def read_frame_blocking(stream: BinaryIO) -> tuple[bool, Any]:
    """In a child: `(True, value)`, or `(False, None)` once the server has closed the pipe."""
    header = stream.read(FRAME_HEADER)
    if len(header) < FRAME_HEADER:
        return False, None
    size = int.from_bytes(header, "big")
    data = stream.read(size)
    if len(data) < size:
        return False, None
    return True, pickle.loads(data)


async def spawn(module: str) -> asyncio.subprocess.Process:
    """Start `module.main()` in a child (call `ready` before giving it work)."""
    home = str(Path(emulator.__file__).resolve().parent.parent)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-P",  # not the current directory first: an `emulator` there would shadow ours
        "-c",
        _BOOT,
        home,
        module,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )


async def ready(process: asyncio.subprocess.Process) -> None:
    """Wait for a child's first frame: it has imported what it needs."""
    assert process.stdout is not None
    try:
        await read_frame(process.stdout)
    except asyncio.IncompleteReadError:
        raise ChildDied(f"exited with status {await process.wait()} on start") from None


async def stop(process: asyncio.subprocess.Process, grace: float = 2) -> None:
    """Close a child's stdin (it exits at the end of its input), and kill it after `grace` seconds."""
    if process.stdin is not None:
        process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:  # in the middle of long work: it holds nothing worth waiting for
        process.kill()
        await process.wait()


class ChildDied(Exception):
    """A child process exited or stopped answering."""


def enter() -> BinaryIO:
    """The start of a child's `main()`: ignore Ctrl-C (the server's to handle; the end of stdin
    stops us), lower the priority, and keep stdout for frames (a stray `print()` goes to stderr, so
    it cannot corrupt one). Returns where frames are written; the child writes the first (ready)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        os.nice(NICENESS)
    except (OSError, AttributeError):  # not permitted here, or no nice() (Windows): the same priority
        pass
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    return answers
