"""Tables of the echoes stage: clusters of the same post across channels, and learnt boilerplate."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from echoscope.store.schema import PrimaryKey, UtcDateTime, metadata

echo_clusters = Table(
    "echo_clusters",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("kind", String(16), nullable=False),  # exact / near / contained / forward: the loosest member kind
    Column("origin_post_pk", ForeignKey("posts.pk"), nullable=False),
    Column("size", Integer, nullable=False),
    Column("channels", Integer, nullable=False),  # distinct channels among members
    Column("first_date", UtcDateTime, nullable=False),
    Column("last_date", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

echo_members = Table(
    "echo_members",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("cluster_pk", ForeignKey("echo_clusters.pk"), nullable=False),
    Column("post_pk", ForeignKey("posts.pk"), nullable=False),
    Column("version", Integer, nullable=False),  # the post version that was compared
    Column("lag_seconds", BigInteger, nullable=False),  # from the origin's date; 0 for the origin
    Column("similarity", Float, nullable=False),
    Column("kind", String(16), nullable=False),  # origin / exact / near / contained / forward
    Column("changes", JSON),  # what the echo changed: prefix, suffix, emoji, truncation …
    UniqueConstraint("post_pk"),
    Index(None, "cluster_pk"),
)

channel_boilerplate = Table(
    "channel_boilerplate",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("channel_pk", ForeignKey("channels.pk"), nullable=False),
    Column("kind", String(16), nullable=False),  # line / ngram
    Column("text", Text, nullable=False),
    Column("share", Float, nullable=False),  # share of the channel's posts that carry it
    Column("posts", Integer, nullable=False),
    UniqueConstraint("channel_pk", "kind", "text"),
)
