"""Store reads and writes only the live Telegram collector needs, beside `collect_state` (the cursor
every live collector keeps): the peer it resolved before, the media a post already has, and the
view/forward/comment/reaction counts of every reading (`post_observations`).

The resolved peer (id and access hash) sits in the collector's cursor, so a second run resolves nothing
it knows, under whichever name (username or id) the analyst gives the channel next time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from echoscope.model import TELEGRAM, Media
from echoscope.store.collect_state import read_cursor
from echoscope.store.prepared import utc
from echoscope.store.schema import channels, collector_state, media, posts
from echoscope.store.schema_telegram import post_observations

COLLECTOR = "telegram"


def known_peer(conn: Connection, channel_key: str) -> dict[str, Any] | None:
    """A peer resolved before for this key, or for the same channel under another key (its id or
    username): {"type": "channel"|"chat", "id": …, "access_hash": …, "channel_id": …}."""
    own = read_cursor(conn, COLLECTOR, channel_key).get("peer")
    if own:
        return own
    same_channel = select(channels.c.pk).where(
        (channels.c.channel_id == channel_key) | (func.lower(channels.c.username) == channel_key.lower())
    )
    for cursor in conn.execute(
        select(collector_state.c.cursor).where(
            collector_state.c.collector == COLLECTOR, collector_state.c.channel_pk.in_(same_channel)
        )
    ).scalars():
        if cursor and cursor.get("peer"):
            return cursor["peer"]
    return None


def channel_by_id(conn: Connection, channel_id: str) -> tuple[int, str | None, str | None] | None:
    """(key, title, username) of a Telegram channel the store knows by id."""
    row = conn.execute(
        select(channels.c.pk, channels.c.title, channels.c.username).where(
            channels.c.platform == TELEGRAM, channels.c.channel_id == channel_id
        )
    ).first()
    return tuple(row) if row is not None else None


def current_media(conn: Connection, channel_pk: int, post_ids: Sequence[int]) -> dict[int, tuple[Media, ...]]:
    """The media of each post's current version, so a re-check keeps a file it already has."""
    found: dict[int, list[Media]] = {}
    rows = conn.execute(
        select(posts.c.post_id, *(media.c[name] for name in Media.__slots__))
        .select_from(posts.join(media, (media.c.post_pk == posts.c.pk) & (media.c.version == posts.c.version)))
        .where(posts.c.channel_pk == channel_pk, posts.c.post_id.in_(list(post_ids)))
        .order_by(posts.c.post_id, media.c.ordinal)
    )
    for row in rows:
        found.setdefault(row.post_id, []).append(Media(**{name: getattr(row, name) for name in Media.__slots__}))
    return {post_id: tuple(items) for post_id, items in found.items()}


def record_observations(conn: Connection, channel_pk: int, observed: Sequence[dict[str, Any]], capture_pk: int,
                        observed_at: datetime) -> None:
    """Counts just read ({"post_id", "views", "forwards", "replies", "reactions"} each): one
    `post_observations` row per post, and the post's current counts set to them. Counts are observations,
    not versions, so the writer leaves them alone on an unchanged post."""
    if not observed:
        return
    keys = dict(conn.execute(
        select(posts.c.post_id, posts.c.pk).where(
            posts.c.channel_pk == channel_pk, posts.c.post_id.in_([item["post_id"] for item in observed])
        )
    ).all())
    rows = [{name: item[name] for name in ("views", "forwards", "replies", "reactions")}
            | {"post_pk": keys[item["post_id"]], "capture_pk": capture_pk, "observed_at": utc(observed_at)}
            for item in observed]
    conn.execute(insert(post_observations), rows)
    conn.execute(
        update(posts)
        .where(posts.c.pk == bindparam("target_pk"))
        .values(views=bindparam("views"), forwards=bindparam("forwards"), reactions=bindparam("reactions")),
        [{"target_pk": row["post_pk"], "views": row["views"], "forwards": row["forwards"], "reactions": row["reactions"]}
         for row in rows],
    )


def registry_channels(conn: Connection) -> list[tuple[str | None, str | None]]:
    """(username, channel_id) of every Telegram channel in the store, the registry the monitor watches."""
    return [
        (row.username, row.channel_id)
        for row in conn.execute(
            select(channels.c.username, channels.c.channel_id).where(channels.c.platform == TELEGRAM).order_by(channels.c.pk)
        )
    ]
