"""The `gemini-batch-emulator` command. Every flag also reads `GEMINI_EMULATOR_<FLAG>`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from emulator import __version__
from emulator.config import ConfigError, Settings

_DEFAULTS = Settings()


def _env(name: str) -> str:
    return "GEMINI_EMULATOR_" + name.upper()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="gemini-batch-emulator")
def main() -> None:
    """A local emulator of the Gemini API Files and Batch Mode endpoints.

    Point the official SDKs at it with GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8790 (any API key).
    """


@main.command()
@click.option(
    "--host",
    default=_DEFAULTS.host,
    envvar=_env("host"),
    show_default=True,
    show_envvar=True,
    help="Interface to listen on. Use 0.0.0.0 inside a container.",
)
@click.option(
    "--port",
    type=int,
    default=_DEFAULTS.port,
    envvar=_env("port"),
    show_default=True,
    show_envvar=True,
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=_DEFAULTS.data_dir,
    envvar=_env("data_dir"),
    show_default=True,
    show_envvar=True,
    help="Directory for the SQLite database and file blobs; state survives restarts.",
)
@click.option(
    "--ephemeral",
    is_flag=True,
    envvar=_env("ephemeral"),
    show_envvar=True,
    help="Keep state in a temporary directory removed at exit (overrides --data-dir).",
)
@click.option(
    "--seed",
    type=int,
    default=_DEFAULTS.seed,
    envvar=_env("seed"),
    show_default=True,
    show_envvar=True,
    help="Root of every id, fake answer and injected fault: same seed, same input, same output.",
)
@click.option(
    "--request-latency",
    type=float,
    default=_DEFAULTS.request_latency,
    envvar=_env("request_latency"),
    show_default=True,
    show_envvar=True,
    metavar="SECONDS",
    help="Processing time of one request inside a batch (0 answers a whole batch at once).",
)
@click.option(
    "--request-error-rate",
    type=click.FloatRange(0, 1),
    default=_DEFAULTS.request_error_rate,
    envvar=_env("request_error_rate"),
    show_default=True,
    show_envvar=True,
    metavar="P",
    help="Seeded fraction of batch requests answered with an error line (500 INTERNAL).",
)
@click.option(
    "--queue-delay",
    type=float,
    default=_DEFAULTS.queue_delay,
    envvar=_env("queue_delay"),
    show_default=True,
    show_envvar=True,
    metavar="SECONDS",
    help="How long a batch stays PENDING before it starts RUNNING.",
)
@click.option(
    "--public-url",
    default=None,
    envvar=_env("public_url"),
    show_envvar=True,
    help="Base URL clients reach the emulator by (default: taken from each request's Host).",
)
@click.option(
    "--responder",
    default=_DEFAULTS.responder,
    envvar=_env("responder"),
    show_default=True,
    show_envvar=True,
    metavar="MODE",
    help="The fake model: default, echo, fixed:<text>, or module:callable for your own.",
)
@click.option(
    "--responses",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar=_env("responses"),
    show_envvar=True,
    metavar="FILE",
    help="Rule file (TOML or JSON) of scripted answers, matched before the responder.",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default=_DEFAULTS.log_level,
    envvar=_env("log_level"),
    show_default=True,
    show_envvar=True,
)
def serve(ephemeral: bool, **options: Any) -> None:
    """Serve the emulator until interrupted (SIGINT/SIGTERM)."""
    import uvicorn

    from emulator.app import create_app

    if ephemeral:
        options["data_dir"] = None
    try:
        settings = Settings(**options)
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from exc
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
