"""Which responder the settings ask for: `build_responder(settings)`, the registry of the `responder`
modes ("default", "echo", "fixed:<text>", "module:attribute") behind the scripted `responses` rules."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from emulator.config import ConfigError, Settings
from emulator.errors import ApiError
from emulator.responder import Responder
from emulator.responder.default import DefaultResponder
from emulator.responder.scripted import ScriptedResponder, load_rules


def build_responder(settings: Settings, image_models: Mapping[str, bool] | None = None) -> Responder:
    """The responder the settings ask for: the `responder` mode behind the `responses` rules.

    `responder` is "default", "echo", "fixed:<text>", or "module:attribute" naming either an object
    (or a class, instantiated without arguments) with `generate` and `embed` methods, or a callable
    `hook(request, info)` returning a text, a whole response dict, or None for the default answer.
    Raises `ConfigError` naming the setting when either is invalid. `image_models` are the catalogue's
    models that draw images (`Catalogue.image_models`).
    """
    spec = settings.responder
    default = DefaultResponder(settings.seed, image_models=image_models)
    base: Responder
    if spec == "default":
        base = default
    elif spec == "echo":
        base = DefaultResponder(settings.seed, "echo", image_models=image_models)
    elif spec.startswith("fixed:"):
        base = DefaultResponder(settings.seed, "fixed", spec.removeprefix("fixed:"), image_models=image_models)
    elif ":" in spec:
        base = _load_custom(spec, default)
    else:
        raise ConfigError(f"responder must be 'default', 'echo', 'fixed:<text>' or 'module:callable', not {spec!r}.")
    rules: list[dict[str, Any]] = []
    if settings.responses is not None:
        try:
            rules = load_rules(settings.responses)
            return ScriptedResponder(base, default, rules)
        except OSError as exc:
            raise ConfigError(f"responses: cannot read {settings.responses}: {exc.strerror or exc}.") from None
        except (ValueError, ApiError) as exc:  # JSON/TOML syntax errors are ValueErrors
            raise ConfigError(f"responses: {settings.responses} is not a valid rule file: {exc}") from None
    return ScriptedResponder(base, default, rules)


def _load_custom(spec: str, default: DefaultResponder) -> Responder:

    module_name, _, attribute = spec.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for name in attribute.split("."):
            target = getattr(target, name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"responder: cannot load {spec!r}: {exc}.") from None
    if isinstance(target, type):
        target = target()
    if callable(getattr(target, "generate", None)) and callable(getattr(target, "embed", None)):
        responder: Responder = target
        return responder
    if callable(target):
        from emulator.responder.custom import HookResponder  # only for a hook: not at start-up

        return HookResponder(target, default)
    raise ConfigError(f"responder: {spec!r} is neither a responder nor a callable.")
