"""What a live collector keeps between runs (`collector_state`), and the facts only a re-visit can
establish: which stored posts a collector has, and which are gone.

One row per (collector, channel key): the key is the channel as the analyst named it, lower-cased for
usernames (Telegram compares them case-insensitively), its cursor is the collector's own JSON (for the
web preview: the newest id collected, and an unfinished walk back through older pages), its status is
the last round's ChannelRound status.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from echoscope.model import TELEGRAM, Event
from echoscope.store.prepared import utc
from echoscope.store.schema import captures, collector_state, posts
from echoscope.store.writer import write_events


def read_cursor(conn: Connection, collector: str, channel_key: str) -> dict[str, Any]:
    """The channel's saved cursor ({} before the first run)."""
    cursor = conn.execute(
        select(collector_state.c.cursor).where(
            collector_state.c.collector == collector, collector_state.c.channel_key == channel_key
        )
    ).scalar()
    return dict(cursor or {})


def save_state(
    conn: Connection,
    collector: str,
    channel_key: str,
    *,
    status: str,
    cursor: dict[str, Any] | None = None,
    note: str | None = None,
    channel_pk: int | None = None,
) -> None:
    """Record the last status; the cursor and channel are kept as they were unless given."""
    values: dict[str, Any] = {"status": status, "note": note, "updated_at": datetime.now(UTC)}
    if cursor is not None:
        values["cursor"] = cursor
    if channel_pk is not None:
        values["channel_pk"] = channel_pk
    changed = conn.execute(
        update(collector_state)
        .where(collector_state.c.collector == collector, collector_state.c.channel_key == channel_key)
        .values(values)
    ).rowcount
    if not changed:
        conn.execute(insert(collector_state).values(collector=collector, channel_key=channel_key, **values))


def capture_key(conn: Connection, source: str, sha256: str) -> int:
    """The key of the capture of these bytes by this source (captures are unique by the two)."""
    return conn.execute(select(captures.c.pk).where(captures.c.source == source, captures.c.sha256 == sha256)).scalar_one()


def newest_post_id(conn: Connection, channel_pk: int) -> int:
    return conn.execute(select(func.max(posts.c.post_id)).where(posts.c.channel_pk == channel_pk)).scalar() or 0


def live_posts_since(conn: Connection, channel_pk: int, since: datetime) -> dict[int, datetime]:
    """Stored posts dated `since` or later that are not known deleted: post id → date."""
    rows = conn.execute(
        select(posts.c.post_id, posts.c.date).where(
            posts.c.channel_pk == channel_pk, posts.c.date >= utc(since), posts.c.deleted_at.is_(None)
        )
    )
    return dict(rows.all())


def record_deletions(
    conn: Connection, channel_pk: int, evidence: Iterable[tuple[int, int, dict[str, Any]]], seen_at: datetime
) -> int:
    """For each (post id, capture key, evidence): a `deletion` event tied to the capture that showed
    the post missing, with the evidence in its raw record, and `posts.deleted_at` set. The post and its
    versions stay. Returns the number of new deletion events."""
    count = 0
    for post_id, capture_pk, details in evidence:
        event = Event(platform=TELEGRAM, channel_id=None, kind="deletion", post_id=post_id, date=seen_at,
                      raw={"post_id": post_id, "observed_at": utc(seen_at).isoformat()} | details)
        count += write_events(conn, channel_pk, [event], capture_pk)
        conn.execute(
            update(posts)
            .where(posts.c.channel_pk == channel_pk, posts.c.post_id == post_id, posts.c.deleted_at.is_(None))
            .values(deleted_at=utc(seen_at))
        )
    return count
