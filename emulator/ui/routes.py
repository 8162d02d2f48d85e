"""Dashboard routes. (Filled in by the dashboard issue.)"""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
