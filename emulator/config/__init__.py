"""Settings: one frozen value, the single source of truth for an emulator instance.

`settings.py` holds `Settings` and its descriptions; `scenarios.py` reads scenario files.

Each field of `Settings` carries one `Setting` (its metadata, built by `setting(...)`), and everything
else is derived from those descriptions:
- the scenario file's tables and keys (`scenario_settings`, `TABLES`),
- the `serve`/`print-config` flags and their environment variables `GEMINI_EMULATOR_<FIELD>` (cli.py),
- validation (`Settings.__post_init__`, and the same checks on scenario and run-time values),
- what the control plane may change while running, for everyone (`LIVE`) or one API key (`PER_KEY`),
- the effective-config view, `GET /_emulator/config` (`live_view`),
- how `print-config` shows a value (secrets masked, what "unset" means).
The precedence is defaults < scenario file < environment < flags. Nothing else reads the environment.

Adding a setting is a one-place change: add a field here with `setting("help for --help", ...)`,
saying its `kind`, bounds or choices, its scenario `table` (`None` to keep it out of scenario files),
and whether it is `live` / `per_key`. Then read `settings.<field>` where it matters. The flag, the
variable, the scenario key, the checks, the `print-config` row and (when live) the run-time change and
the config view follow. The docs test wants each scenario key named in fixtures/README.md and
docs/scenarios.md.
"""

from __future__ import annotations

from emulator.config.scenarios import (
    PRESETS,
    TABLES,
    load_scenario,
    preset_settings,
    read_document,
    scenario_document,
    scenario_path,
    scenario_settings,
    shipped_scenario_dirs,
)
from emulator.config.settings import (
    GIB,
    HOUR,
    LIVE,
    LOG_LEVELS,
    MIB,
    PER_KEY,
    SETTINGS,
    ConfigError,
    Setting,
    Settings,
    env_name,
    flag_name,
    live_view,
    setting,
)

_TABLES = TABLES  # the name older code knows

__all__ = [
    "GIB",
    "HOUR",
    "LIVE",
    "LOG_LEVELS",
    "MIB",
    "PER_KEY",
    "PRESETS",
    "SETTINGS",
    "TABLES",
    "ConfigError",
    "Setting",
    "Settings",
    "env_name",
    "flag_name",
    "live_view",
    "load_scenario",
    "preset_settings",
    "read_document",
    "scenario_document",
    "scenario_path",
    "scenario_settings",
    "setting",
    "shipped_scenario_dirs",
]
