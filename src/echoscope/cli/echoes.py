"""Echo commands: a post's cluster as a timeline, and `export echoes` (one line per cluster)."""

from __future__ import annotations

import re
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from echoscope.cli._common import Db, app, export_app, open_store, out
from echoscope.errors import QueryError
from echoscope.exports import write_csv, write_jsonl
from echoscope.store import echoes as echo_store

CSV_FIELDS = (
    "cluster", "cluster_kind", "platform", "channel", "channel_id", "post_id", "date", "lag_seconds",
    "similarity", "kind", "origin_channel_id", "origin_post_id",
)
_REF = re.compile(r"(?:https?://)?(?:t\.me/)?(?:(?P<private>c)/)?(?P<channel>[\w]+)/(?P<post>\d+)/?")


def parse_post_ref(ref: str) -> tuple[dict, int]:
    """https://t.me/name/123, name/123, channel<id>/123 or https://t.me/c/<id>/123 → (channel, post id)."""
    match = _REF.fullmatch(ref.strip())
    if not match:
        raise QueryError(f"{ref!r} is not a post reference (use https://t.me/name/123, name/123 or channel<id>/123)")
    channel, post_id = match["channel"], int(match["post"])
    if match["private"]:
        return {"channel_id": f"channel{channel}"}, post_id
    if re.fullmatch(r"(channel|chat)\d+", channel):
        return {"channel_id": channel}, post_id
    return {"username": channel}, post_id


def _lag(seconds: int) -> str:
    if seconds < 3600:
        return f"+{seconds // 60}m {seconds % 60:02d}s"
    if seconds < 86400:
        return f"+{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    return f"+{seconds // 86400}d {seconds % 86400 // 3600:02d}h"


def _changes(changes: dict | None) -> str:
    shown = []
    for key, value in (changes or {}).items():
        value = ", ".join(value) if isinstance(value, list) else ("yes" if value is True else str(value))
        shown.append(f"{key.replace('_', ' ')}: {value[:60]}")
    return "\n".join(shown)


@app.command()
def echoes(
    post_ref: Annotated[str, typer.Argument(metavar="POST_REF", help="https://t.me/name/123, name/123 or channel<id>/123.")],
    db: Db = None,
) -> None:
    """Show the echo cluster of a post as a timeline: origin first, then every echo with its lag,
    similarity, kind and what it changed. Run [bold]echoscope analyze --only echoes[/] first.

    Example: [bold]echoscope echoes https://t.me/sabereenews/10234[/]
    """
    channel, post_id = parse_post_ref(post_ref)
    with open_store(db) as store, store.reading() as conn:
        post_pk = echo_store.find_post(conn, post_id, **channel)
        if post_pk is None:
            raise QueryError(f"{post_ref}: no such post in the store")
        found = echo_store.cluster_of(conn, post_pk)
        if found is None:
            out.print(f"{escape(post_ref)} is in no echo cluster: no other channel published it (or run analyze --only echoes).")
            return
        cluster, members = found
        ignored = echo_store.boilerplate(conn, sorted({member.channel_pk for member in members}))
    table = Table(title=f"Echo cluster {cluster.pk}: {cluster.size} posts in {cluster.channels} channels ({cluster.kind})")
    for column in ("lag", "channel", "post", "date", "kind", "similarity", "what changed"):
        table.add_column(column)
    for member in members:
        name = f"@{member.username}" if member.username else (member.channel_id or "")
        style = "bold" if member.pk == post_pk else ""
        table.add_row(
            "origin" if member.kind == "origin" else _lag(member.lag_seconds),
            escape(name),
            escape(echo_store.link_of(member) or str(member.post_id)),
            str(member.date)[:19],
            member.kind,
            f"{member.similarity:.2f}",
            escape(_changes(member.changes)),
            style=style,
        )
    out.print(table)
    _print_ignored(ignored, {member.channel_pk: member for member in members})


def _print_ignored(ignored: list, by_channel: dict) -> None:
    """What matching ignored in these channels (learnt boilerplate), so a match can be checked by eye."""
    if not ignored:
        return
    out.print("Ignored as these channels' boilerplate (every word triple in it recurs in at least the share shown of their posts):")
    for row in ignored:
        member = by_channel[row.channel_pk]
        name = f"@{member.username}" if member.username else member.channel_id
        out.print(f"  {escape(name)}: {escape(row.text)} ({row.share:.0%})", highlight=False)


def cluster_records(store):
    """One record per cluster, the shape the issue fixes: cluster, kind, origin, members."""
    with store.reading() as conn:
        for cluster, members in echo_store.iter_clusters(conn):
            origin = next((m for m in members if m.pk == cluster.origin_post_pk), members[0])
            yield {
                "cluster": cluster.pk,
                "kind": cluster.kind,
                "origin": echo_store.post_record(origin),
                "members": [
                    echo_store.post_record(m) | {"lag_seconds": m.lag_seconds, "similarity": m.similarity, "kind": m.kind}
                    for m in members
                    if m.pk != cluster.origin_post_pk
                ],
            }


def _csv_rows(records):
    for record in records:
        origin = record["origin"]
        for member in [origin | {"lag_seconds": 0, "similarity": 1.0, "kind": "origin"}, *record["members"]]:
            yield {"cluster": record["cluster"], "cluster_kind": record["kind"], **member,
                   "origin_channel_id": origin["channel_id"], "origin_post_id": origin["post_id"]}


@export_app.command("echoes")
def export_echoes(
    db: Db = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl (one line per cluster) or csv (one row per post).")] = "jsonl",
) -> None:
    """Write every echo cluster: JSON Lines, one cluster per line with its origin and members (lag,
    similarity, kind); or CSV, one row per clustered post.

    Example: [bold]echoscope export echoes --format jsonl > echoes.jsonl[/]
    """
    if fmt not in ("jsonl", "csv"):
        raise QueryError(f"--format {fmt!r}: use jsonl or csv")
    with open_store(db) as store:
        records = cluster_records(store)
        if fmt == "jsonl":
            write_jsonl(records, sys.stdout)
        else:
            write_csv(_csv_rows(records), sys.stdout, CSV_FIELDS)
