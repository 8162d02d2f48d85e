"""Synchronous model endpoints, sharing the batch responder. (Filled in by the outputs issue.)"""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
