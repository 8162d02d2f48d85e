"""`DockerContainer` for the emulator image only, without Docker: the image's ENTRYPOINT runs on the
host (tests.sidecar.image.Container) with the container's environment, on a free loopback port
that stands for the mapped one. Only the methods docs/ci/testcontainers_example.py uses exist, with
testcontainers 4.x's names and signatures, so the example fails here if it uses anything else.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.sidecar.image import Container

EXPECTED_IMAGE = "gemini-batch-emulator"  # the tag docs/sidecar.md builds


class DockerContainer:
    def __init__(self, image: str, **kwargs: Any) -> None:
        assert image.split(":")[0] == EXPECTED_IMAGE, f"unexpected image {image!r}"
        assert not kwargs, f"the stand-in does not support {sorted(kwargs)}"
        self.image = image
        self.env: dict[str, str] = {}
        self.ports: list[int] = []
        self._container: Container | None = None

    def with_env(self, key: str, value: str) -> DockerContainer:
        self.env[key] = value
        return self

    def with_exposed_ports(self, *ports: str | int) -> DockerContainer:
        self.ports += [int(p) for p in ports]
        return self

    def start(self) -> DockerContainer:
        workdir = Path(os.environ["SIDECAR_SHIM_WORKDIR"])
        self._container = Container(workdir, workdir / "data", self.env).start()
        return self

    def stop(self, force: bool = True, delete_volume: bool = True) -> None:
        if self._container is not None:
            self._container.stop()

    def __enter__(self) -> DockerContainer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def get_container_host_ip(self) -> str:
        return "127.0.0.1"

    def get_exposed_port(self, port: int) -> int:
        assert self._container is not None, "start the container first"
        assert int(port) in self.ports and int(port) == 8790, f"port {port} was not exposed"
        return self._container.port
