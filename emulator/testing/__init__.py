"""Testing surfaces: the in-process server (`serve_in_thread`, `GeminiEmulator`) and the pytest
plugin (`emulator.testing.plugin`, registered through the `pytest11` entry point).

Names are imported on first use: the plugin is loaded in every test session of a project that has
the package installed, and must cost nothing there until a test asks for an emulator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.testing.server import PER_KEY_OPTIONS, GeminiEmulator, RunningServer, serve_in_thread

__all__ = ["PER_KEY_OPTIONS", "GeminiEmulator", "RunningServer", "serve_in_thread"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from emulator.testing import server

        return getattr(server, name)
    raise AttributeError(f"module 'emulator.testing' has no attribute {name!r}")
