"""Image reuse commands: `image-search` and `export images`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from echoscope.cli._common import Db, app, err, export_app, open_store, out
from echoscope.errors import QueryError
from echoscope.exports import write_jsonl


@app.command("image-search")
def image_search(
    file: Annotated[Path, typer.Argument(help="An image file (JPEG, PNG, WebP …) to look for.")],
    db: Db = None,
    max_distance: Annotated[int, typer.Option("--max-distance", help="PDQ bits two hashes may differ by (0–255).")] = 31,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or jsonl.")] = "table",
) -> None:
    """Where does this picture appear in the store, on any channel or platform?

    Finds the same file, recompressed or resized copies (PDQ), mirrored ones, and crops, caption bands
    and logos (ORB verification). Run [bold]echoscope analyze --only media[/] first.
    Example: [bold]echoscope image-search putin_soldiers.jpg --max-distance 24[/]
    """
    from echoscope.media.image_search import search_image

    if not 0 <= max_distance <= 255:
        raise QueryError(f"--max-distance must be between 0 and 255, not {max_distance}")
    if fmt not in ("table", "jsonl"):
        raise QueryError(f"--format must be table or jsonl, not {fmt!r}")
    with open_store(db) as store:
        found = search_image(store, file, max_distance=max_distance)
    if fmt == "jsonl":
        write_jsonl(found, sys.stdout)
        return
    out.print(_search_table(file, found))


def _search_table(file: Path, found: list[dict]) -> Table:
    """Compact enough for 80 columns: the full values are in --format jsonl."""
    table = Table(title=f"{escape(str(file))}: {len(found)} appearance(s), earliest first")
    for column in ("platform", "channel", "post", "date (UTC)", "match", "distance", "file"):
        table.add_column(column, overflow="fold")
    for row in found:
        table.add_row(
            escape(row["platform"]), escape(row["channel"] or row["channel_id"] or "–"), str(row["post_id"]),
            (row["date"] or "")[:16].replace("T", " "), row["match"], str(row["distance"]), row["media_sha256"][:12],
        )
    return table


@export_app.command("images")
def export_images(
    db: Db = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl (one line per cluster).")] = "jsonl",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """Image-reuse clusters: first_seen and every member with its match (exact / pdq / robust) and distance.

    Example: [bold]echoscope analyze --only media,images && echoscope export images > images.jsonl[/]
    """
    from echoscope.store.images import iter_cluster_records

    if fmt != "jsonl":
        raise QueryError(f"--format must be jsonl (clusters nest their members), not {fmt!r}")
    with open_store(db) as store, store.reading() as conn:
        if output is None:
            write_jsonl(iter_cluster_records(conn), sys.stdout)
            return
        with output.open("w", encoding="utf-8") as handle:
            count = write_jsonl(iter_cluster_records(conn), handle)
    err.print(f"Wrote {count} image clusters to {output}")
