"""Every default in one readable place.

Precedence: built-in defaults < the config file < environment variables (ECHOSCOPE_*) < command-line flags.
The config file is `echoscope.toml` in the working directory, or the file named by ECHOSCOPE_CONFIG:

    db = "archive/echoscope.db"     # or "postgresql+psycopg://analyst@localhost/echoscope"

    [stages.echoes]                 # a stage's settings, under its name; see `echoscope analyze --help`
    jaccard = 0.8
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path

from echoscope.errors import ConfigError

DEFAULTS = {"db": "echoscope.db", "stages": {}, "api_id": None, "api_hash": None}  # api_*: your own, my.telegram.org


@cache
def file_settings() -> dict:
    path = Path(os.environ.get("ECHOSCOPE_CONFIG", "echoscope.toml"))
    if not path.is_file():
        return {}
    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    unknown = set(settings) - set(DEFAULTS)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
    return settings


def setting(name: str):
    """A setting from the environment, else the config file, else the default (flags override later)."""
    env = os.environ.get(f"ECHOSCOPE_{name.upper()}")
    return env if env is not None else file_settings().get(name, DEFAULTS[name])


def default_db() -> str:
    return str(setting("db"))


def stage_sections() -> dict[str, dict]:
    """The `[stages.*]` tables of the config file, by stage name."""
    sections = file_settings().get("stages", {})
    if not isinstance(sections, dict) or not all(isinstance(value, dict) for value in sections.values()):
        raise ConfigError("stages: expected tables such as [stages.echoes]")
    return sections


def stage_settings(stage: str, defaults: dict) -> dict:
    """A stage's settings: its defaults, overridden by `[stages.<stage>]` in the config file.

    A key the stage does not know, or a value of the wrong type, is a ConfigError naming both."""
    given = stage_sections().get(stage, {})
    unknown = set(given) - set(defaults)
    if unknown:
        raise ConfigError(f"[stages.{stage}]: unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(defaults))}")
    merged = dict(defaults)
    for key, value in given.items():
        expected = type(defaults[key])
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"[stages.{stage}] {key} = {value!r}: expected {expected.__name__}")
        merged[key] = value
    return merged
