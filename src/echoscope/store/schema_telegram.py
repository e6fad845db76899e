"""Tables of the live Telegram collector.

`post_observations`: the counts the API shows for a post (views, forwards, comments, reactions) each
time it was read. Counts are observations, not content: they never make a new version, and `posts`
keeps only the latest; this table keeps every reading, so how fast a post spread can be shown.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Table

from echoscope.store.schema import PrimaryKey, UtcDateTime, metadata

post_observations = Table(
    "post_observations",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("post_pk", ForeignKey("posts.pk"), nullable=False),
    Column("capture_pk", ForeignKey("captures.pk"), nullable=False),
    Column("observed_at", UtcDateTime, nullable=False),
    Column("views", BigInteger),
    Column("forwards", BigInteger),
    Column("replies", BigInteger),  # comments in the linked discussion group
    Column("reactions", JSON),
    Index(None, "post_pk", "observed_at"),
)
