"""Reading posts back as the records every export shares (see DESIGN.md, output contract)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Iterator, Sequence

from sqlalchemy import Connection, Join, Select, and_, func, select, tuple_, union

from echoscope.model import MEDIA_STORED, TELEGRAM
from echoscope.store.schema import (
    captures,
    channels,
    events,
    media,
    post_versions,
    posts,
)

POST_COLUMNS = (
    posts.c.pk,
    posts.c.post_id,
    posts.c.date,
    posts.c.text,
    posts.c.author,
    posts.c.forwarded_from,
    posts.c.forwarded_from_id,
    posts.c.views,
    posts.c.edited,
    posts.c.version,
    posts.c.content_sha256,
    channels.c.platform,
    channels.c.channel_id,
    channels.c.username,
    channels.c.title.label("channel_title"),
    channels.c.affiliation,
)


# The fields of a post record, in order: the project's public interface (see README, "Output records").
RECORD_FIELDS = (
    "platform", "channel", "channel_id", "post_id", "date", "text", "permalink", "forwarded_from",
    "forwarded_from_id", "author", "views", "edited", "media", "channel_title", "affiliation", "version",
    "content_sha256",
)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones in its session zone."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def permalink(platform: str, username: str | None, channel_id: str | None, post_id: int) -> str | None:
    """The public link to a post: by username when known, else Telegram's private-channel form."""
    if platform != TELEGRAM:
        return None
    if username:
        return f"https://t.me/{username}/{post_id}"
    if channel_id and channel_id.startswith("channel"):
        return f"https://t.me/c/{channel_id.removeprefix('channel')}/{post_id}"
    return None


def plain_rows(conn: Connection, query: Select) -> list[tuple]:
    """The rows of a query of plain columns (no type conversion needed) as DB-API tuples, for the hot
    paths: SQLAlchemy's Row objects cost more than the query on a hundred thousand rows."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params  # built on each access
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(compiled.string, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def posts_from() -> Join:
    return posts.join(channels, channels.c.pk == posts.c.channel_pk)


def posts_query() -> Select:
    return select(*POST_COLUMNS).select_from(posts_from())


def _media_by_post(conn: Connection, rows: Sequence) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = defaultdict(list)
    if not rows:
        return found
    query = (
        select(media.c.post_pk, media.c.kind, media.c.status, media.c.sha256)
        .where(tuple_(media.c.post_pk, media.c.version).in_([(row.pk, row.version) for row in rows]))
        .order_by(media.c.post_pk, media.c.ordinal)
    )
    for item in conn.execute(query):
        found[item.post_pk].append({"kind": item.kind, "status": item.status, "sha256": item.sha256})
    return found


def records(conn: Connection, rows: Sequence) -> list[dict]:
    """Rows selected with POST_COLUMNS → export records, media attached in one query."""
    attached = _media_by_post(conn, rows)
    return [
        {
            "platform": row.platform,
            "channel": row.username,
            "channel_id": row.channel_id,
            "post_id": row.post_id,
            "date": iso(row.date),
            "text": row.text,
            "permalink": permalink(row.platform, row.username, row.channel_id, row.post_id),
            "forwarded_from": row.forwarded_from,
            "forwarded_from_id": row.forwarded_from_id,
            "author": row.author,
            "views": row.views,
            "edited": iso(row.edited),
            "media": attached.get(row.pk, []),
            "channel_title": row.channel_title,
            "affiliation": row.affiliation,
            "version": row.version,
            "content_sha256": row.content_sha256,
        }
        for row in rows
    ]


def _pages(conn: Connection, query: Select, key, page_size: int) -> Iterator[list]:
    """The rows of `query` a page at a time, by `key` (keyset pagination keeps memory flat whatever the size)."""
    last = 0
    while rows := conn.execute(query.where(key > last).order_by(key).limit(page_size)).all():
        yield rows
        last = rows[-1].pk


def iter_post_records(conn: Connection, page_size: int = 2000) -> Iterator[dict]:
    """Every post as an export record, in store order."""
    for rows in _pages(conn, posts_query(), posts.c.pk, page_size):
        yield from records(conn, rows)


def iter_raw_versions(conn: Connection, page_size: int = 5000) -> Iterator:
    """Every kept raw record with its stored hash and the post it belongs to."""
    query = (
        select(post_versions.c.pk, post_versions.c.version, post_versions.c.raw, post_versions.c.raw_sha256,
               posts.c.post_id, channels.c.channel_id)
        .select_from(post_versions.join(posts, posts.c.pk == post_versions.c.post_pk).join(channels, channels.c.pk == posts.c.channel_pk))
        .where(post_versions.c.raw.is_not(None))
    )
    for rows in _pages(conn, query, post_versions.c.pk, page_size):
        yield from rows


def media_with_captures() -> Join:
    """media joined to the capture its post version was read from: where a file's bytes were found at ingest."""
    return media.join(
        post_versions, and_(post_versions.c.post_pk == media.c.post_pk, post_versions.c.version == media.c.version)
    ).join(captures, captures.c.pk == post_versions.c.capture_pk)


def iter_stored_media(conn: Connection, page_size: int = 5000) -> Iterator:
    """Every media file the store holds a hash of, with the post it came with and where its bytes were
    read at ingest (the capture's source and locator, the path inside it)."""
    query = (
        select(media.c.pk, media.c.kind, media.c.path, media.c.sha256, media.c.size, posts.c.post_id,
               channels.c.channel_id, captures.c.source, captures.c.locator)
        .select_from(
            media_with_captures()
            .join(posts, posts.c.pk == media.c.post_pk)
            .join(channels, channels.c.pk == posts.c.channel_pk)
        )
        .where(media.c.status == MEDIA_STORED, media.c.sha256.is_not(None))
    )
    for rows in _pages(conn, query, media.c.pk, page_size):
        yield from rows


def count_stored_media(conn: Connection) -> int:
    return conn.execute(select(func.count()).where(media.c.status == MEDIA_STORED, media.c.sha256.is_not(None))).scalar_one()


def integrity_problems(conn: Connection) -> list[str] | None:
    """SQLite's own checks of the database file (every page and index, then the foreign keys): what they
    report, [] when the file is sound; None on a database that has no such check here (PostgreSQL)."""
    if conn.dialect.name != "sqlite":
        return None
    problems = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check").all() if row[0] != "ok"]
    problems += [f"{table} row {rowid}: its {parent} row is missing (foreign key)"
                 for table, rowid, parent, _ in conn.exec_driver_sql("PRAGMA foreign_key_check").all()]
    return problems


def channel_stats(conn: Connection) -> list[dict]:
    """Per channel: posts, first and last post date, media stored/total, registry affiliation."""
    per_post = (
        select(
            posts.c.channel_pk,
            func.count().label("posts"),
            func.min(posts.c.date).label("first"),
            func.max(posts.c.date).label("last"),
        )
        .group_by(posts.c.channel_pk)
        .subquery()
    )
    current_media = (
        select(
            posts.c.channel_pk,
            func.count().label("media"),
            func.count().filter(media.c.status == "stored").label("media_stored"),
        )
        .select_from(posts.join(media, and_(media.c.post_pk == posts.c.pk, media.c.version == posts.c.version)))
        .group_by(posts.c.channel_pk)
        .subquery()
    )
    query = (
        select(
            channels.c.pk,
            channels.c.platform,
            channels.c.channel_id,
            channels.c.username,
            channels.c.title,
            channels.c.affiliation,
            func.coalesce(per_post.c.posts, 0).label("posts"),
            per_post.c.first,
            per_post.c.last,
            func.coalesce(current_media.c.media, 0).label("media"),
            func.coalesce(current_media.c.media_stored, 0).label("media_stored"),
        )
        .select_from(
            channels.outerjoin(per_post, per_post.c.channel_pk == channels.c.pk).outerjoin(
                current_media, current_media.c.channel_pk == channels.c.pk
            )
        )
        .order_by(func.coalesce(per_post.c.posts, 0).desc(), channels.c.channel_id)
    )
    gaps = missing_ids(conn)
    return [
        {name: value for name, value in row._asdict().items() if name != "pk"}
        | {"first": iso(row.first), "last": iso(row.last), "gaps": gaps.get(row.pk, []),
           "missing_ids": sum(last - first + 1 for first, last in gaps.get(row.pk, [])) if row.platform == TELEGRAM else None}
        for row in conn.execute(query)
    ]


def missing_ids(conn: Connection) -> dict[int, list[tuple[int, int]]]:
    """Per Telegram channel (by key), the runs [first, last] of message ids between its lowest and highest
    stored ones that the store holds neither as a post nor as an event (a service message has an id too):
    deleted before any capture, left out of an export, or not collected yet. What a claim about "every post
    of the channel" has to account for. Other platforms' ids are not sequential: none."""
    known = union(
        select(posts.c.channel_pk, posts.c.post_id.label("id")),
        select(events.c.channel_pk, events.c.post_id).where(events.c.post_id.is_not(None)),
    ).subquery()
    ordered = select(
        known.c.channel_pk, known.c.id, func.lag(known.c.id).over(partition_by=known.c.channel_pk, order_by=known.c.id).label("previous"),
    ).subquery()
    query = (
        select(ordered.c.channel_pk, ordered.c.previous, ordered.c.id)
        .join(channels, channels.c.pk == ordered.c.channel_pk)
        .where(channels.c.platform == TELEGRAM, ordered.c.id - ordered.c.previous > 1)
        .order_by(ordered.c.channel_pk, ordered.c.id)
    )
    gaps: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for channel_pk, previous, after in conn.execute(query):
        gaps[channel_pk].append((previous + 1, after - 1))
    return gaps
