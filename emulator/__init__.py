"""gemini-batch-emulator: a local emulator of the Gemini API Files and Batch Mode endpoints.

The public names are imported lazily, so importing the package (as the pytest plugin does in every
test session of a project that has it installed) costs almost nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from emulator.app import create_app
    from emulator.config import Settings
    from emulator.emulator import Emulator

__all__ = ["Emulator", "Settings", "__version__", "create_app"]

_LAZY = {"create_app": "emulator.app", "Settings": "emulator.config", "Emulator": "emulator.emulator"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'emulator' has no attribute {name!r}")
