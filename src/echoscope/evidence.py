"""Canonical serialisation and hashing of what was collected.

Two hashes per post version, both SHA-256 over canonical JSON (UTF-8, sorted keys, no whitespace):
- `raw_sha256`: the source record exactly as parsed, so the stored `raw` text can be re-hashed and
  compared by anyone (tamper evidence);
- `content_sha256`: the post's content as published (text, entities, media and their hashes, edit date,
  signature, forward origin, poll and other extras), which is the same whichever source delivered the
  post, so it decides whether a re-collected post is unchanged or a new version.
View, forward and reaction counts are observations, not content, and never make a new version.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from echoscope.model import Post

_CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def canonical_json(value: Any) -> bytes:
    return orjson.dumps(value, option=_CANONICAL)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def raw_record(post: Post) -> tuple[str | None, str | None]:
    """The canonical raw record and its hash, or (None, None) when the source kept no raw record."""
    if post.raw is None:
        return None, None
    data = canonical_json(post.raw)
    return data.decode(), sha256_hex(data)


def content_sha256(post: Post) -> str:
    content = {
        "text": post.text,
        "entities": post.entities,
        "media": [(m.kind, m.status, m.sha256) for m in post.media],
        "edited": post.edited,
        "author": post.author,
        "forwarded_from": (post.forwarded_from, post.forwarded_from_id, post.forwarded_post_id),
        "extra": post.extra,
    }
    return sha256_hex(canonical_json(content))
