"""What the terminal shows: progress bars and tables. Only the CLI imports this module."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from echoscope.ingest import IngestSummary
from echoscope.model import MEDIA_STATUSES


class RateColumn(ProgressColumn):
    """Messages per second: the number an analyst watches on a multi-gigabyte export."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} msg/s" if speed else "… msg/s", style="progress.data.speed")


@contextmanager
def message_progress(console: Console, label: str) -> Iterator[Callable[[int], None]]:
    """A live counter of messages stored; yields the function that advances it."""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("[bold]{task.completed:,}[/] messages"),
        RateColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(escape(label), total=None)
        yield lambda count: progress.advance(task, count)


def _snippet(text: str, width: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def print_ingest_summary(console: Console, ingests: list[tuple[Path, IngestSummary]]) -> None:
    """One column per ingested path, one row per figure the analyst checks."""
    table = Table(title="Ingest", header_style="bold")
    table.add_column("what")
    for path, _ in ingests:
        table.add_column(escape(path.name or str(path)), justify="right")
    summaries = [summary for _, summary in ingests]
    rows = [
        ("channels", lambda s: len(s.channels)),
        ("messages read", lambda s: s.messages),
        ("posts new", lambda s: s.posts.new),
        ("posts unchanged", lambda s: s.posts.unchanged),
        ("posts with a new version", lambda s: s.posts.new_versions),
        ("events new (service, edits)", lambda s: s.new_events),
    ]
    rows += [
        (f"media {status}", lambda s, status=status: s.media[status])
        for status in MEDIA_STATUSES
        if any(s.media[status] for s in summaries)
    ]
    rows.append(("warnings", lambda s: len(s.warnings)))
    for name, figure in rows:
        table.add_row(name, *(f"{figure(s):,}" for s in summaries))
    console.print(table)
    warnings = [warning for s in summaries for warning in s.warnings]
    for warning in warnings[:10]:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    if len(warnings) > 10:
        console.print(f"[yellow]… and {len(warnings) - 10} more warnings (stored in the warnings table)[/]")


def print_search_results(console: Console, query: str, found: list[dict]) -> None:
    table = Table(title=f"{len(found)} posts matching {escape(query)}", header_style="bold", expand=True)
    table.add_column("date (UTC)", no_wrap=True, min_width=16)
    table.add_column("channel", max_width=22, overflow="fold")
    table.add_column("text", ratio=1, min_width=30)
    table.add_column("permalink", overflow="fold", max_width=40)
    for record in found:
        table.add_row(
            record["date"][:16].replace("T", " "),
            escape(record["channel"] or record["channel_title"] or record["channel_id"] or ""),
            escape(_snippet(record["text"])),
            record["permalink"] or f"{record['channel_id']}/{record['post_id']}",
        )
    console.print(table)


def print_channels(console: Console, rows: list[dict]) -> None:
    table = Table(title="Channels", header_style="bold")
    for name in ("channel id", "username", "title", "affiliation", "posts"):
        table.add_column(name, justify="right" if name == "posts" else "left")
    for row in rows:
        table.add_row(
            escape(row["channel_id"] or ""),
            escape(row["username"] or ""),
            escape(row["title"] or ""),
            escape(row["affiliation"] or ""),
            f"{row['posts']:,}",
        )
    console.print(table)


def _channel_label(row: dict) -> str:
    return row["username"] and f"@{row['username']}" or row["title"] or row["channel_id"] or ""


def print_stats(console: Console, rows: list[dict], gaps: bool = False) -> None:
    table = Table(title="Store contents per channel", header_style="bold")
    for name in ("channel", "affiliation", "posts", "first post", "last post", "media stored", "ids missing"):
        table.add_column(name, justify="right" if name in ("posts", "media stored", "ids missing") else "left")
    for row in rows:
        table.add_row(
            escape(_channel_label(row)),
            escape(row["affiliation"] or "—"),
            f"{row['posts']:,}",
            (row["first"] or "")[:10],
            (row["last"] or "")[:10],
            f"{row['media_stored']:,}/{row['media']:,}",
            "—" if row["missing_ids"] is None else f"{row['missing_ids']:,}",
        )
    table.add_section()
    table.add_row("all", "", f"{sum(r['posts'] for r in rows):,}", "", "", f"{sum(r['media_stored'] for r in rows):,}",
                  f"{sum(r['missing_ids'] or 0 for r in rows):,}")
    console.print(table)
    if gaps:
        _print_gaps(console, rows)
    elif any(row["missing_ids"] for row in rows):
        console.print("ids missing: Telegram message ids between a channel's first and last stored ones that are "
                      "neither a post nor an event here (deleted before capture, outside an export, not collected "
                      "yet); `stats --gaps` lists them")


def _print_gaps(console: Console, rows: list[dict], most: int = 20) -> None:
    for row in rows:
        if row["gaps"]:
            runs = [str(first) if first == last else f"{first}–{last}" for first, last in row["gaps"][:most]]
            more = f" … and {len(row['gaps']) - most:,} more runs" if len(row["gaps"]) > most else ""
            console.print(f"{escape(_channel_label(row))}: ids missing {', '.join(runs)}{more}")


def print_verify(console: Console, database: list[str] | None, report, media=None) -> None:
    if database is None:
        console.print("database file: not checked here (PostgreSQL checks its own pages)")
    elif not database:
        console.print("[green]database file: sound (SQLite integrity and foreign key checks)[/]")
    else:
        console.print(f"[bold red]database file: {len(database):,} problem(s) found by SQLite's own checks[/]")
        for problem in database[:20]:
            console.print(f"  {escape(problem)}")
    if not report.mismatches:
        console.print(f"[green]{report.checked:,} raw records checked: every one matches its SHA-256[/]")
    else:
        table = Table(title=f"{len(report.mismatches):,} of {report.checked:,} raw records no longer match", header_style="bold red")
        for name in ("channel", "post", "version", "stored sha256", "sha256 now"):
            table.add_column(name, overflow="fold")  # a hash is cited whole, never cut short
        for item in report.mismatches:
            table.add_row(escape(item.channel_id or ""), str(item.post_id), str(item.version), item.stored_sha256, item.actual_sha256)
        console.print(table)
    if media is None:
        return
    if not media.problems:
        console.print(f"[green]{media.checked:,} media files checked: every one matches its SHA-256[/]")
        return
    table = Table(title=f"{len(media.problems):,} media of posts no longer match ({media.checked:,} files checked)", header_style="bold red")
    for name in ("channel", "post", "kind", "path", "problem", "detail"):
        table.add_column(name, overflow="fold")
    for item in media.problems:
        table.add_row(escape(item.channel_id or ""), str(item.post_id), item.kind, escape(item.path), item.problem, escape(item.detail))
    console.print(table)