"""gemini-batch-emulator: a local emulator of the Gemini API Files and Batch Mode endpoints."""

from __future__ import annotations

__version__ = "0.1.0"

from emulator.app import create_app  # noqa: E402
from emulator.config import Settings  # noqa: E402
from emulator.emulator import Emulator  # noqa: E402

__all__ = ["Emulator", "Settings", "__version__", "create_app"]
