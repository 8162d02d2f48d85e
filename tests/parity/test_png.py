"""The emulator's PNG encoder, read back by an independent decoder (tests/parity/png.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.responder.images import png
from tests.parity import png as reader


@settings(max_examples=60, deadline=None)
@given(width=st.integers(1, 300), height=st.integers(1, 300), digest=st.binary(min_size=32, max_size=32))
def test_any_size_decodes_to_its_bands(width: int, height: int, digest: bytes) -> None:
    image = reader.decode(png(width, height, digest))
    assert (image.width, image.height, image.channels) == (width, height, 3)
    bands = min(4, height)
    starts = [i * (height // bands) for i in range(bands)]
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < bands else height
        assert image.pixel(0, start) == tuple(digest[8 * index : 8 * index + 3])
        assert all(image.rows[y] == image.rows[start] for y in range(start, end))


def test_large_images_stay_small_and_exact() -> None:
    data = png(5504, 3072, bytes(range(32)))  # Gemini 3 Pro Image, 16:9 at 4K
    assert len(data) < 80_000
    image = reader.decode(data)
    assert (image.width, image.height) == (5504, 3072)
