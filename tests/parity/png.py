"""A small PNG reader for the tests, independent of the emulator's encoder: it checks the signature,
every chunk's CRC, the zlib stream (and its checksum) and undoes all five row filters."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type -> samples per pixel (8-bit only)


@dataclass(frozen=True)
class Png:
    width: int
    height: int
    rows: list[bytes]  # unfiltered, `channels * width` bytes each
    channels: int

    def pixel(self, x: int, y: int) -> tuple[int, ...]:
        at = x * self.channels
        return tuple(self.rows[y][at : at + self.channels])


def decode(data: bytes) -> Png:
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PNG signature")
    pos, idat, header, kinds = len(SIGNATURE), b"", b"", []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        if crc != zlib.crc32(kind + body):
            raise ValueError(f"bad CRC in {kind!r}")
        kinds.append(kind)
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    if kinds[0] != b"IHDR" or kinds[-1] != b"IEND":
        raise ValueError(f"chunks out of order: {kinds}")
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour not in _CHANNELS or interlace:
        raise ValueError("only 8-bit, non-interlaced images are read here")
    channels = _CHANNELS[colour]
    raw = zlib.decompress(idat)  # raises on a bad stream or checksum
    stride = channels * width
    if len(raw) != height * (stride + 1):
        raise ValueError(f"{len(raw)} bytes of image data for {width}x{height}")
    rows: list[bytes] = []
    previous = bytes(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if kind == 0 or (kind == 2 and not any(line)):  # fast paths: a row as is, or the row above
            previous = bytes(line) if kind == 0 else previous
            rows.append(previous)
            continue
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
            elif kind != 0:
                raise ValueError(f"unknown filter {kind} on row {y}")
        previous = bytes(line)
        rows.append(previous)
    return Png(width, height, rows, channels)
