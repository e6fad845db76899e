"""Web preview commands: `collect web` (live, incremental) and `ingest webpage` (saved pages)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from echoscope.cli._common import (
    Db,
    collect_app,
    err,
    ingest_app,
    open_store,
    parse_when,
)
from echoscope.cli._rounds import print_rounds
from echoscope.errors import ConfigError
from echoscope.ingest import ingest
from echoscope.sources._http import Politeness
from echoscope.sources.webpreview import SavedPage, WebOptions, collect


@collect_app.command("web")
def collect_web(
    channels: Annotated[list[str], typer.Argument(help="Usernames, @names or t.me links of public channels.")],
    db: Db = None,
    base_url: Annotated[str, typer.Option(help="Where the preview is served: t.me, a mirror, a test server.")] = "https://t.me",
    since: Annotated[str | None, typer.Option(help="Collect no post older than this date (UTC).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many posts per channel.")] = None,
    media: Annotated[bool, typer.Option("--media", help="Download the photos shown and hash them.")] = False,
    media_dir: Annotated[Path, typer.Option(help="Where --media puts files (named by their SHA-256).")] = Path("echoscope-media"),
    recheck: Annotated[float | None, typer.Option(min=0, metavar="DAYS", help="Walk the last DAYS again: edits become versions, vanished posts deletion events.")] = None,
    delay: Annotated[float, typer.Option(min=0, help="Seconds between two requests (for the whole run).")] = 1.0,
    concurrency: Annotated[int, typer.Option(min=1, max=16, help="Channels collected at once.")] = 2,
    retries: Annotated[int, typer.Option(min=0, help="Retries on 429, 5xx and timeouts (exponential backoff, Retry-After honoured).")] = 4,
) -> None:
    """Collect public channels from their web preview (t.me/s/NAME), newest first, back to what is stored.

    Example: [bold]echoscope collect web rybar @wargonzo --since 2024-01-01 --recheck 3[/]

    One line per channel: ok, private, not-found, waiting (throttled; the next run resumes) or error.
    Exit code 1 when a channel was private, not found or failed, 0 otherwise.
    """
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"--base-url must be an http(s) URL, not {base_url!r}")
    options = WebOptions(
        base_url=base_url,
        since=parse_when(since, end=False),
        limit=limit,
        recheck_days=recheck,
        media_dir=media_dir if media else None,
        concurrency=concurrency,
        politeness=Politeness(delay=delay, retries=retries),
    )
    with open_store(db) as store:
        print_rounds(collect(store, channels, options))


@ingest_app.command("webpage")
def ingest_webpage(
    paths: Annotated[list[Path], typer.Argument(help="t.me/s pages saved from a browser (.html).")],
    db: Db = None,
) -> None:
    """Ingest saved web preview pages: posts, service messages and the channel header.

    Example: [bold]echoscope ingest webpage ~/Downloads/rybar-2024-05-01.html[/]
    """
    sources = [(path, SavedPage(path)) for path in paths]  # every file checked before anything is written
    with open_store(db) as store:
        for path, source in sources:
            summary = ingest(store, source)
            posts = summary.posts
            err.print(
                f"{escape(str(path))}: {posts.new} new, {posts.unchanged} unchanged, "
                f"{posts.new_versions} new versions, {summary.new_events} events",
                highlight=False,
            )
