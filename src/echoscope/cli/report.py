"""`echoscope report` and `echoscope findings`: the analyst's report with evidence, and the ranked findings."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from echoscope.cli._common import Db, Format, app, open_store, out, parse_when
from echoscope.errors import QueryError
from echoscope.exports import write_records
from echoscope.findings import KIND_LABELS
from echoscope.findings.listing import FINDING_FIELDS, ranked_records
from echoscope.store.findings import Scope

Since = Annotated[Optional[str], typer.Option(help="Evidence posted from this date (UTC), inclusive.")]
Until = Annotated[Optional[str], typer.Option(help="Evidence posted up to this date (UTC), inclusive.")]
Channel = Annotated[Optional[str], typer.Option("--channel", "-c", help="Only findings citing this channel (username, @name, id or title).")]
Affiliation = Annotated[Optional[str], typer.Option(help="Only findings citing channels with this registry affiliation.")]
Entity = Annotated[Optional[str], typer.Option(help="Only findings citing posts that mention this watchlist entity id (e.g. nato).")]
Narrative = Annotated[Optional[str], typer.Option(help="Only findings citing posts tagged with this narrative (e.g. pro-Russia).")]


def _scope(since, until, channel, affiliation, entity, narrative) -> Scope:
    return Scope(since=parse_when(since, end=False), until=parse_when(until, end=True), channel=channel,
                 affiliation=affiliation, entity=entity, narrative=narrative)


@app.command()
def report(
    db: Db = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for report.html / report.md (+ charts/) / report.pdf.")] = Path("report"),
    formats: Annotated[str, typer.Option("--format", "-f", help="Comma-separated: html, md, pdf.")] = "html",
    title: Annotated[Optional[str], typer.Option(help="The report's title.")] = None,
    top: Annotated[int, typer.Option(help="How many key findings to list.")] = 15,
    per_kind: Annotated[int, typer.Option(help="At most this many key findings of one kind (echo cascade, uptick …).")] = 4,
    since: Since = None,
    until: Until = None,
    channel: Channel = None,
    affiliation: Affiliation = None,
    entity: Entity = None,
    narrative: Narrative = None,
) -> None:
    """Write the analyst's report from the findings: key findings ranked, echo cascades, symbols next to
    entities, trends with upticks, the coordination network, channels covered and method notes. Every
    claim has a footnote: permalink, post date (UTC), capture, SHA-256 of the cited version and its media.

    Run [bold]echoscope analyze[/] first. Example:
    [bold]echoscope report -o out --format html,md,pdf --since 2023-06-01 --affiliation "Ashab al-Kahf"[/]
    """
    wanted = tuple(name.strip() for name in formats.split(",") if name.strip())
    from echoscope.report import FORMATS, build_report, write  # matplotlib and Jinja2: only when reporting

    unknown = [name for name in wanted if name not in FORMATS]
    if not wanted or unknown:
        raise QueryError(f"--format {formats!r}: choose from {', '.join(FORMATS)}")
    with open_store(db) as store:
        built = build_report(store, _scope(since, until, channel, affiliation, entity, narrative), title=title, top=top, per_kind=per_kind)
    paths = write(built, out_dir, wanted)
    out.print(f"{len(built.key_findings)} key findings, {len(built.footnotes)} evidence footnotes")
    for path in paths:
        out.print(f"wrote [bold]{escape(str(path))}[/]")
    for section, why in built.omitted.items():
        out.print(f"[yellow]{escape(section)}[/] left out: {escape(why)}")


@app.command()
def findings(
    db: Db = None,
    kind: Annotated[Optional[list[str]], typer.Option(help=f"Only this kind; repeatable: {', '.join(KIND_LABELS)}.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many findings, best first.")] = 20,
    since: Since = None,
    until: Until = None,
    channel: Channel = None,
    affiliation: Affiliation = None,
    entity: Entity = None,
    narrative: Narrative = None,
    fmt: Format = "table",
) -> None:
    """List findings ranked by score, with the posts behind each.

    Example: [bold]echoscope findings --kind echo_cascade --since 2023-06-01[/] · as records:
    [bold]echoscope findings -f jsonl > findings.jsonl[/]
    """
    if fmt not in ("table", "jsonl", "csv"):
        raise QueryError(f"--format must be table, jsonl or csv, not {fmt!r}")
    with open_store(db) as store:
        records = ranked_records(store, _scope(since, until, channel, affiliation, entity, narrative), kinds=kind, limit=limit)
    if fmt != "table":
        write_records(records, sys.stdout, fmt, FINDING_FIELDS)
        return
    print_findings(out, records)


def print_findings(console: Console, records: list[dict]) -> None:
    """Ranked findings as a table: score, kind, the generated statement, and the first post it cites."""
    table = Table(title="Findings, best first")
    for column in ("#", "score", "kind", "statement", "evidence"):
        table.add_column(column, overflow="fold")
    for rank, record in enumerate(records, 1):
        first = record["evidence"][0] if record["evidence"] else {}
        cited = escape(first.get("permalink") or f"{first.get('channel_id')}/{first.get('post_id')}") if first else "–"
        more = f" +{len(record['evidence']) - 1}" if len(record["evidence"]) > 1 else ""
        table.add_row(str(rank), f"{record['score']:.2f}", KIND_LABELS[record["kind"]], escape(record["statement"]), cited + more)
    console.print(table)
    if not records:
        console.print("No findings. Run [bold]echoscope analyze[/] first (the findings stage turns every stage's results into findings).")
