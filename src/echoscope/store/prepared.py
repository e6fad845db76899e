"""A post turned into the store's column values and hashes: the per-post work that needs no database.

It runs in the ingest's reader process (see ingest.py), and crosses to the writer as JSON.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

import orjson

from echoscope.evidence import content_sha256, raw_record
from echoscope.model import Media, Post

_MEDIA_FIELDS = Media.__slots__


def utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


class PreparedPost(NamedTuple):
    """A post turned into column values, with its hashes: all the per-post work that needs no database,
    so it can run in another process than the one writing (see ingest.py)."""

    platform: str
    channel_id: str
    post_id: int
    edited: datetime | None
    content_sha256: str
    columns: dict  # posts columns except channel_pk and version
    raw: str | None
    raw_sha256: str | None
    media: list[dict]  # media columns except post_pk and version


def _plain(items) -> list[dict]:
    """Dataclasses as dicts without their empty fields: smaller JSON, and cheap to send between processes."""
    return [{name: value for name in item.__slots__ if (value := getattr(item, name)) is not None} for item in items]


def prepare_post(post: Post, text_norm: str) -> PreparedPost:
    """`text_norm` is `normalize(post.text)`, computed by the caller for a whole run of posts at once."""
    raw, raw_sha = raw_record(post)
    edited = utc(post.edited)
    content_sha = content_sha256(post)
    columns = {
        "post_id": post.post_id,
        "date": utc(post.date),
        "text": post.text,
        "text_norm": text_norm,
        "entities": _plain(post.entities) or None,
        "author": post.author,
        "sender_id": post.sender_id,
        "sender_name": post.sender_name,
        "forwarded_from": post.forwarded_from,
        "forwarded_from_id": post.forwarded_from_id,
        "forwarded_post_id": post.forwarded_post_id,
        "reply_to": post.reply_to,
        "reply_to_peer": post.reply_to_peer,
        "edited": edited,
        "views": post.views,
        "forwards": post.forwards,
        "reactions": _plain(post.reactions) if post.reactions is not None else None,
        "extra": post.extra or None,
        "content_sha256": content_sha,
    }
    media_rows = [
        {name: getattr(item, name) for name in _MEDIA_FIELDS} | {"ordinal": ordinal}
        for ordinal, item in enumerate(post.media)
    ]
    return PreparedPost(post.platform, post.channel_id, post.post_id, edited, content_sha, columns, raw, raw_sha, media_rows)


def encode_prepared(batch: list[PreparedPost]) -> bytes:
    """Prepared posts as JSON, to cross a process boundary: several times cheaper than pickling them
    (no datetime or tuple objects to rebuild), and the only kinds of values they hold."""
    return orjson.dumps([tuple(post) for post in batch])


def decode_prepared(data: bytes) -> list[PreparedPost]:
    posts = []
    for fields in orjson.loads(data):
        post = PreparedPost(*fields)
        columns = post.columns
        columns["date"] = datetime.fromisoformat(columns["date"])
        if post.edited is not None:
            columns["edited"] = datetime.fromisoformat(post.edited)
            post = post._replace(edited=columns["edited"])
        posts.append(post)
    return posts
