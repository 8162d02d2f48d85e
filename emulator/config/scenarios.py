"""Scenario files: TOML (or JSON) documents holding settings grouped in tables, read into Settings
field values; the tables and keys come from the fields' descriptions. Also the latency presets."""

from __future__ import annotations

import datetime
import json
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from emulator.config.settings import SETTINGS, ConfigError, _span
from emulator.errors import InvalidArgument
from emulator.faults.rules import FaultPolicy
from emulator.ids import tenant_for_key

# Scenario tables -> their keys -> the field each key sets ("preset" expands into the timings). Rule
# lists (`[[faults.http]]`) are tables of tables, read by their own parser.
_RULES = frozenset(name for name, s in SETTINGS.items() if s.kind == "faults")
TABLES: Mapping[str, Mapping[str, str]] = types.MappingProxyType(
    {
        table: types.MappingProxyType(
            {s.key or name: name for name, s in SETTINGS.items() if s.table == table and s.kind != "faults"}
            | ({"preset": "preset"} if table == "latency" else {})
        )
        for table in dict.fromkeys(s.table for s in SETTINGS.values() if s.table is not None)
    }
)

# Named latency presets: what a preset sets, below anything given explicitly.
PRESETS: dict[str, dict[str, str]] = {
    "fast": {"queue_delay": "0", "request_latency": "0", "batch_overhead": "0"},
    "default": {"queue_delay": "0.1", "request_latency": "0.001", "batch_overhead": "0"},
    # Real turnaround: minutes of queueing, a fraction of a second per request, minutes of wrap-up.
    # Meant for use with a time scale (e.g. --time-scale 3600) or a manual clock.
    "realistic": {"queue_delay": "120..3600", "request_latency": "0.05..0.5", "batch_overhead": "60..600"},
}


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
    package = Path(__file__).resolve().parents[1]
    candidates = [package / "fixtures" / "scenarios", package.parent / "fixtures" / "scenarios"]
    return [c for c in candidates if c.is_dir()]


def scenario_settings(data: Mapping[str, Any], *, base_dir: Path | None = None) -> dict[str, Any]:
    """Flatten a scenario document into checked Settings field values (a ConfigError names a bad key).
    Relative paths are relative to `base_dir` (the scenario file's directory)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = _camel_to_snake(key)
        if name in _RULES:
            out[name] = value
        elif name in TABLES and name:
            if not isinstance(value, dict):
                raise ConfigError(f"[{name}] must be a table.")
            for sub, sub_value in value.items():
                target = TABLES[name].get(_camel_to_snake(sub))
                if target is None:
                    raise ConfigError(f"unknown setting {name}.{sub} (known: {', '.join(TABLES[name])}).")
                out[target] = sub_value
        elif name in TABLES[""]:
            out[name] = value
        else:
            known = ", ".join(sorted([*TABLES[""], *filter(None, TABLES), *_RULES]))
            raise ConfigError(f"unknown setting {key!r}; expected {known}.")
    preset = out.pop("preset", None)
    if preset is not None:
        out = {**preset_settings(str(preset)), **out}
    typed = {name: _typed(name, value) for name, value in out.items()}
    for name, value in typed.items():
        if SETTINGS[name].kind == "path" and base_dir is not None and not value.is_absolute():
            typed[name] = base_dir / value
    return typed


def _typed(name: str, value: Any) -> Any:
    """A scenario value as its setting's type, checked, or a ConfigError naming the setting."""
    kind = SETTINGS[name].kind
    if kind == "faults":
        return _faults(value)
    if kind == "span":
        _span(name, value)  # checked here, kept as written: Settings makes it a Span
        return value
    if kind == "workers" and value in ("auto", None):
        return None
    if kind == "time" and isinstance(value, datetime.datetime | datetime.date):
        value = value.isoformat()
    try:
        if kind in ("int", "workers"):
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            value = int(value)
        elif kind == "float":
            if isinstance(value, bool):
                raise ValueError
            value = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be {'a number' if kind == 'float' else 'an integer'}, not {value!r}.") from None
    if kind == "bool" and not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false, not {value!r}.")
    if kind in ("str", "time", "path", "dir") and not isinstance(value, str):
        raise ConfigError(f"{name} must be a string, not {value!r}.")
    if kind == "keys":
        if not isinstance(value, list | tuple) or not all(isinstance(k, str) for k in value):
            raise ConfigError(f"{name} must be a list of strings.")
        value = tuple(value)
    if kind in ("path", "dir"):
        value = Path(value)
    if (problem := SETTINGS[name].problem(value)) is not None:
        raise ConfigError(f"{name} {problem}, not {value!r}.")
    return value


def _faults(value: Any) -> FaultPolicy:
    if not isinstance(value, dict):
        raise ConfigError("faults: expected a table with http, job and line lists.")
    try:
        from emulator.faults.parsing import parse_faults  # the parsers load only when rules are given

        return parse_faults(value, tenant_for_key)
    except InvalidArgument as exc:
        raise ConfigError(exc.message) from None


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


def scenario_document(values: Mapping[str, Any]) -> dict[str, Any]:
    """Field values as a scenario document (`{"clock": {"mode": ...}, ...}`): the inverse of
    `scenario_settings`. Timings are written as text, so a Span goes over the wire as "1..2"."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        s = SETTINGS[name]
        if s.table is None:
            raise ConfigError(f"{name} cannot be written in a scenario.")
        value = str(value) if s.kind == "span" else value
        if s.table:
            out.setdefault(s.table, {})[s.key or name] = value
        else:
            out[name] = value
    return out
