"""OpenAI-compatible routes. (Filled in by the OpenAI issue.)"""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
