"""The runner's heavy lifting, run off the event loop: stream input lines, write result lines.

`answer_chunk` resumes from a checkpoint (input and output byte offsets) and first truncates the
output back to its checkpoint, so lines written after the last checkpoint by a process that was
killed are written again exactly once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from emulator.batches.lines import LineContext, answer_line, is_request_line, too_long_line

if TYPE_CHECKING:
    from hashlib import _Hash as Hash

_READ_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class ChunkResult:
    input_offset: int
    output_offset: int
    lines: int
    successes: int
    at_end: bool


@dataclass(frozen=True, slots=True)
class Answers:
    """One share of a chunk's answers: the result lines (each ending in a newline) of every
    `stripes`-th request line from `stripe` on (all of them with one stripe), and where reading the
    chunk ended."""

    lines: list[bytes]
    successes: int
    count: int  # request lines in the whole chunk, every stripe's
    input_offset: int
    at_end: bool


def answer_lines(
    input_path: Path,
    input_offset: int,
    max_lines: int,
    first_index: int,
    ctx: LineContext,
    stripe: int = 0,
    stripes: int = 1,
) -> Answers:
    """Read up to `max_lines` request lines from `input_offset` and answer this stripe's share of
    them. Every stripe reads the same lines and numbers them the same way, so `stripes` processes
    can answer one chunk together and `merge` puts their lines back in input order."""
    out: list[bytes] = []
    successes = 0
    count = 0
    at_end = False
    limit = ctx.max_line_bytes
    with input_path.open("rb") as fin:
        fin.seek(input_offset)
        while count < max_lines:
            raw = fin.readline(limit + 1)
            if not raw:
                at_end = True
                break
            if len(raw) > limit and not raw.endswith(b"\n"):
                _skip_rest_of_line(fin)  # never hold an over-long line in memory
                if count % stripes == stripe:
                    out.append(too_long_line(raw[:4096], first_index + count, ctx)[0] + b"\n")
                count += 1
                continue
            if not is_request_line(raw):
                continue
            if count % stripes == stripe:
                line, ok = answer_line(raw, first_index + count, ctx)
                # A new, right-sized object: orjson's own keeps the 4 KiB buffer it wrote into.
                out.append(line + b"\n")
                successes += ok
            count += 1
        new_input_offset = fin.tell()
    return Answers(out, successes, count, new_input_offset, at_end)


def merge(shares: list[Answers]) -> Answers:
    """The stripes of one chunk (in stripe order) as one share, lines back in input order."""
    if len(shares) == 1:
        return shares[0]
    first = shares[0]
    lines: list[bytes] = [b""] * first.count
    for stripe, share in enumerate(shares):
        lines[stripe :: len(shares)] = share.lines
    return Answers(lines, sum(s.successes for s in shares), first.count, first.input_offset, first.at_end)


def write_answers(
    answers: Answers, output_path: Path, output_offset: int, durable: bool, digest: Hash | None = None
) -> ChunkResult:
    """Write a chunk's result lines at `output_offset`, first cutting off anything written past it
    (by a process killed before its checkpoint). With `durable`, the results reach the disk (fsync)
    before the caller checkpoints past them, so a power cut cannot leave a checkpoint pointing at
    bytes that were never written. `digest`, the SHA-256 of the output so far, takes in the chunk."""
    data = b"".join(answers.lines)
    with output_path.open("r+b") as fout:
        fout.seek(output_offset)
        fout.truncate()
        fout.write(data)
        if durable:
            fout.flush()
            os.fsync(fout.fileno())
    if digest is not None:
        digest.update(data)
    return ChunkResult(
        answers.input_offset, output_offset + len(data), len(answers.lines), answers.successes, answers.at_end
    )


def answer_chunk(
    input_path: Path,
    input_offset: int,
    output_path: Path,
    output_offset: int,
    max_lines: int,
    first_index: int,
    ctx: LineContext,
    durable: bool = False,
    digest: Hash | None = None,
) -> ChunkResult:
    """Answer up to `max_lines` request lines from `input_offset` in this thread, writing the results
    at `output_offset`."""
    answers = answer_lines(input_path, input_offset, max_lines, first_index, ctx)
    return write_answers(answers, output_path, output_offset, durable, digest)


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
