"""Settings: one frozen value, the single source of truth for an emulator instance.

The CLI maps each flag onto one field (and each field onto `GEMINI_EMULATOR_<FIELD>`); tests build
`Settings(...)` directly. Nothing else reads the environment.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

GIB = 1024**3
MIB = 1024**2


class ConfigError(ValueError):
    """An invalid setting; the message names it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything that makes one emulator behave the way it does.

    host, port: where `serve` listens.
    data_dir: holds the SQLite database and the file blobs, so state survives a restart.
        None means ephemeral: a temporary directory removed when the emulator stops.
    seed: the root of every id, fake answer and injected fault.
    request_latency: emulated seconds to process one request inside a batch.
    request_error_rate: the seeded fraction of batch requests answered with an error line.
    queue_delay: emulated seconds a batch stays PENDING before it starts running.
    public_url: the base URL clients reach us by; by default taken from each request's Host.
    responder: which fake model answers: "default", "echo", "fixed:<text>" or "module:callable".
    responses: a rule file (TOML or JSON) of scripted answers, matched before the responder.
    """

    host: str = "127.0.0.1"
    port: int = 8790
    data_dir: Path | None = Path(".gemini-emulator")
    seed: int = 0
    request_latency: float = 0.001
    request_error_rate: float = 0.0
    queue_delay: float = 0.1
    public_url: str | None = None
    log_level: str = "info"
    responder: str = "default"
    responses: Path | None = None
    max_file_bytes: int = 2 * GIB
    max_inline_bytes: int = 20 * MIB

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be between 0 and 65535, not {self.port}.")
        if self.request_latency < 0:
            raise ConfigError(f"request_latency must be >= 0 seconds, not {self.request_latency}.")
        if self.queue_delay < 0:
            raise ConfigError(f"queue_delay must be >= 0 seconds, not {self.queue_delay}.")
        if not 0.0 <= self.request_error_rate <= 1.0:
            raise ConfigError(f"request_error_rate must be between 0 and 1, not {self.request_error_rate}.")
        if self.public_url is not None and not self.public_url.startswith(("http://", "https://")):
            raise ConfigError(f"public_url must start with http:// or https://, not {self.public_url!r}.")

    @property
    def ephemeral(self) -> bool:
        return self.data_dir is None

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
