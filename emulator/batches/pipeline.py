"""The runner's heavy lifting, run in a worker thread: stream input lines, write result lines.

`answer_chunk` resumes from a checkpoint (input and output byte offsets) and first truncates the
output back to its checkpoint, so lines written after the last checkpoint by a process that was
killed are written again exactly once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from emulator.batches.lines import LineContext, answer_line, is_request_line, too_long_line

_READ_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class ChunkResult:
    input_offset: int
    output_offset: int
    lines: int
    successes: int
    at_end: bool


def answer_chunk(
    input_path: Path,
    input_offset: int,
    output_path: Path,
    output_offset: int,
    max_lines: int,
    first_index: int,
    ctx: LineContext,
    durable: bool = False,
) -> ChunkResult:
    """Answer up to `max_lines` request lines from `input_offset`, writing results at `output_offset`.
    With `durable`, the results reach the disk (fsync) before the caller checkpoints past them, so a
    power cut cannot leave a checkpoint pointing at bytes that were never written."""
    out: list[bytes] = []
    successes = 0
    at_end = False
    with input_path.open("rb") as fin:
        fin.seek(input_offset)
        while len(out) < max_lines:
            raw = fin.readline(ctx.max_line_bytes + 1)
            if not raw:
                at_end = True
                break
            if len(raw) > ctx.max_line_bytes and not raw.endswith(b"\n"):
                _skip_rest_of_line(fin)  # never hold an over-long line in memory
                line, ok = too_long_line(raw[:4096], first_index + len(out), ctx)
                out.append(line)
                continue
            if not is_request_line(raw):
                continue
            line, ok = answer_line(raw, first_index + len(out), ctx)
            out.append(line)
            successes += ok
        new_input_offset = fin.tell()
    data = b"\n".join(out) + b"\n" if out else b""
    with output_path.open("r+b") as fout:
        fout.seek(output_offset)
        fout.truncate()
        fout.write(data)
        if durable:
            fout.flush()
            os.fsync(fout.fileno())
    return ChunkResult(new_input_offset, output_offset + len(data), len(out), successes, at_end)


def _skip_rest_of_line(fin: BinaryIO) -> None:
    while block := fin.readline(_READ_BLOCK):
        if block.endswith(b"\n"):
            return


def count_requests(path: Path) -> int:
    """The number of request (non-blank) lines, read in blocks: flat memory whatever the size."""
    count = 0
    carry = b""
    with path.open("rb") as f:
        while block := f.read(_READ_BLOCK):
            lines = (carry + block).split(b"\n")
            carry = lines.pop()
            count += sum(1 for line in lines if is_request_line(line))
    return count + (1 if is_request_line(carry) else 0)


def truncate(path: Path, size: int) -> None:
    with path.open("r+b") as f:
        f.truncate(size)
