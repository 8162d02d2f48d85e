"""The `gemini-batch-emulator` command. Every flag also reads `GEMINI_EMULATOR_<FLAG>`.

Precedence, lowest first: built-in defaults < the `--scenario` file < environment < flags.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from emulator import __version__
from emulator.config import PRESETS, ConfigError, Settings, load_scenario, preset_settings

_DEFAULTS = Settings()


@dataclass(frozen=True)
class Flag:
    """One `serve` option: its Settings field, click type and help."""

    field: str
    type: Any
    help: str
    metavar: str | None = None


_FLAGS = [
    Flag("host", str, "Interface to listen on. Use 0.0.0.0 inside a container."),
    Flag("port", int, "Port to listen on (0 picks a free one)."),
    Flag(
        "data_dir",
        click.Path(file_okay=False, path_type=Path),
        "Directory for the SQLite database and file blobs; state survives restarts.",
        "DIR",
    ),
    Flag("seed", int, "Root of every id, fake answer and injected fault: same seed, same input, same output."),
    Flag(
        "clock",
        click.Choice(["real", "manual"]),
        "real: wall-clock time (times --time-scale); manual: time moves only through the control plane.",
    ),
    Flag(
        "time_scale",
        click.FloatRange(min=0, min_open=True),
        "Emulated seconds per real second with the real clock (3600 turns an hour into a second).",
        "F",
    ),
    Flag("clock_start", str, "Emulated time at first start, RFC 3339 (default: now).", "TIME"),
    Flag(
        "queue_delay", str, "How long a batch stays PENDING: seconds, or a range drawn per batch (60..600).", "SECONDS"
    ),
    Flag(
        "request_latency", str, "Processing time of one request inside a batch (0: all at once), or a range.", "SECONDS"
    ),
    Flag("batch_overhead", str, "Time between a batch's last answer and SUCCEEDED, or a range.", "SECONDS"),
    Flag("http_latency", click.FloatRange(min=0), "Real seconds added to every API response.", "SECONDS"),
    Flag(
        "request_error_rate",
        click.FloatRange(0, 1),
        "Seeded fraction of batch requests answered with an error line (500 INTERNAL).",
        "P",
    ),
    Flag("max_active_batches", click.IntRange(min=1), "Batches that may be PENDING or RUNNING at once per key.", "N"),
    Flag("max_file_bytes", click.IntRange(min=1), "Largest file an upload may announce.", "BYTES"),
    Flag("max_storage_bytes", click.IntRange(min=1), "File storage per API key.", "BYTES"),
    Flag("max_inline_bytes", click.IntRange(min=1), "Largest total size of a batch's inline requests.", "BYTES"),
    Flag("file_retention", click.FloatRange(min=0), "Seconds before a file expires and disappears.", "SECONDS"),
    Flag("batch_expiry", click.FloatRange(min=0), "Seconds before an unfinished batch becomes EXPIRED.", "SECONDS"),
    Flag("public_url", str, "Base URL clients reach the emulator by (default: taken from each request's Host).", "URL"),
    Flag("responder", str, "The fake model: default, echo, fixed:<text>, or module:callable for your own.", "MODE"),
    Flag(
        "responses",
        click.Path(dir_okay=False, path_type=Path),
        "Rule file (TOML or JSON) of scripted answers, matched before the responder.",
        "FILE",
    ),
    Flag(
        "seed_file",
        click.Path(dir_okay=False, path_type=Path),
        "Files and batches (JSON or TOML) to create at start-up unless they exist.",
        "FILE",
    ),
    Flag("log_level", click.Choice(["critical", "error", "warning", "info", "debug"]), "How much to log."),
]


def _env(name: str) -> str:
    return "GEMINI_EMULATOR_" + name.upper()


def _default(field: str) -> Any:
    value = getattr(_DEFAULTS, field)
    return str(value) if field in ("queue_delay", "request_latency", "batch_overhead") else value


def _with_flags(command: Any) -> Any:
    for flag in reversed(_FLAGS):
        command = click.option(
            "--" + flag.field.replace("_", "-"),
            flag.field,
            type=flag.type,
            default=_default(flag.field),
            envvar=_env(flag.field),
            show_default=_default(flag.field) is not None,
            show_envvar=True,
            metavar=flag.metavar,
            help=flag.help,
        )(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="gemini-batch-emulator")
def main() -> None:
    """A local emulator of the Gemini API Files and Batch Mode endpoints.

    Point the official SDKs at it with GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8790 (any API key).
    """


@main.command()
@click.option(
    "--scenario",
    envvar=_env("scenario"),
    show_envvar=True,
    metavar="FILE|NAME",
    help="A scenario file (TOML), or the name of a shipped one (fast, realistic, flaky-http, job-fails, "
    "expires, partial-failures). Flags and environment variables override it.",
)
@click.option(
    "--preset",
    type=click.Choice(sorted(PRESETS)),
    envvar=_env("preset"),
    show_envvar=True,
    help="Named latency settings (realistic: minutes of queueing, hours for big batches; use with --time-scale).",
)
@click.option(
    "--ephemeral",
    is_flag=True,
    envvar=_env("ephemeral"),
    show_envvar=True,
    help="Keep state in a temporary directory removed at exit (overrides --data-dir).",
)
@_with_flags
@click.pass_context
def serve(ctx: click.Context, /, scenario: str | None, preset: str | None, ephemeral: bool, **options: Any) -> None:
    """Serve the emulator until interrupted (SIGINT/SIGTERM)."""
    import uvicorn

    from emulator.app import create_app

    settings = settings_from(ctx, scenario, preset, ephemeral, options)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    where = "a temporary directory" if settings.data_dir is None else str(settings.data_dir.resolve())
    click.echo(
        f"gemini-batch-emulator {__version__}: state in {where}; "
        f"set GOOGLE_GEMINI_BASE_URL=http://{settings.host}:{settings.port}",
        err=True,
    )
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
    uvicorn.Server(config).run()


def settings_from(
    ctx: click.Context, scenario: str | None, preset: str | None, ephemeral: bool, options: dict[str, Any]
) -> Settings:
    """defaults < scenario file < environment < flags; a bad value exits non-zero naming it."""
    try:
        values: dict[str, Any] = load_scenario(scenario) if scenario else {}
        if preset:
            values = {**values, **preset_settings(preset)}
        for name, value in options.items():
            if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT or name not in values:
                values[name] = value
        if ephemeral:
            values["data_dir"] = None
        return Settings(**values)
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from exc
