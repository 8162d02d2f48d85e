"""Settings: one frozen value, the single source of truth for an emulator instance.

The CLI maps each flag onto one field (and each field onto `GEMINI_EMULATOR_<FIELD>`); tests build
`Settings(...)` directly. A scenario file (TOML) holds the same settings grouped in tables; the
precedence is defaults < scenario file < environment < flags. Nothing else reads the environment.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.errors import InvalidArgument
from emulator.faults.rules import FaultPolicy, Span
from emulator.ids import tenant_for_key

GIB = 1024**3
MIB = 1024**2
HOUR = 3600.0
CLOCK_MODES = ("real", "manual")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


_FIXED_100MS = Span(0.1, 0.1)
_FIXED_1MS = Span(0.001, 0.001)
_NONE = Span(0.0, 0.0)


class ConfigError(ValueError):
    """An invalid setting; the message names it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything that makes one emulator behave the way it does.

    host, port: where `serve` listens.
    data_dir: holds the SQLite database and the file blobs, so state survives a restart.
        None means ephemeral: a temporary directory removed when the emulator stops.
    seed: the root of every id, fake answer and injected fault.
    clock: "real" (wall-clock time, times `time_scale`) or "manual" (moves only when told).
    time_scale: emulated seconds per real second with the real clock (3600: an hour a second).
    clock_start: the emulated time at first start (RFC 3339); default: now.
    queue_delay: emulated seconds a batch stays PENDING (a Span: fixed or a seeded range per batch).
    request_latency: emulated seconds to answer one request inside a batch (a Span).
    batch_overhead: emulated seconds between the last answer and SUCCEEDED (a Span).
    http_latency: real seconds added to every API response.
    request_error_rate: the seeded fraction of batch requests answered with an error line.
    faults: HTTP, job and line fault rules (see `emulator.faults.rules`).
    public_url: the base URL clients reach us by; by default taken from each request's Host.
    responder: which fake model answers: "default", "echo", "fixed:<text>" or "module:callable".
    responses: a rule file (TOML or JSON) of scripted answers, matched before the responder.
    models: a JSON catalogue for `models.list`/`models.get` instead of the built-in one.
    seed_file: files and batches (JSON or TOML) created at start-up, unless already there.
    max_*, file_retention, batch_expiry: the real service's limits, each adjustable (max_request_bytes:
        a JSON request body; max_line_bytes: one JSONL line; max_batch_requests: lines in one batch).
    api_keys: when set, only these keys are accepted (403 without a key, 400 with another one).
    control_token: when set, the control plane and dashboard require it (`Authorization: Bearer`).
    workers: processes that answer the lines of large batches beside the server (0: a thread of the
        server's own; None: "auto", one per core up to 8, the command line's default). Answers are
        the same either way; see docs/performance.md.
    """

    host: str = "127.0.0.1"
    port: int = 8790
    data_dir: Path | None = Path(".gemini-emulator")
    seed: int = 0
    clock: str = "real"
    time_scale: float = 1.0
    clock_start: str | None = None
    # Seconds, or "low..high"; always a Span once built (read them with `span()`).
    queue_delay: Span | float | str = _FIXED_100MS
    request_latency: Span | float | str = _FIXED_1MS
    batch_overhead: Span | float | str = _NONE
    http_latency: float = 0.0
    request_error_rate: float = 0.0
    faults: FaultPolicy = field(default_factory=FaultPolicy)
    public_url: str | None = None
    log_level: str = "info"
    responder: str = "default"
    responses: Path | None = None
    models: Path | None = None
    seed_file: Path | None = None
    max_file_bytes: int = 2 * GIB
    max_storage_bytes: int = 20 * GIB
    max_inline_bytes: int = 20 * MIB
    max_active_batches: int = 100
    max_request_bytes: int = 64 * MIB
    max_line_bytes: int = 20 * MIB
    max_batch_requests: int | None = None
    api_keys: tuple[str, ...] = ()
    control_token: str | None = None
    file_retention: float = 48 * HOUR
    batch_expiry: float = 48 * HOUR
    workers: int | None = 0

    def __post_init__(self) -> None:
        for name in ("queue_delay", "request_latency", "batch_overhead"):
            try:
                object.__setattr__(self, name, Span.parse(getattr(self, name), name))
            except InvalidArgument as exc:
                raise ConfigError(exc.message) from None
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be between 0 and 65535, not {self.port}.")
        if self.log_level not in LOG_LEVELS:
            raise ConfigError(f"log_level must be one of {', '.join(LOG_LEVELS)}, not {self.log_level!r}.")
        if self.responder not in ("default", "echo") and ":" not in self.responder:
            raise ConfigError(
                f"responder must be default, echo, fixed:<text> or module:callable, not {self.responder!r}."
            )
        if self.clock not in CLOCK_MODES:
            raise ConfigError(f"clock must be one of {', '.join(CLOCK_MODES)}, not {self.clock!r}.")
        if self.time_scale <= 0:
            raise ConfigError(f"time_scale must be > 0, not {self.time_scale}.")
        if not 0.0 <= self.request_error_rate <= 1.0:
            raise ConfigError(f"request_error_rate must be between 0 and 1, not {self.request_error_rate}.")
        for name in ("http_latency", "file_retention", "batch_expiry"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, not {getattr(self, name)}.")
        if self.max_batch_requests is not None and self.max_batch_requests < 1:
            raise ConfigError(f"max_batch_requests must be >= 1, not {self.max_batch_requests}.")
        if self.workers is not None and not 0 <= self.workers <= 64:
            raise ConfigError(f"workers must be 'auto' or between 0 and 64, not {self.workers}.")
        if any(not key for key in self.api_keys):
            raise ConfigError("api_keys must not contain an empty key.")
        for name in (
            "max_file_bytes",
            "max_storage_bytes",
            "max_inline_bytes",
            "max_active_batches",
            "max_request_bytes",
            "max_line_bytes",
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, not {getattr(self, name)}.")
        if self.public_url is not None and not self.public_url.startswith(("http://", "https://")):
            raise ConfigError(f"public_url must start with http:// or https://, not {self.public_url!r}.")
        if self.clock_start is not None:
            from emulator.clock import parse_time

            try:
                parse_time(self.clock_start)
            except ValueError:
                raise ConfigError(f"clock_start must be an RFC 3339 time, not {self.clock_start!r}.") from None

    def span(self, name: str) -> Span:
        """A duration setting (`queue_delay`, `request_latency`, `batch_overhead`) as a Span."""
        value = getattr(self, name)
        assert isinstance(value, Span)
        return value

    @property
    def ephemeral(self) -> bool:
        return self.data_dir is None

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


# --- scenario files ------------------------------------------------------------------------------

# Where each key of a scenario table lands in Settings.
_TABLES: dict[str, dict[str, str]] = {
    "": {
        "seed": "seed",
        "request_error_rate": "request_error_rate",
        "responder": "responder",
        "responses": "responses",
        "models": "models",
        "seed_file": "seed_file",
        "public_url": "public_url",
        "log_level": "log_level",
        "api_keys": "api_keys",
        "control_token": "control_token",
        "workers": "workers",
    },
    "clock": {"mode": "clock", "time_scale": "time_scale", "start": "clock_start"},
    "latency": {
        "queue_delay": "queue_delay",
        "request_latency": "request_latency",
        "batch_overhead": "batch_overhead",
        "http": "http_latency",
        "preset": "preset",
    },
    "limits": {
        "max_request_bytes": "max_request_bytes",
        "max_line_bytes": "max_line_bytes",
        "max_batch_requests": "max_batch_requests",
        "max_file_bytes": "max_file_bytes",
        "max_storage_bytes": "max_storage_bytes",
        "max_inline_bytes": "max_inline_bytes",
        "max_active_batches": "max_active_batches",
        "file_retention": "file_retention",
        "batch_expiry": "batch_expiry",
    },
}

# Named latency presets: what a preset sets, below anything given explicitly.
PRESETS: dict[str, dict[str, str]] = {
    "fast": {"queue_delay": "0", "request_latency": "0", "batch_overhead": "0"},
    "default": {"queue_delay": "0.1", "request_latency": "0.001", "batch_overhead": "0"},
    # Real turnaround: minutes of queueing, a fraction of a second per request, minutes of wrap-up.
    # Meant for use with a time scale (e.g. --time-scale 3600) or a manual clock.
    "realistic": {"queue_delay": "120..3600", "request_latency": "0.05..0.5", "batch_overhead": "60..600"},
}

_PATH_FIELDS = {"responses", "seed_file", "models"}
_SCENARIO_DIRS = ("fixtures/scenarios",)


def _camel_to_snake(key: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in key)


def read_document(path: Path) -> dict[str, Any]:
    """A TOML or JSON file as a dict (by extension; TOML otherwise)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}.") from None
    import tomllib  # here, not at the top: a start-up without a TOML file does not pay for it

    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} is not valid {'JSON' if path.suffix == '.json' else 'TOML'}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table at the top level.")
    return data


def scenario_path(name_or_path: str) -> Path:
    """A scenario by path, or by the name of a shipped one (`fast`, `realistic`, ...)."""
    path = Path(name_or_path)
    if path.exists() or path.suffix:
        return path
    for directory in shipped_scenario_dirs():
        candidate = directory / f"{name_or_path}.toml"
        if candidate.exists():
            return candidate
    names = sorted(p.stem for d in shipped_scenario_dirs() for p in d.glob("*.toml"))
    raise ConfigError(f"scenario {name_or_path!r} is neither a file nor a shipped scenario ({', '.join(names)}).")


def shipped_scenario_dirs() -> list[Path]:
    """Installed wheels carry them inside the package; a source checkout has them at the top level."""
    package = Path(__file__).resolve().parent
    candidates = [package / "fixtures" / "scenarios", package.parent / "fixtures" / "scenarios"]
    return [c for c in candidates if c.is_dir()]


def scenario_settings(data: dict[str, Any], *, base_dir: Path | None = None) -> dict[str, Any]:
    """Flatten a scenario document into Settings field values (raises ConfigError naming a bad key)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = _camel_to_snake(key)
        if name == "faults":
            if not isinstance(value, dict):
                raise ConfigError("faults: expected a table with http, job and line lists.")
            try:
                from emulator.faults.parsing import parse_faults  # the parsers load only when rules are given

                out["faults"] = parse_faults(value, tenant_for_key)
            except InvalidArgument as exc:
                raise ConfigError(exc.message) from None
        elif name in _TABLES and name:
            if not isinstance(value, dict):
                raise ConfigError(f"[{name}] must be a table.")
            for sub, sub_value in value.items():
                target = _TABLES[name].get(_camel_to_snake(sub))
                if target is None:
                    raise ConfigError(f"unknown setting {name}.{sub} (known: {', '.join(_TABLES[name])}).")
                out[target] = sub_value
        elif name in _TABLES[""]:
            out[_TABLES[""][name]] = value
        else:
            known = ", ".join(sorted([*_TABLES[""], "clock", "latency", "limits", "faults"]))
            raise ConfigError(f"unknown setting {key!r}; expected {known}.")
    preset = out.pop("preset", None)
    if preset is not None:
        out = {**preset_settings(str(preset)), **out}
    for name, value in list(out.items()):
        out[name] = _typed(name, value)
    for name in _PATH_FIELDS & out.keys():
        path = Path(out[name])
        out[name] = path if path.is_absolute() or base_dir is None else base_dir / path
    return out


_INTS = {
    "seed",
    "port",
    "max_file_bytes",
    "max_storage_bytes",
    "max_inline_bytes",
    "max_active_batches",
    "max_request_bytes",
    "max_line_bytes",
    "max_batch_requests",
    "workers",
}
_FLOATS = {"time_scale", "http_latency", "request_error_rate", "file_retention", "batch_expiry"}
_STRINGS = {"clock", "clock_start", "public_url", "log_level", "responder", "host", "control_token"}


def _typed(name: str, value: Any) -> Any:
    """A scenario value as its setting's type, or a ConfigError naming the setting."""
    if name == "workers" and value in ("auto", None):
        return None
    if isinstance(value, datetime.datetime | datetime.date) and name == "clock_start":
        return value.isoformat()
    try:
        if name in _INTS:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if name in _FLOATS:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
    except (TypeError, ValueError):
        kind = "an integer" if name in _INTS else "a number"
        raise ConfigError(f"{name} must be {kind}, not {value!r}.") from None
    if name in _STRINGS and not isinstance(value, str):
        raise ConfigError(f"{name} must be a string, not {value!r}.")
    if name == "api_keys":
        if not isinstance(value, list | tuple) or not all(isinstance(k, str) for k in value):
            raise ConfigError("api_keys must be a list of strings.")
        return tuple(value)
    return value


def preset_settings(name: str) -> dict[str, Any]:
    if name not in PRESETS:
        raise ConfigError(f"preset must be one of {', '.join(PRESETS)}, not {name!r}.")
    return dict(PRESETS[name])


def load_scenario(name_or_path: str) -> dict[str, Any]:
    path = scenario_path(name_or_path)
    try:
        return scenario_settings(read_document(path), base_dir=path.parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
