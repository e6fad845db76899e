"""Text findings on the command line: exports of mentions, symbols and narratives, alerts, watchlist checks."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from echoscope.alerts import load_rules, run_alerts
from echoscope.cli._common import Db, app, err, export_app, open_store, out
from echoscope.errors import QueryError
from echoscope.exports import FORMATS, write_records
from echoscope.store import text as text_store
from echoscope.text import watchlist as watchlists
from echoscope.text.mentions import Matcher

alerts_app = typer.Typer(help="Alert rules over analysed posts: each fires once per post.", no_args_is_help=True)
watchlist_app = typer.Typer(help="Watchlists: entities, keywords, symbols and narrative rules (YAML).", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
app.add_typer(watchlist_app, name="watchlist")

FmtOption = Annotated[str, typer.Option("--format", "-f", help="jsonl or csv.")]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")]


def _export(db: str | None, fmt: str, output: Path | None, rows: Callable[..., Iterator[dict]], fields, what: str) -> None:
    if fmt not in FORMATS:
        raise QueryError(f"--format must be jsonl or csv, not {fmt!r}")
    with open_store(db) as store, store.reading() as conn:
        if output is None:
            write_records(rows(conn), sys.stdout, fmt, fields)
            return
        with output.open("w", encoding="utf-8", newline="") as handle:
            count = write_records(rows(conn), handle, fmt, fields)
    err.print(f"Wrote {count} {what} to {output}")


@export_app.command("mentions")
def export_mentions(db: Db = None, fmt: FmtOption = "jsonl", output: OutputOption = None) -> None:
    """One record per entity mention: the post fields, entity, entity_name, span, surface.

    Run [bold]echoscope analyze --only mentions[/] first. Example: [bold]echoscope export mentions -f csv -o mentions.csv[/]
    """
    _export(db, fmt, output, text_store.iter_mentions, text_store.MENTION_FIELDS, "mentions")


@export_app.command("symbols")
def export_symbols(db: Db = None, fmt: FmtOption = "jsonl", output: OutputOption = None) -> None:
    """One record per symbol-entity pairing: symbol, meaning, entity, entity_name, symbol_span, entity_span.

    Run [bold]echoscope analyze --only mentions,symbols[/] first. Example: [bold]echoscope export symbols > pairings.jsonl[/]
    """
    _export(db, fmt, output, text_store.iter_symbols, text_store.SYMBOL_FIELDS, "symbol pairings")


@export_app.command("narratives")
def export_narratives(db: Db = None, fmt: FmtOption = "jsonl", output: OutputOption = None) -> None:
    """One record per narrative tag of a post: narrative, and the spans ([start, end, term]) that triggered it.

    Run [bold]echoscope analyze --only narratives[/] first. Example: [bold]echoscope export narratives -f csv[/]
    """
    _export(db, fmt, output, text_store.iter_narratives, text_store.NARRATIVE_FIELDS, "narrative tags")


@alerts_app.command("run")
def alerts_run(
    rules: Annotated[Path, typer.Argument(help="YAML file of alert rules (see `alerts check`).")],
    db: Db = None,
    to: Annotated[str, typer.Option("--to", help="'-' for JSON Lines on stdout, a file to append to, or a webhook URL.")] = "-",
) -> None:
    """Evaluate the rules over analysed posts and deliver every alert that has not fired yet.

    Example: [bold]echoscope analyze --only lang,mentions,symbols,narratives && echoscope alerts run alerts.yaml --to https://hooks.example.org/echoscope[/]
    """
    with open_store(db) as store:
        fired = run_alerts(store, load_rules(rules), to)
    err.print(f"{fired} alert(s) fired")


@alerts_app.command("check")
def alerts_check(rules: Annotated[Path, typer.Argument(help="YAML file of alert rules.")]) -> None:
    """Check an alert rules file and list its rules.

    A rule names its conditions (all must hold; a list means any of): entity, narrative,
    pairing {symbol, entity}, channel, affiliation. Example: [bold]echoscope alerts check alerts.yaml[/]
    """
    table = Table(title=f"Alert rules in {escape(str(rules))}")
    for column in ("rule", "conditions"):
        table.add_column(column)
    for rule in load_rules(rules):
        conditions = {name: getattr(rule, name) for name in ("entity", "narrative", "pairing", "channel", "affiliation")}
        table.add_row(escape(rule.name), escape("; ".join(f"{key}: {value}" for key, value in conditions.items() if value)))
    out.print(table)


@watchlist_app.command("check")
def watchlist_check(
    paths: Annotated[list[Path] | None, typer.Argument(help="Watchlist YAML files (default: the bundled one).")] = None,
    include_default: Annotated[bool, typer.Option(help="Load the bundled default first, as the stages do.")] = True,
) -> None:
    """Check watchlist files and summarise what they define; aliases shared by two ids are listed.

    Example: [bold]echoscope watchlist check my-watchlist.yaml[/]
    """
    loaded = watchlists.load(paths or [], include_default=include_default)
    matcher = Matcher(loaded)
    entities = loaded.entities
    err.print(f"{' + '.join(loaded.sources)}: {len(entities)} entities, {len(loaded.terms) - len(entities)} keywords, "
              f"{len(loaded.symbols)} symbols, {len(loaded.narratives)} narrative rules, {matcher.size} match keys")
    table = Table(title="Aliases shared by several ids (a match counts for each)")
    for column in ("key", "ids"):
        table.add_column(column)
    for key, ids in matcher.shared_keys():
        table.add_row(escape(key), escape(", ".join(ids)))
    if table.row_count:
        out.print(table)
