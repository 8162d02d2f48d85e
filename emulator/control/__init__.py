"""The control plane, `/_emulator/*`: its routes, its service, its wire, seeding, the OpenAPI
document, and the Python client users import as `emulator.control`.

The client's names are imported on first use, so `import emulator.control` costs nothing until a
test asks for `EmulatorControl`; the server never imports the client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.control.client import AsyncEmulatorControl, ControlError, EmulatorControl

__all__ = ["AsyncEmulatorControl", "ControlError", "EmulatorControl"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from emulator.control import client

        return getattr(client, name)
    raise AttributeError(f"module 'emulator.control' has no attribute {name!r}")
