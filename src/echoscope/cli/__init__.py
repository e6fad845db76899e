"""The `echoscope` command: one command, one library call; errors become one line and an exit code."""

from __future__ import annotations

import sys

from rich.markup import escape

# isort: off  (import order is the order of commands in --help; importing a module registers its commands)
from echoscope.cli import archive  # noqa: F401
from echoscope.cli import analyze  # noqa: F401
from echoscope.cli import text  # noqa: F401
from echoscope.cli import echoes  # noqa: F401
from echoscope.cli import collect  # noqa: F401
from echoscope.cli import network  # noqa: F401
from echoscope.cli import images  # noqa: F401
from echoscope.cli import serve  # noqa: F401
from echoscope.cli import demo  # noqa: F401
from echoscope.cli import translate  # noqa: F401
from echoscope.cli import telegram  # noqa: F401
from echoscope.cli import report  # noqa: F401
# isort: on
from echoscope.cli._common import _state, app, err
from echoscope.errors import EchoscopeError


def main() -> None:
    try:
        app()
    except EchoscopeError as exc:
        if _state["debug"]:
            raise
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(exc.exit_code)
