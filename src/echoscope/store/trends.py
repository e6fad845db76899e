"""What the trends stage counts, and the counts it keeps.

Every dimension is read the same way: (key, post date, post) triples, distinct per post, a range of post
keys at a time so memory stays flat. The text dimensions exist only once the text stages' tables do
(`mentions`, `narrative_tags`, `symbol_pairings`); until then `dimensions()` leaves them out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterator

from sqlalchemy import Connection, String, cast, delete, func, insert, literal, select

from echoscope.store.reader import as_utc
from echoscope.store.schema import channels, posts
from echoscope.store.schema_findings import trend_counts
from echoscope.store.tables import metadata

# dimension → (table, key expression builder) for the tags other stages store per post.
_TAGS = {
    "entity": ("mentions", lambda table: table.c.entity),
    "narrative": ("narrative_tags", lambda table: table.c.narrative),
    "symbol": ("symbol_pairings", lambda table: table.c.symbol + literal(" ") + table.c.entity),
}


def tag_table(dimension: str):
    """The table holding a text dimension's tags, or None while its stage's schema is not there."""
    return metadata.tables.get(_TAGS[dimension][0])


def dimensions() -> list[str]:
    return ["channel", "affiliation"] + [name for name in _TAGS if tag_table(name) is not None]


def _keyed(dimension: str):
    """(select of key, date, post pk; the table whose post_pk the range applies to)."""
    if dimension == "channel":
        return select(cast(posts.c.channel_pk, String).label("key"), posts.c.date, posts.c.pk), posts.c.pk
    if dimension == "affiliation":
        query = select(channels.c.affiliation.label("key"), posts.c.date, posts.c.pk).select_from(
            posts.join(channels, channels.c.pk == posts.c.channel_pk)
        ).where(channels.c.affiliation.is_not(None))
        return query, posts.c.pk
    table = tag_table(dimension)
    key = _TAGS[dimension][1](table)
    query = select(key.label("key"), posts.c.date, posts.c.pk).select_from(table.join(posts, posts.c.pk == table.c.post_pk)).distinct()
    return query, table.c.post_pk


def iter_dated(conn: Connection, dimension: str, page_size: int = 20000) -> Iterator[tuple[str, datetime, int]]:
    """(key, UTC post date, post pk) for every post of the dimension, once per (key, post)."""
    query, post_key = _keyed(dimension)
    highest = conn.execute(select(func.max(posts.c.pk))).scalar() or 0
    for low in range(0, highest, page_size):
        for row in conn.execute(query.where(post_key > low, post_key <= low + page_size)):
            yield row.key, as_utc(row.date), row.pk


def replace_counts(conn: Connection, rows: list[dict]) -> None:
    conn.execute(delete(trend_counts))
    for start in range(0, len(rows), 5000):
        conn.execute(insert(trend_counts), rows[start : start + 5000])


def series(conn: Connection, dimension: str, period: str = "day", keys: list[str] | None = None) -> dict[str, list[tuple[datetime, int]]]:
    """key → [(period start, posts), …] in date order (periods without posts are absent)."""
    query = select(trend_counts.c.key, trend_counts.c.start, trend_counts.c.posts).where(
        trend_counts.c.dimension == dimension, trend_counts.c.period == period
    ).order_by(trend_counts.c.key, trend_counts.c.start)
    if keys is not None:
        query = query.where(trend_counts.c.key.in_(keys))
    found: dict[str, list[tuple[datetime, int]]] = {}
    for row in conn.execute(query):
        found.setdefault(row.key, []).append((as_utc(row.start), row.posts))
    return found


def posts_of(conn: Connection, dimension: str, key: str, start: datetime, end: datetime) -> list[tuple[int, int, datetime]]:
    """(post pk, current version, date) of the posts behind a count, in date order."""
    query, _ = _keyed(dimension)
    inner = query.subquery()
    rows = conn.execute(
        select(posts.c.pk, posts.c.version, posts.c.date)
        .where(posts.c.pk.in_(select(inner.c.pk).where(inner.c.key == key)), posts.c.date >= start, posts.c.date < end)
        .order_by(posts.c.date, posts.c.pk)
    )
    return [(row.pk, row.version, as_utc(row.date)) for row in rows]


def tag_labels(conn: Connection, dimension: str) -> dict[str, str]:
    """A text dimension's keys → the English names the text stages stored with them ({} for the others)."""
    table = tag_table(dimension) if dimension in ("entity", "symbol") else None
    if table is None:
        return {}
    if dimension == "entity":
        rows = conn.execute(select(table.c.entity, func.min(table.c.entity_name)).group_by(table.c.entity))
    elif dimension == "symbol":
        key = _TAGS["symbol"][1](table)
        label = table.c.symbol + literal(" next to ") + table.c.entity_name
        rows = conn.execute(select(key, func.min(label)).group_by(key))
    return {key: label for key, label in rows}


def channel_labels(conn: Connection) -> dict[str, dict]:
    """channel pk (as the trend key) → title, username, channel id, affiliation."""
    rows = conn.execute(select(channels.c.pk, channels.c.title, channels.c.username, channels.c.channel_id, channels.c.affiliation))
    return {str(row.pk): row._asdict() for row in rows}
