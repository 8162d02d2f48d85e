"""gemini-batch-emulator: a local emulator of the Gemini API Files and Batch Mode endpoints."""

from __future__ import annotations

__version__ = "0.1.0"

from emulator.app import create_app
from emulator.config import Settings
from emulator.emulator import Emulator

__all__ = ["Emulator", "Settings", "__version__", "create_app"]
