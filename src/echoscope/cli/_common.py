"""What every command module shares: the app and its groups, consoles, the --db option, date parsing.

A command module imports `app` (or a group such as `export_app`) from here and decorates its functions;
`cli/__init__.py` imports the command modules so their commands exist.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.console import Console

from echoscope import __version__, config
from echoscope.dates import parse_when  # noqa: F401  (command modules import it from here)
from echoscope.store import Store

app = typer.Typer(
    help="echoscope: archive Telegram channels, search them in any script, and cite the evidence.",
    epilog=(
        "A first session: [bold]echoscope ingest tdesktop ChatExport_2023-06-08/[/] · "
        "[bold]echoscope channels import registry.csv[/] · [bold]echoscope stats[/] · "
        "[bold]echoscope search \"الناتو\" --since 2023-06-01[/]. "
        "The store is ./echoscope.db unless --db, ECHOSCOPE_DB or echoscope.toml say otherwise."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
ingest_app = typer.Typer(help="Bring collected data into the store (idempotent: re-running changes nothing).", no_args_is_help=True)
export_app = typer.Typer(help="Write records for other tools (JSON Lines or CSV, stable field names).", no_args_is_help=True)
channels_app = typer.Typer(help="The channel registry: affiliations, usernames, attribution.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(export_app, name="export")
collect_app = typer.Typer(help="Collect from the live web and the Telegram API (incremental, resumable).", no_args_is_help=True)
app.add_typer(channels_app, name="channels")
app.add_typer(collect_app, name="collect")

out = Console(soft_wrap=False)
err = Console(stderr=True)
_state = {"debug": False}

Db = Annotated[
    Optional[str],
    typer.Option(
        "--db",
        envvar="ECHOSCOPE_DB",
        show_default="echoscope.db",
        help="SQLite file path or database URL (postgresql+psycopg://…); also the `db` key of echoscope.toml.",
    ),
]
Format = Annotated[str, typer.Option("--format", "-f", help="Output format: table, jsonl or csv.")]


def open_store(db: Optional[str]) -> Store:
    return Store(db or config.default_db())


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    _state["debug"] = debug
    if version:
        out.print(f"echoscope {__version__}")
        raise typer.Exit()
