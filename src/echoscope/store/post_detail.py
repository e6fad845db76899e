"""One post with all its evidence: every version with its capture and hashes, media, and events.

What an analyst opens before citing a post, and what the web UI's post page shows.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, or_, select

from echoscope.store.reader import iso, posts_query, records
from echoscope.store.schema import captures, channels, events, media, post_versions, posts


def post_detail(conn: Connection, platform: str, channel: str, post_id: int) -> dict | None:
    """The post `post_id` of `channel` (username, case-insensitive, or channel id), or None."""
    row = conn.execute(
        posts_query().where(
            channels.c.platform == platform,
            or_(channels.c.channel_id == channel, func.lower(channels.c.username) == channel.lower().lstrip("@")),
            posts.c.post_id == post_id,
        )
    ).first()
    if row is None:
        return None
    (record,) = records(conn, [row])
    return record | {"versions": _versions(conn, row.pk), "events": _events(conn, row.pk)}


def _versions(conn: Connection, post_pk: int) -> list[dict]:
    query = (
        select(post_versions.c.version, post_versions.c.content_sha256, post_versions.c.raw_sha256, post_versions.c.edited,
               captures.c.source, captures.c.locator, captures.c.collected_at, captures.c.sha256.label("capture_sha256"))
        .select_from(post_versions.join(captures, captures.c.pk == post_versions.c.capture_pk))
        .where(post_versions.c.post_pk == post_pk)
        .order_by(post_versions.c.version)
    )
    found = []
    for row in conn.execute(query):
        files = conn.execute(
            select(media.c.kind, media.c.status, media.c.path, media.c.sha256, media.c.size, media.c.note)
            .where(media.c.post_pk == post_pk, media.c.version == row.version)
            .order_by(media.c.ordinal)
        )
        found.append(row._asdict() | {"edited": iso(row.edited), "collected_at": iso(row.collected_at),
                                      "media": [item._asdict() for item in files]})
    return found


def _events(conn: Connection, post_pk: int) -> list[dict]:
    """Edits and deletions recorded for this post (events name the post by channel and id)."""
    post = select(posts.c.channel_pk, posts.c.post_id).where(posts.c.pk == post_pk).subquery()
    query = (
        select(events.c.kind, events.c.date, events.c.action, events.c.raw_sha256)
        .select_from(events.join(post, (events.c.channel_pk == post.c.channel_pk) & (events.c.post_id == post.c.post_id)))
        .order_by(events.c.pk)
    )
    return [row._asdict() | {"date": iso(row.date)} for row in conn.execute(query)]
