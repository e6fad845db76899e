"""Archive commands: ingest, search, export posts, channels, stats, backup, verify."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from echoscope import views
from echoscope.cli._common import (
    Db,
    Format,
    app,
    channels_app,
    err,
    export_app,
    ingest_app,
    open_store,
    out,
    parse_when,
)
from echoscope.errors import QueryError
from echoscope.exports import FORMATS, write_records
from echoscope.ingest import ingest
from echoscope.registry import read_registry
from echoscope.sources.table import PRESETS, TableSource, column_map
from echoscope.sources.tdesktop import TelegramDesktopExport
from echoscope.store.reader import RECORD_FIELDS


def _ingest_all(db: Optional[str], sources: list) -> None:
    """Ingest (path, source) pairs with a live counter each, then one summary table.

    Sources are all made (and so checked) before anything is written."""
    done = []
    try:
        with open_store(db) as store:
            for path, source in sources:
                with views.message_progress(err, f"Ingesting {path}") as advance:
                    done.append((path, ingest(store, source, progress=advance)))
    except KeyboardInterrupt:
        err.print("interrupted: every completed batch is stored; run the same command again to resume")
        raise typer.Exit(130) from None
    finally:
        if done:  # what was stored before an error is stored: say so
            views.print_ingest_summary(out, done)


@ingest_app.command("tdesktop")
def ingest_tdesktop(
    paths: Annotated[list[Path], typer.Argument(help="Export folders, result.json files or .zip archives.")],
    db: Db = None,
    include_private_chats: Annotated[
        bool, typer.Option(help="Also ingest personal chats, bots and saved messages from full-account exports.")
    ] = False,
) -> None:
    """Ingest Telegram Desktop "Export chat history" JSON (any version since 2018).

    Example: [bold]echoscope ingest tdesktop ~/Downloads/Telegram\\ Desktop/ChatExport_2023-06-08[/]
    """
    sources = [(path, TelegramDesktopExport(path, include_private_chats=include_private_chats)) for path in paths]
    _ingest_all(db, sources)


@ingest_app.command("table")
def ingest_table(
    paths: Annotated[list[Path], typer.Argument(help="CSV or JSON Lines (.jsonl, .ndjson) files of posts.")],
    db: Db = None,
    platform: Annotated[
        Optional[str], typer.Option(help="Platform of rows without a platform column: facebook, x, …")
    ] = None,
    mapping: Annotated[
        Optional[list[str]], typer.Option("--map", help="target=source: read a field from another column; repeatable.")
    ] = None,
    preset: Annotated[Optional[str], typer.Option(help=f"Shipped column mapping: {', '.join(PRESETS)}.")] = None,
) -> None:
    """Ingest posts from other platforms: columns platform, channel, post_id, date, text, url, media …

    Example: [bold]echoscope ingest table ct-export.csv --platform facebook --preset crowdtangle[/]
    """
    columns = column_map(mapping or [])
    sources = [(path, TableSource(path, platform=platform, columns=columns, preset=preset)) for path in paths]
    _ingest_all(db, sources)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Words to find, in any script; matched literally after normalisation.")],
    db: Db = None,
    channel: Annotated[Optional[list[str]], typer.Option("--channel", "-c", help="Username, @name or id; repeatable.")] = None,
    since: Annotated[Optional[str], typer.Option(help="From this date (UTC), inclusive.")] = None,
    until: Annotated[Optional[str], typer.Option(help="Up to this date (UTC), inclusive.")] = None,
    lang: Annotated[Optional[list[str]], typer.Option("--lang", help="Only posts in this language (ar, fa, ru, uk, en …); repeatable.")] = None,
    entity: Annotated[Optional[list[str]], typer.Option("--entity", help="Only posts mentioning this watchlist entity id (putin, nato …); repeatable.")] = None,
    narrative: Annotated[Optional[list[str]], typer.Option("--narrative", help="Only posts tagged with this narrative (pro-Russia …); repeatable.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many posts, newest first.")] = 50,
    fmt: Format = "table",
) -> None:
    """Full-text search across every stored post, whatever the spelling.

    Diacritics, alef/hamza forms, taa marbuta, Persian yeh/kaf, ZWNJ, Russian ё and invisible marks are
    folded on both sides, so [bold]echoscope search "الناتو"[/] also finds "النّاتو" and "ألناتو".
    After [bold]echoscope analyze[/]: [bold]echoscope search "روسيا" --lang ar --entity putin --narrative pro-Russia[/]
    """
    if fmt not in ("table", *FORMATS):
        raise QueryError(f"--format must be table, jsonl or csv, not {fmt!r}")
    with open_store(db) as store:
        found = store.search(
            query, channel_names=channel, since=parse_when(since, end=False), until=parse_when(until, end=True),
            languages=lang, entities=entity, narratives=narrative, limit=limit,
        )
    if fmt == "table":
        views.print_search_results(out, query, found)
    else:
        write_records(found, sys.stdout, fmt, RECORD_FIELDS)


@export_app.command("posts")
def export_posts(
    db: Db = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl or csv.")] = "jsonl",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """One record per post: platform, channel, channel_id, post_id, date, text, permalink, media …"""
    if fmt not in FORMATS:
        raise QueryError(f"--format must be jsonl or csv, not {fmt!r}")
    with open_store(db) as store:
        if output is None:
            write_records(store.iter_posts(), sys.stdout, fmt, RECORD_FIELDS)
            return
        with output.open("w", encoding="utf-8", newline="") as handle:
            count = write_records(store.iter_posts(), handle, fmt, RECORD_FIELDS)
    err.print(f"Wrote {count} posts to {output}")


@channels_app.command("import")
def channels_import(
    registry: Annotated[Path, typer.Argument(help="CSV or YAML: id, username, title, affiliation, country, language, tags, notes, source.")],
    db: Db = None,
) -> None:
    """Import the channel registry: who each channel belongs to, and its public username."""
    with open_store(db) as store:
        created, updated = store.import_registry(read_registry(registry))
        rows = store.channel_stats()
    err.print(f"{registry}: {created} channels added, {updated} updated")
    views.print_channels(out, rows)


@channels_app.command("list")
def channels_list(db: Db = None) -> None:
    """Every channel in the store with its registry information."""
    with open_store(db) as store:
        views.print_channels(out, store.channel_stats())


@app.command()
def stats(
    db: Db = None,
    gaps: Annotated[bool, typer.Option("--gaps", help="List the runs of Telegram message ids the store lacks, per channel.")] = False,
) -> None:
    """Per channel: posts, first and last post date, media stored, affiliation, and how many Telegram
    message ids between its first and last stored ones the store lacks (deleted before capture, outside
    an export, not collected yet): what a claim about "every post of the channel" must account for."""
    with open_store(db) as store:
        views.print_stats(out, store.channel_stats(), gaps=gaps)


@app.command()
def backup(
    destination: Annotated[Path, typer.Argument(help="A new file for the copy (never overwritten).")],
    db: Db = None,
) -> None:
    """Copy the store as it is now into a new file, consistent even while an ingest or a monitor writes
    (SQLite's VACUUM INTO), check the copy, and print its SHA-256 for your custody notes.

    Example: echoscope backup archive-2026-11-26.db
    """
    from echoscope.store.backup import backup as copy_store

    with open_store(db) as store:
        made = copy_store(store, destination)
    out.print(f"{made.path}: {made.posts:,} posts, {made.size:,} bytes, integrity checked\nSHA-256 {made.sha256}")


@app.command()
def verify(
    db: Db = None,
    media: Annotated[bool, typer.Option("--media", help="Also re-hash every media file where it was read at ingest "
                                        "(the export folder or .zip, the collectors' media folders).")] = False,
    media_dir: Annotated[Optional[list[str]], typer.Option("--media-dir", help="Where `collect web|telegram` put "
                         "downloads; repeatable (default: \\[stages.media] media_dirs).")] = None,
) -> None:
    """Check the evidence before you publish: re-hash every kept raw record, check the database
    file (SQLite), with --media re-hash every media file, and name what no longer matches (exit 1).

    Nothing is repaired: a mismatch means the database or a file was changed outside echoscope,
    moved or damaged. Media are read where they were ingested from: keep export folders there.
    """
    from echoscope import config
    from echoscope.cli.analyze import stage_progress
    from echoscope.stages.media import MediaHashes
    from echoscope.verify import verify_database, verify_media, verify_raw_records

    with open_store(db) as store:
        problems = verify_database(store)
        report = verify_raw_records(store)
        media_report = None
        if media:
            folders = tuple(media_dir or config.stage_settings(MediaHashes.name, MediaHashes.defaults)["media_dirs"])
            with stage_progress(err) as progress:
                media_report = verify_media(store, folders, progress("media files"))
    views.print_verify(out, problems, report, media_report)
    if problems or report.mismatches or (media_report and media_report.problems):
        raise typer.Exit(1)
