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
    LargeBinary,
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
    Column("kind", String(16), nullable=False),  # phrase: a run of words whose every n-gram recurs
    Column("text", Text, nullable=False),
    Column("share", Float, nullable=False),  # share of the channel's posts that carry it
    Column("posts", Integer, nullable=False),
    UniqueConstraint("channel_pk", "kind", "text"),
)

echo_signatures = Table(
    "echo_signatures",
    metadata,
    # What the echoes stage keeps per post so new posts join old clusters without recomputing the corpus:
    # the post's matching class, its exact key (64-bit, stored signed) and, for long posts, its MinHash.
    Column("post_pk", ForeignKey("posts.pk"), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("class", String(8), nullable=False),  # none / tiny / emoji / link / short / long
    Column("exact_key", BigInteger, nullable=False),
    Column("signature", LargeBinary),  # uint32 × permutations, little-endian; long posts only
    Index(None, "exact_key"),
)
