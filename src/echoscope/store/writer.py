"""Idempotent, versioned writes: the only code that adds or changes collected rows.

Every function takes an open connection inside the caller's transaction, so one batch is one commit.
A post is identified by (channel, post id); writing it again with the same content changes nothing,
writing it with different content adds a version and an `edit` event, never overwriting the old one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from operator import itemgetter
from typing import Iterable, Sequence

from sqlalchemy import Connection, Table, bindparam, insert, select, tuple_, update

from echoscope.evidence import canonical_json, sha256_hex
from echoscope.model import Capture, Event, SourceWarning
from echoscope.store import fts
from echoscope.store.prepared import PreparedPost, utc
from echoscope.store.reader import as_utc
from echoscope.store.schema import (
    captures,
    events,
    media,
    post_versions,
    posts,
    warnings,
)


@dataclass
class WriteCounts:
    new: int = 0
    unchanged: int = 0
    new_versions: int = 0

    def add(self, other: "WriteCounts") -> None:
        self.new += other.new
        self.unchanged += other.unchanged
        self.new_versions += other.new_versions


def add_capture(conn: Connection, capture: Capture, operator: str | None) -> int:
    """The capture's key; the same bytes read again by the same source reuse the first capture."""
    key = conn.execute(
        select(captures.c.pk).where(captures.c.source == capture.source, captures.c.sha256 == capture.sha256)
    ).scalar()
    if key is not None:
        return key
    row = asdict(capture) | {"collected_at": utc(capture.collected_at), "operator": operator}
    return conn.execute(insert(captures).values(row).returning(captures.c.pk)).scalar_one()


def insert_many(conn: Connection, table: Table, rows: list[dict]) -> None:
    """INSERT many rows that all have the same keys."""
    if rows:
        columns = list(rows[0])
        insert_rows(conn, table, columns, [tuple(row[name] for name in columns) for row in rows]
                    if len(columns) == 1 else list(map(itemgetter(*columns), rows)))


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """INSERT many rows given as tuples of the `columns`' values.

    On SQLite this skips SQLAlchemy's per-row parameter assembly, which costs more than SQLite's own
    work on an ingest: the statement is compiled once, the values of the columns whose type converts
    them (JSON, dates) go through its bind processor, and the driver gets plain tuples. Other databases
    take the ordinary Core path.
    """
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), [dict(zip(columns, row)) for row in rows])
        return
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=list(columns))
    order = [columns.index(name) for name in compiled.positiontup]
    if order != list(range(len(columns))):
        rows = [tuple(row[index] for index in order) for row in rows]
    processors = [(index, process) for index, name in enumerate(compiled.positiontup)
                  if (process := table.c[name].type.bind_processor(conn.dialect)) is not None]
    if processors:
        converted = []
        for row in rows:
            row = list(row)
            for index, process in processors:
                row[index] = process(row[index])
            converted.append(tuple(row))
        rows = converted
    conn.exec_driver_sql(compiled.string, rows)


def _unique_by_post_id(batch: Sequence[PreparedPost]) -> tuple[list[PreparedPost], list[PreparedPost]]:
    """Split a batch so that no post id repeats in the first part (a repeat is a later state)."""
    seen: set[int] = set()
    first, later = [], []
    for post in batch:
        (later if post.post_id in seen else first).append(post)
        seen.add(post.post_id)
    return first, later


def write_posts(conn: Connection, channel_pk: int, batch: Sequence[PreparedPost], capture_pk: int) -> WriteCounts:
    counts = WriteCounts()
    while batch:
        unique, batch = _unique_by_post_id(batch)
        counts.add(_write_unique_posts(conn, channel_pk, unique, capture_pk))
    return counts


def _write_unique_posts(conn: Connection, channel_pk: int, batch: list[PreparedPost], capture_pk: int) -> WriteCounts:
    known = {
        row.post_id: row
        for row in conn.execute(
            select(posts.c.post_id, posts.c.pk, posts.c.version, posts.c.content_sha256, posts.c.edited).where(
                posts.c.channel_pk == channel_pk, posts.c.post_id.in_([p.post_id for p in batch])
            )
        )
    }
    fresh = [post for post in batch if post.post_id not in known]
    changed = [post for post in batch if post.post_id in known and known[post.post_id].content_sha256 != post.content_sha256]
    counts = WriteCounts(new=len(fresh), unchanged=len(batch) - len(fresh) - len(changed), new_versions=len(changed))

    versions_to_write: list[tuple[int, PreparedPost, int]] = []
    if fresh:
        insert_many(conn, posts, [post.columns | {"channel_pk": channel_pk, "version": 1} for post in fresh])
        keys = dict(
            conn.execute(
                select(posts.c.post_id, posts.c.pk).where(
                    posts.c.channel_pk == channel_pk, posts.c.post_id.in_([p.post_id for p in fresh])
                )
            ).all()
        )
        versions_to_write += [(keys[post.post_id], post, 1) for post in fresh]
        fts.index_new_posts(conn, [(keys[post.post_id], post.columns["text_norm"]) for post in fresh])

    if changed:
        updates = []
        for post in changed:
            old = known[post.post_id]
            versions_to_write.append((old.pk, post, old.version + 1))
            updates.append(post.columns | {"channel_pk": channel_pk, "version": old.version + 1, "target_pk": old.pk})
        conn.execute(update(posts).where(posts.c.pk == bindparam("target_pk")), updates)
        seen_here = _seen_by_same_source(conn, [known[post.post_id] for post in changed], capture_pk)
        edits = [post for post in changed if known[post.post_id].pk in seen_here or post.edited != as_utc(known[post.post_id].edited)]
        write_events(conn, channel_pk, [_edit_event(post, known[post.post_id]) for post in edits], capture_pk)

    version_rows, media_rows = [], []
    for post_pk, post, version in versions_to_write:
        version_rows.append(
            {
                "post_pk": post_pk,
                "version": version,
                "capture_pk": capture_pk,
                "content_sha256": post.content_sha256,
                "raw": post.raw,
                "raw_sha256": post.raw_sha256,
                "edited": post.edited,
            }
        )
        media_rows += [row | {"post_pk": post_pk, "version": version} for row in post.media]
    insert_many(conn, post_versions, version_rows)
    insert_many(conn, media, media_rows)
    return counts


def _seen_by_same_source(conn: Connection, old_rows: Sequence, capture_pk: int) -> set[int]:
    """Posts whose current version was captured by the same kind of source as `capture_pk`.

    Two sources render one post differently (the web preview has no media hashes, an export no album
    ids), so a new version from another source is a new rendering, not an edit: it is kept as a version,
    but an edit event is recorded only for a change the same kind of source saw, or a new edit date."""
    source = select(captures.c.source).where(captures.c.pk == capture_pk).scalar_subquery()
    query = (
        select(post_versions.c.post_pk)
        .join(captures, captures.c.pk == post_versions.c.capture_pk)
        .where(
            tuple_(post_versions.c.post_pk, post_versions.c.version).in_([(row.pk, row.version) for row in old_rows]),
            captures.c.source == source,
        )
    )
    return set(conn.execute(query).scalars())


def _edit_event(post: PreparedPost, old) -> Event:
    return Event(
        platform=post.platform,
        channel_id=post.channel_id,
        kind="edit",
        post_id=post.post_id,
        date=post.edited,
        raw={
            "from_version": old.version,
            "to_version": old.version + 1,
            "content_sha256_before": old.content_sha256,
            "content_sha256_after": post.content_sha256,
        },
    )


def _missing_rows(conn: Connection, table: Table, key_columns: Sequence[str], rows: list[dict]) -> list[dict]:
    """The rows whose unique key is not stored yet (and not repeated earlier in `rows`)."""
    if not rows:
        return []
    first = key_columns[0]
    stored = {
        tuple(row)
        for row in conn.execute(
            select(*(table.c[name] for name in key_columns)).where(
                table.c[first].in_({row[first] for row in rows})
            )
        )
    }
    fresh = []
    for row in rows:
        key = tuple(row[name] for name in key_columns)
        if key not in stored:
            stored.add(key)
            fresh.append(row)
    return fresh


def write_events(conn: Connection, channel_pk: int, batch: Iterable[Event], capture_pk: int | None) -> int:
    rows = []
    for item in batch:
        raw = canonical_json(item.raw) if item.raw is not None else canonical_json(None)
        rows.append(
            {
                "raw_sha256": sha256_hex(raw),
                "channel_pk": channel_pk,
                "kind": item.kind,
                "post_id": item.post_id,
                "date": utc(item.date),
                "action": item.action,
                "actor": item.actor,
                "actor_id": item.actor_id,
                "raw": raw.decode() if item.raw is not None else None,
                "capture_pk": capture_pk,
            }
        )
    fresh = _missing_rows(conn, events, ("raw_sha256", "channel_pk", "kind"), rows)
    if fresh:
        conn.execute(insert(events), fresh)
    return len(fresh)


def write_warnings(conn: Connection, batch: Iterable[tuple[SourceWarning, int | None]], capture_pk: int) -> int:
    rows = [
        {
            "location": item.location,
            "capture_pk": capture_pk,
            "message": item.message,
            "channel_pk": channel_pk,
            "post_id": item.post_id,
        }
        for item, channel_pk in batch
    ]
    fresh = _missing_rows(conn, warnings, ("location", "capture_pk", "message"), rows)
    if fresh:
        conn.execute(insert(warnings), fresh)
    return len(fresh)
