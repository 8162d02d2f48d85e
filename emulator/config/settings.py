"""`Settings` and the one description (`Setting`) each of its fields carries; what the descriptions
give directly: the run-time changeable fields, flag and variable names, the effective-config view.
The package docstring says how to add a setting."""

# ruff: noqa: RUF009 (`setting(...)` is `field(...)` with a description: ruff cannot see through it)

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from emulator.casing import to_camel
from emulator.clock import parse_time
from emulator.errors import InvalidArgument
from emulator.faults.rules import FaultPolicy, Span

GIB = 1024**3
MIB = 1024**2
HOUR = 3600.0
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")

# How a value is read from a scenario file or the command line, and which flag type shows it.
Kind = Literal["str", "int", "float", "bool", "span", "time", "path", "dir", "keys", "workers", "faults"]


class ConfigError(ValueError):
    """An invalid setting; the message names it."""


@dataclass(frozen=True, slots=True)
class Setting:
    """The one description of a Settings field (the package docstring says what is derived)."""

    help: str  # the --help text
    kind: Kind = "str"
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    low: float | None = None  # bounds, checked everywhere and shown in --help
    high: float | None = None
    above: bool = False  # `low` itself is refused
    check: Callable[[Any], str | None] | None = None  # a further test (not shown in --help): the complaint
    table: str | None = ""  # its scenario table ("": top level); None: not in scenario files
    key: str | None = None  # its key in that table, when not the field's name
    flag: str | None = None  # its option, when not --<field-name>
    cli: bool = True  # False: no flag and no variable
    serve_default: str | None = None  # what `serve` uses when not the library's default
    unset: str | None = None  # what None means, as `print-config` shows it
    secret: bool = False  # never shown, only whether it is set
    live: bool = False  # the control plane may change it while running
    per_key: bool = False  # ... for one API key alone

    def problem(self, value: Any) -> str | None:
        """What is wrong with a (typed) value, or None."""
        if value is None:
            return None
        if self.choices and value not in self.choices:
            return f"must be one of {', '.join(self.choices)}"
        if self.low is not None and self.high is not None and not self.low <= value <= self.high:
            return f"must be between {self.low:g} and {self.high:g}"
        if self.low is not None and (value <= self.low if self.above else value < self.low):
            return f"must be {'>' if self.above else '>='} {self.low:g}"
        return self.check(value) if self.check else None


def setting(help: str, default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING, **how: Any) -> Any:
    """A Settings field described by `Setting(help, **how)`."""
    return field(default=default, default_factory=factory, metadata={"setting": Setting(help, **how)})


def _responder(value: str) -> str | None:
    if value in ("default", "echo") or ":" in value:
        return None
    return "must be default, echo, fixed:<text> or module:callable"


def _rfc3339(value: str) -> str | None:
    try:
        parse_time(value)
    except ValueError:
        return "must be an RFC 3339 time"
    return None


def _port(value: int) -> str | None:
    return None if 0 <= value <= 65535 else "must be between 0 and 65535"


def _workers(value: int) -> str | None:
    return None if 0 <= value <= 64 else "must be 'auto' or between 0 and 64"


def _url(value: str) -> str | None:
    return None if value.startswith(("http://", "https://")) else "must start with http:// or https://"


def _keys(value: tuple[str, ...]) -> str | None:
    return "must not contain an empty key" if "" in value else None


def _quotas(value: tuple[str, ...]) -> str | None:
    if not value:
        return None  # no limits: the quota domain is not imported
    from emulator.quotas.limits import parse_overrides  # the quota domain, only when limits are given

    try:
        parse_overrides(value)
    except InvalidArgument as exc:
        return f"must be MODEL:METRIC=N limits ({exc.message.rstrip('.')})"
    return None


# What families of settings share.
_LIVE_LIMIT = types.MappingProxyType({"table": "limits", "kind": "int", "low": 1, "live": True})
_START_LIMIT = types.MappingProxyType({"table": "limits", "kind": "int", "low": 1})
_LIVE_SECONDS = types.MappingProxyType(
    {"table": "limits", "kind": "float", "low": 0, "metavar": "SECONDS", "live": True}
)
_TIMING = types.MappingProxyType(
    {"table": "latency", "kind": "span", "metavar": "SECONDS", "live": True, "per_key": True}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything that makes one emulator behave the way it does; each field's `Setting` says what
    it does (its `help`). Beyond that: `data_dir` None is ephemeral (a temporary directory removed
    when the emulator stops); the three timings are Spans once built (fixed, or a range drawn per
    batch from the seed); `workers` None is "auto", 0 a thread of the server's own (the library's
    default; answers are the same either way, see docs/performance.md)."""

    host: str = setting("Interface to listen on. Use 0.0.0.0 inside a container.", "127.0.0.1", table=None)
    port: int = setting("Port to listen on (0 picks a free one).", 8790, kind="int", check=_port, table=None)
    data_dir: Path | None = setting(
        "Directory for the SQLite database and file blobs; state survives restarts.",
        Path(".gemini-emulator"),
        kind="dir",
        metavar="DIR",
        table=None,
        unset="(a temporary directory)",
    )
    seed: int = setting(
        "Root of every id, fake answer and injected fault: same seed, same input, same output.", 0, kind="int"
    )
    clock: str = setting(
        "real: wall-clock time (times --time-scale); manual: time moves only through the control plane.",
        "real",
        choices=("real", "manual"),
        table="clock",
        key="mode",
        per_key=True,
    )
    time_scale: float = setting(
        "Emulated seconds per real second with the real clock (3600 turns an hour into a second).",
        1.0,
        kind="float",
        metavar="F",
        low=0,
        above=True,
        table="clock",
    )
    clock_start: str | None = setting(
        "Emulated time at first start, RFC 3339 (default: now).",
        None,
        kind="time",
        metavar="TIME",
        check=_rfc3339,
        table="clock",
        key="start",
        unset="(now, at first start)",
        per_key=True,
    )
    queue_delay: Span | float | str = setting(
        "How long a batch stays PENDING: seconds, or a range drawn per batch (60..600).", Span(0.1, 0.1), **_TIMING
    )
    request_latency: Span | float | str = setting(
        "Processing time of one request inside a batch (0: all at once), or a range.", Span(0.001, 0.001), **_TIMING
    )
    batch_overhead: Span | float | str = setting(
        "Time between a batch's last answer and SUCCEEDED, or a range.", Span(0.0, 0.0), **_TIMING
    )
    http_latency: float = setting(
        "Real seconds added to every API response.",
        0.0,
        kind="float",
        metavar="SECONDS",
        low=0,
        table="latency",
        key="http",
        live=True,
    )
    request_error_rate: float = setting(
        "Seeded fraction of batch requests answered with an error line (500 INTERNAL).",
        0.0,
        kind="float",
        metavar="P",
        low=0,
        high=1,
        live=True,
        per_key=True,
    )
    faults: FaultPolicy = setting(
        "HTTP, job, line and quirk fault rules (docs/faults.md).",
        factory=FaultPolicy,
        kind="faults",
        cli=False,
        live=True,
        per_key=True,
    )
    max_active_batches: int = setting(
        "Batches that may be PENDING or RUNNING at once per key.", 100, metavar="N", **_LIVE_LIMIT
    )
    max_file_bytes: int = setting("Largest file an upload may announce.", 2 * GIB, metavar="BYTES", **_LIVE_LIMIT)
    max_storage_bytes: int = setting("File storage per API key.", 20 * GIB, metavar="BYTES", **_LIVE_LIMIT)
    max_inline_bytes: int = setting(
        "Largest total size of a batch's inline requests.", 20 * MIB, metavar="BYTES", **_LIVE_LIMIT
    )
    file_retention: float = setting("Seconds before a file expires and disappears.", 48 * HOUR, **_LIVE_SECONDS)
    batch_expiry: float = setting("Seconds before an unfinished batch becomes EXPIRED.", 48 * HOUR, **_LIVE_SECONDS)
    video_processing: float = setting(
        "Seconds an uploaded video stays PROCESSING before it is ACTIVE (and usable).", 10.0, **_LIVE_SECONDS
    )
    audio_processing: float = setting(
        "Seconds an uploaded audio file stays PROCESSING before it is ACTIVE (and usable).", 2.0, **_LIVE_SECONDS
    )
    public_url: str | None = setting(
        "Base URL clients reach the emulator by (default: taken from each request's Host).",
        None,
        metavar="URL",
        check=_url,
        unset="(from each request's Host)",
    )
    responder: str = setting(
        "The fake model: default, echo, fixed:<text>, or module:callable for your own.",
        "default",
        metavar="MODE",
        check=_responder,
    )
    responses: Path | None = setting(
        "Rule file (TOML or JSON) of scripted answers, matched before the responder.", None, kind="path", metavar="FILE"
    )
    models: Path | None = setting(
        "A JSON catalogue of models for models.list and models.get (default: current Gemini models).",
        None,
        kind="path",
        metavar="FILE",
    )
    seed_file: Path | None = setting(
        "Files and batches (JSON or TOML) to create at start-up unless they exist.", None, kind="path", metavar="FILE"
    )
    validation: str = setting(
        "How request bodies are checked against Google's schema and the service's rules: strict (refused as the "
        "real API refuses them), lenient (unknown field names let through, logged and journaled) or off.",
        "strict",
        choices=("strict", "lenient", "off"),
    )
    allow_unknown_models: bool = setting(
        "Answer model ids the catalogue does not list (instead of the real 404).", False, kind="bool"
    )
    tier: str | None = setting(
        "Google's usage tier whose per-model limits apply (enqueued batch tokens, requests and tokens per minute, "
        "requests per day; docs/quotas.md). Default: none of these limits.",
        None,
        choices=("free", "1", "2", "3"),
        table="quotas",
        unset="(none: no enqueued-token or per-minute limits)",
    )
    quotas: tuple[str, ...] = setting(
        "One limit, over the tier's: MODEL:METRIC=N, e.g. gemini-2.5-flash:enqueued_tokens=1000 (repeat for "
        "several; the variable takes them space-separated; METRIC: enqueued_tokens, rpm, tpm, rpd, batch_rpm, "
        "batch_rpd; N: a number or none).",
        (),
        kind="keys",
        metavar="MODEL:METRIC=N",
        flag="quota",
        check=_quotas,
        table="quotas",
        key="limits",
    )
    webhook_allow: tuple[str, ...] = setting(
        "Where webhook deliveries may go (repeat for several): loopback (the default: localhost, 127.0.0.0/8, "
        "::1), * (anywhere), a URL pattern (https://hooks.internal/*) or a host or host:port glob. Deliveries "
        "elsewhere are never sent (docs/security.md).",
        ("loopback",),
        kind="keys",
        metavar="PATTERN",
        check=_keys,
        table="webhooks",
        key="allow",
    )
    webhook_timeout: float = setting(
        "Real seconds one webhook delivery attempt may take.",
        5.0,
        kind="float",
        metavar="SECONDS",
        low=0,
        above=True,
        table="webhooks",
        key="timeout",
    )
    webhook_pace: float = setting(
        "Real seconds between webhook attempts' starts while the API is in use (0: no pace, full speed).",
        0.02,
        kind="float",
        metavar="SECONDS",
        low=0,
        table="webhooks",
        key="pace",
    )
    webhook_cancelled_events: bool = setting(
        "Emit batch.cancelled webhook events (only Google's guide lists them).",
        False,
        kind="bool",
        table="webhooks",
        key="cancelled_events",
    )
    webhook_disable_after: int = setting(
        "Events in a row out of retries before a webhook becomes disabled_due_to_failed_deliveries.",
        1,
        kind="int",
        metavar="N",
        low=1,
        table="webhooks",
        key="disable_after",
    )
    webhook_raw_key: bool = setting(
        "Sign static webhooks with the UTF-8 bytes of the whole whsec_ secret (an early report) instead of its "
        "decoded key.",
        False,
        kind="bool",
        table="webhooks",
        key="raw_key",
    )
    webhook_issuer: str = setting(
        "The iss claim of dynamic webhooks' JWTs.",
        "https://generativelanguage.googleapis.com",
        metavar="URL",
        table="webhooks",
        key="issuer",
    )
    max_request_bytes: int = setting("Largest JSON request body.", 64 * MIB, metavar="BYTES", **_START_LIMIT)
    max_line_bytes: int = setting(
        "Longest JSONL line; a longer one becomes an error line.", 20 * MIB, metavar="BYTES", **_START_LIMIT
    )
    max_batch_requests: int | None = setting(
        "Most requests in one batch (default: no limit).", None, metavar="N", **_START_LIMIT
    )
    api_keys: tuple[str, ...] = setting(
        "Accept only this API key (repeat for several; the variable takes them space-separated). Without one, "
        "any key works.",
        (),
        kind="keys",
        metavar="KEY",
        flag="api-key",
        check=_keys,
        secret=True,
    )
    control_token: str | None = setting(
        "Require this token for /_emulator/* (Authorization: Bearer TOKEN).", None, metavar="TOKEN", secret=True
    )
    log_level: str = setting("How much to log.", "info", choices=LOG_LEVELS)
    workers: int | None = setting(
        "Processes that answer the lines of large batches beside the server: auto (one per core, up to 8) or N "
        "(0: in the server's own process).",
        0,
        kind="workers",
        metavar="N",
        check=_workers,
        serve_default="auto",
        unset="auto (one per core, up to 8)",
    )

    def __post_init__(self) -> None:
        for name, described in SETTINGS.items():
            value = getattr(self, name)
            if described.kind == "span":
                object.__setattr__(self, name, _span(name, value))
            elif (problem := described.problem(value)) is not None:
                raise ConfigError(f"{name} {problem}, not {value!r}.")

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


def _span(name: str, value: object) -> Span:
    try:
        return Span.parse(value, name)
    except InvalidArgument as exc:
        raise ConfigError(exc.message) from None


# --- what the descriptions give ------------------------------------------------------------------

SETTINGS: Mapping[str, Setting] = types.MappingProxyType(
    {item.name: item.metadata["setting"] for item in dataclasses.fields(Settings)}
)
LIVE = frozenset(name for name, s in SETTINGS.items() if s.live)  # changeable while running
PER_KEY = frozenset(name for name, s in SETTINGS.items() if s.per_key)  # ... for one API key


def env_name(name: str) -> str:
    """The environment variable of a setting (or of another option of the command line)."""
    return "GEMINI_EMULATOR_" + name.upper()


def flag_name(name: str) -> str:
    return "--" + (SETTINGS[name].flag or name.replace("_", "-"))


def live_view(settings: Settings) -> dict[str, Any]:
    """The run-time changeable settings in the scenario's shape, lowerCamelCase (the fault rules
    aside: the fault book holds the live ones): tables first, then top-level values."""
    tables: dict[str, dict[str, Any]] = {}
    top: dict[str, Any] = {}
    for name, s in SETTINGS.items():
        if s.live and s.kind != "faults":
            value = getattr(settings, name)
            value = str(value) if isinstance(value, Span) else value
            if s.table:
                tables.setdefault(s.table, {})[to_camel(s.key or name)] = value
            else:
                top[to_camel(name)] = value
    return {**tables, **top}
