"""The `gemini-batch-emulator` command. Every flag also reads `GEMINI_EMULATOR_<FIELD>`; the flags
(name, type, bounds, default, help) come from the descriptions of the Settings fields (emulator.config).

Precedence, lowest first: built-in defaults < the `--scenario` file < environment < flags.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from emulator import __version__, config
from emulator.observability.logs import LOG_FORMATS

_DEFAULTS = config.Settings()


class _Workers(click.ParamType):  # type: ignore[type-arg]
    """`auto` (None) or a number of processes."""

    name = "workers"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int | None:
        if value is None or value == "auto":
            return None
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return int(value)
        self.fail(f"{value!r} is neither 'auto' nor a number of processes.", param, ctx)


def _click_type(s: config.Setting) -> Any:
    """The option type a setting's description asks for (its bounds and choices show in --help)."""
    if s.choices:
        return click.Choice(list(s.choices))
    if s.kind in ("int", "float"):
        if s.low is None and s.high is None:
            return int if s.kind == "int" else float
        if s.kind == "float":
            return click.FloatRange(min=s.low, max=s.high, min_open=s.above)
        low, high = (None if bound is None else int(bound) for bound in (s.low, s.high))
        return click.IntRange(min=low, max=high, min_open=s.above)
    if s.kind in ("path", "dir"):
        return click.Path(dir_okay=s.kind == "dir", file_okay=s.kind == "path", path_type=Path)
    if s.kind == "bool":
        return click.BOOL
    return _Workers() if s.kind == "workers" else str


def _default(name: str, s: config.Setting) -> Any:
    value = s.serve_default if s.serve_default is not None else getattr(_DEFAULTS, name)
    return str(value) if s.kind == "span" else value


def _with_flags(command: Any) -> Any:
    """One option per setting that has a flag, in the order of the Settings fields."""
    for name, s in reversed([(name, s) for name, s in config.SETTINGS.items() if s.cli]):
        default = _default(name, s)
        command = click.option(
            config.flag_name(name),
            name,
            type=_click_type(s),
            default=default,
            is_flag=s.kind == "bool",
            multiple=s.kind == "keys",
            envvar=config.env_name(name),
            show_default=default is not None and default != (),
            show_envvar=True,
            metavar=s.metavar,
            help=s.help,
        )(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="gemini-batch-emulator")
def main() -> None:
    """A local emulator of the Gemini API Files and Batch Mode endpoints.

    Point the official SDKs at it with GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8790 (any API key).
    """


def _env_option(flag: str, **attrs: Any) -> Any:
    """An option that also reads `GEMINI_EMULATOR_<NAME>` (shown in --help), as the settings' flags do."""
    return click.option(
        flag, envvar=config.env_name(flag.removeprefix("--").replace("-", "_")), show_envvar=True, **attrs
    )


def _common_options(command: Any) -> Any:
    """The options `serve` and `print-config` share: scenario, preset, ephemeral, log format, flags."""
    command = _with_flags(command)
    for option in (
        _env_option(
            "--log-format",
            type=click.Choice(LOG_FORMATS),
            default="text",
            show_default=True,
            help="text: one readable line per request and per batch transition; json: one JSON object per line.",
        ),
        _env_option(
            "--ephemeral",
            is_flag=True,
            help="Keep state in a temporary directory removed at exit (overrides --data-dir).",
        ),
        _env_option(
            "--preset",
            type=click.Choice(sorted(config.PRESETS)),
            help="Named latency settings (realistic: minutes of queueing, hours for big batches; use with "
            "--time-scale).",
        ),
        _env_option(
            "--scenario",
            metavar="FILE|NAME",
            help="A scenario file (TOML), or the name of a shipped one (fast, realistic, flaky-http, job-fails, "
            "expires, partial-failures). Flags and environment variables override it.",
        ),
    ):
        command = option(command)
    return command


@main.command()
@_common_options
@click.pass_context
def serve(
    ctx: click.Context,
    /,
    scenario: str | None,
    preset: str | None,
    ephemeral: bool,
    log_format: str,
    **options: Any,
) -> None:
    """Serve the emulator until interrupted (SIGINT/SIGTERM).

    On SIGTERM, requests in flight finish (up to 10 s) and running batches stop at their last
    checkpoint; they resume at the next start on the same --data-dir.
    """
    import uvicorn

    from emulator.app import create_app
    from emulator.asgi.protocol import uvicorn_options
    from emulator.observability.logs import RequestLog, configure

    settings = settings_from(ctx, scenario, preset, ephemeral, options)
    configure(settings.log_level, log_format)
    where = "a temporary directory" if settings.data_dir is None else str(settings.data_dir.resolve())
    reach = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(settings.host, settings.host)  # all interfaces: this one
    banner = (
        f"gemini-batch-emulator {__version__}: state in {where}; "
        f"set GOOGLE_GEMINI_BASE_URL=http://{reach}:{settings.port}"
    )
    if log_format == "json":
        logging.getLogger("emulator").info(banner, extra={"event": "start", "dataDir": where})
    else:
        click.echo(banner, err=True)
    if settings.host not in ("127.0.0.1", "localhost", "::1") and not settings.api_keys:
        logging.getLogger("emulator").warning(
            "listening on %s without --api-key: anyone who can reach port %d can use this emulator "
            "(see docs/security.md)",
            settings.host,
            settings.port,
        )
    uvicorn_config = uvicorn.Config(
        RequestLog(create_app(settings)),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=None,  # `configure` above routes uvicorn's loggers through our handler
        access_log=False,  # RequestLog writes one line per request instead
        lifespan="on",
        timeout_graceful_shutdown=10,
        **uvicorn_options(),  # unparseable requests answered in Google's JSON shape
    )
    uvicorn.Server(uvicorn_config).run()


@main.command("print-config")
@_common_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of a table.")
@click.pass_context
def print_config(
    ctx: click.Context,
    /,
    scenario: str | None,
    preset: str | None,
    ephemeral: bool,
    log_format: str,
    as_json: bool,
    **options: Any,
) -> None:
    """Show the settings `serve` would run with, given the same options and environment, and where
    each value came from: default, scenario file, preset, environment or flag. Starts nothing."""
    settings = settings_from(ctx, scenario, preset, ephemeral, options)
    rows = [(name, _shown(name, getattr(settings, name)), source) for name, source in sources(ctx, scenario, preset)]
    rows.append(("log_format", log_format, _source_of(ctx, "log_format")))
    if as_json:
        out = {
            name: {"value": _json_value(name, getattr(settings, name, log_format)), "source": src}
            for name, _, src in rows
        }
        click.echo(json.dumps(out, indent=2))
        return
    width = max(len(name) for name, _, _ in rows)
    value_width = min(40, max(len(value) for _, value, _ in rows))
    for name, value, source in [("setting", "value", "source"), *rows]:
        click.echo(f"{name:<{width}}  {value:<{value_width}}  {source}")


@main.command()
@click.option(
    "--url",
    envvar=config.env_name("healthcheck_url"),
    show_envvar=True,
    help="Health URL to probe (default: http://127.0.0.1:$GEMINI_EMULATOR_PORT/_emulator/health).",
)
@click.option("--timeout", type=float, default=3.0, show_default=True, help="Seconds to wait for an answer.")
def healthcheck(url: str | None, timeout: float) -> None:
    """Exit 0 if the emulator answers its health check, 1 otherwise: the image's HEALTHCHECK (no curl
    needed). Reads GEMINI_EMULATOR_HOST and GEMINI_EMULATOR_PORT as `serve` does."""
    import urllib.error
    import urllib.request

    if url is None:
        host = os.environ.get(config.env_name("host"), _DEFAULTS.host)
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
        host = f"[{host}]" if ":" in host else host
        url = f"http://{host}:{os.environ.get(config.env_name('port'), _DEFAULTS.port)}/_emulator/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = json.loads(response.read() or b"{}")
            healthy = response.status == 200 and body.get("status") == "ok"
    except (OSError, ValueError) as exc:
        click.echo(f"unhealthy: {url}: {exc}", err=True)
        raise SystemExit(1) from None
    if not healthy:
        click.echo(f"unhealthy: {url}: {body}", err=True)
        raise SystemExit(1)


def settings_from(
    ctx: click.Context, scenario: str | None, preset: str | None, ephemeral: bool, options: dict[str, Any]
) -> config.Settings:
    """defaults < scenario file < environment < flags; a bad value exits non-zero naming it."""
    try:
        values: dict[str, Any] = config.load_scenario(scenario) if scenario else {}
        if preset:
            values = {**values, **config.preset_settings(preset)}
        for name, value in options.items():
            if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT or name not in values:
                values[name] = value
        if ephemeral:
            values["data_dir"] = None
        return config.Settings(**values)
    except config.ConfigError as exc:
        raise click.BadParameter(str(exc)) from exc


def _source_of(ctx: click.Context, param: str) -> str:
    """Where a click parameter's value came from, or "default"."""
    source = ctx.get_parameter_source(param)
    if source is ParameterSource.COMMANDLINE:
        return "flag " + (config.flag_name(param) if param in config.SETTINGS else "--" + param.replace("_", "-"))
    if source is ParameterSource.ENVIRONMENT:
        return "environment " + config.env_name(param)
    return "default"


def sources(ctx: click.Context, scenario: str | None, preset: str | None) -> list[tuple[str, str]]:
    """Every Settings field with where its effective value came from, following `settings_from`'s
    precedence: flag or environment, else the preset, else the scenario file, else the default."""
    from_scenario = set(config.load_scenario(scenario)) if scenario else set()
    from_preset = set(config.preset_settings(preset)) if preset else set()
    scenario_file = str(config.scenario_path(scenario)) if scenario else ""
    out = []
    for name, s in config.SETTINGS.items():
        given = _source_of(ctx, name) if s.cli else "default"
        if name == "data_dir" and ctx.params.get("ephemeral"):
            given = _source_of(ctx, "ephemeral")
        if given != "default":
            out.append((name, given))
        elif name in from_preset:
            out.append((name, f"preset {preset} ({_source_of(ctx, 'preset')})"))
        elif name in from_scenario:
            out.append((name, f"scenario {scenario_file}"))
        else:
            out.append((name, "default"))
    return out


def _masked(name: str, value: Any) -> Any:
    """Secrets are shown as what they are, never as their value."""
    if config.SETTINGS[name].kind == "keys":
        return f"({len(value)} key{'s' if len(value) != 1 else ''})" if value else "(any key)"
    return "(set)" if value else None


def _shown(name: str, value: Any) -> str:
    if config.SETTINGS[name].secret:
        return str(_masked(name, value) or "-")
    if value is None:
        return config.SETTINGS[name].unset or "-"
    if config.SETTINGS[name].kind == "faults":
        wire = value.to_wire()
        return json.dumps(wire, separators=(",", ":")) if any(wire.values()) else "none"
    return str(value)


def _json_value(name: str, value: Any) -> Any:
    if name in config.SETTINGS and config.SETTINGS[name].secret:
        return _masked(name, value)
    if name in config.SETTINGS and config.SETTINGS[name].kind == "faults":
        return value.to_wire()
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)
