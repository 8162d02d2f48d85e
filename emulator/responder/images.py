"""Images for the image models: small, real, deterministic PNGs (stdlib `zlib` and `struct` only).

An image model (`emulatorLimits.imageOutput` in the catalogue) answers with `TEXT` and `IMAGE` parts
unless `responseModalities` says otherwise; a model that draws no images refuses `IMAGE` (and every
model `AUDIO`) with the real 400 `Multi-modal output is not supported.` The picture has the
dimensions the real model gives for `imageConfig.aspectRatio` (and, on a model with
`emulatorLimits.imageSizes`, `imageConfig.imageSize`) and is a few horizontal bands, their colours
and stripes read from the request's digest: the same request draws the same bytes.

Encoding stays cheap at any size: each band's first row is sent as is and the rest as `Up`-filtered
rows (all zero bytes). The zero rows are deflated once per row length, in independent fully flushed
runs, and concatenated; the zlib checksum of the repeated rows is combined arithmetically. Figures:
docs/api.md ("The fake model": Images).
"""

from __future__ import annotations

import base64
import functools
import struct
import zlib
from collections.abc import Mapping
from typing import Any

from emulator.errors import InvalidArgument

# ai.google.dev/gemini-api/docs/image-generation, the aspect-ratio tables: Gemini 2.5 Flash Image
# draws every ratio in 1290 tokens; Gemini 3 Pro Image at 1K (2K and 4K are twice and four times
# the sides) in 1120 tokens, 2000 at 4K.
_SIZES_25 = {
    "1:1": (1024, 1024),
    "2:3": (832, 1248),
    "3:2": (1248, 832),
    "3:4": (864, 1184),
    "4:3": (1184, 864),
    "4:5": (896, 1152),
    "5:4": (1152, 896),
    "9:16": (768, 1344),
    "16:9": (1344, 768),
    "21:9": (1536, 672),
}
_SIZES_3 = {
    "1:1": (1024, 1024),
    "2:3": (848, 1264),
    "3:2": (1264, 848),
    "3:4": (896, 1200),
    "4:3": (1200, 896),
    "4:5": (928, 1152),
    "5:4": (1152, 928),
    "9:16": (768, 1376),
    "16:9": (1376, 768),
    "21:9": (1584, 672),
}
_SCALE = {"1K": 1, "2K": 2, "4K": 4}
TOKENS_25 = 1290
_TOKENS_3 = {"1K": 1120, "2K": 1120, "4K": 2000}
MIME_TYPE = "image/png"
_BANDS = 4
_RUN_ROWS = 64  # zero rows per independently deflated run
_ADLER = 65521


def modalities(config: Mapping[str, Any], draws: bool) -> tuple[bool, bool]:
    """(text, image): what a candidate holds. An image model answers both by default."""
    asked = config.get("responseModalities")
    if not isinstance(asked, list) or not asked:
        return True, draws
    names = {str(m).upper() for m in asked}
    image = "IMAGE" in names
    if (image and not draws) or not names <= {"TEXT", "IMAGE"}:  # AUDIO: no speech model here
        raise InvalidArgument("Multi-modal output is not supported.")
    return "TEXT" in names or not image, image


def image_part(config: Mapping[str, Any], digest: bytes, sizes: bool) -> tuple[dict[str, Any], int]:
    """An `inlineData` PNG part for this request and its token count. `sizes`: the model takes
    `imageConfig.imageSize` and draws at Gemini 3 Pro Image's dimensions."""
    image_config = config.get("imageConfig")
    image_config = image_config if isinstance(image_config, Mapping) else {}
    table = _SIZES_3 if sizes else _SIZES_25
    ratio = image_config.get("aspectRatio") or "1:1"
    if ratio not in table:
        raise InvalidArgument(
            f"* GenerateContentRequest.generation_config.image_config.aspect_ratio: unsupported aspect ratio "
            f"{ratio!r}; expected one of {', '.join(table)}."
        )
    width, height = table[ratio]
    tokens = TOKENS_25
    if sizes:
        size = str(image_config.get("imageSize") or "1K").upper()
        if size not in _SCALE:
            raise InvalidArgument(
                "* GenerateContentRequest.generation_config.image_config.image_size: must be 1K, 2K or 4K."
            )
        width, height, tokens = width * _SCALE[size], height * _SCALE[size], _TOKENS_3[size]
    data = base64.b64encode(png(width, height, digest)).decode()
    return {"inlineData": {"mimeType": MIME_TYPE, "data": data}}, tokens


def token_details(candidates: int, image: int) -> list[dict[str, Any]]:
    """`candidatesTokensDetails`: the candidates' tokens by modality."""
    details = [{"modality": "TEXT", "tokenCount": candidates - image}] if candidates > image else []
    return [*details, {"modality": "IMAGE", "tokenCount": image}]


def png(width: int, height: int, digest: bytes) -> bytes:
    """An RGB PNG of `_BANDS` horizontal bands, each two colours in vertical stripes from `digest`."""
    stream = zlib.compressobj(9, zlib.DEFLATED, -15)
    pieces = []
    adler = 1
    row_bytes = 1 + 3 * width
    bands = min(_BANDS, height)
    band = height // bands
    for index in range(bands):
        rows = band if index < bands - 1 else height - band * (bands - 1)
        first = b"\x00" + _stripes(width, digest[8 * index : 8 * index + 8])
        pieces.append(stream.compress(first) + stream.flush(zlib.Z_FULL_FLUSH))
        adler = zlib.adler32(first, adler)
        if rows > 1:
            pieces.append(_zero_rows(row_bytes, rows - 1))
            adler = _adler_zero_rows(adler, row_bytes, rows - 1)
    pieces.append(stream.flush(zlib.Z_FINISH))
    idat = b"\x78\xda" + b"".join(pieces) + struct.pack(">I", adler)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def _stripes(width: int, seed: bytes) -> bytes:
    a, b = seed[0:3], seed[3:6]
    stripe = 8 + seed[6] % 57
    pixels = bytearray()
    for x in range(0, width, stripe):
        pixels += (a if (x // stripe) % 2 == 0 else b) * min(stripe, width - x)
    return bytes(pixels)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _zero_rows(row_bytes: int, count: int) -> bytes:
    """`count` rows of an `Up` filter byte and zeros, raw-deflated (no final block)."""
    full, rest = divmod(count, _RUN_ROWS)
    return _zero_run(row_bytes, _RUN_ROWS) * full + (_zero_run(row_bytes, rest) if rest else b"")


@functools.lru_cache(maxsize=256)
def _zero_run(row_bytes: int, rows: int) -> bytes:
    stream = zlib.compressobj(9, zlib.DEFLATED, -15)
    row = b"\x02" + bytes(row_bytes - 1)
    return stream.compress(row * rows) + stream.flush(zlib.Z_FULL_FLUSH)


def _adler_zero_rows(adler: int, row_bytes: int, count: int) -> int:
    """adler32 continued over `count` rows of `\\x02` and zeros, without reading them."""
    unit, unit_length = zlib.adler32(b"\x02" + bytes(row_bytes - 1)), row_bytes
    while count:  # binary powers of the one-row checksum
        if count & 1:
            adler = _combine(adler, unit, unit_length)
        unit, unit_length = _combine(unit, unit, unit_length), 2 * unit_length
        count >>= 1
    return adler


def _combine(first: int, second: int, second_length: int) -> int:
    """adler32(x + y) from adler32(x), adler32(y) and len(y)."""
    a1, b1 = first & 0xFFFF, first >> 16
    a2, b2 = second & 0xFFFF, second >> 16
    a = (a1 + a2 - 1) % _ADLER
    b = (b1 + b2 + second_length * (a1 - 1)) % _ADLER
    return (b << 16) | a
