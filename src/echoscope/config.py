"""Every default in one readable place.

Precedence: built-in defaults < the config file < environment variables (ECHOSCOPE_*) < command-line flags.
The config file is `echoscope.toml` in the working directory, or the file named by ECHOSCOPE_CONFIG:

    db = "archive/echoscope.db"     # or "postgresql+psycopg://analyst@localhost/echoscope"
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path

from echoscope.errors import ConfigError

DEFAULTS = {"db": "echoscope.db"}


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
