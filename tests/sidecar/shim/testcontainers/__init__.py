"""A stand-in for testcontainers-python (4.x) with no Docker engine: see `core.container`."""
