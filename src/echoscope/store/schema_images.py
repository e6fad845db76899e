"""Tables of the media and images stages: hashes per distinct image file, and image-reuse clusters.

Hashes are keyed by the file's SHA-256, not by post: the same bytes posted by fifty channels are
decoded once. Robust links are stored because finding them is the costly part of the images stage.
Clusters name the media by SHA-256 too, so every appearance of a file is a member.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, LargeBinary, String, Table, Text, UniqueConstraint

from echoscope.store.schema import PrimaryKey, UtcDateTime, metadata

image_hashes = Table(
    "image_hashes",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # hashed / unreadable (not an image) / unreachable (file gone)
    Column("note", Text),  # why it is unreadable or unreachable
    Column("width", Integer),  # as hashed: decoded at most 512 pixels on the longer side
    Column("height", Integer),
    Column("pdq", String(64)),  # hex, PDQ's canonical bit order
    Column("quality", Integer),  # 0–100; below 50 never matched on PDQ alone
    Column("variants", LargeBinary),  # the 8 dihedral PDQ hashes, 32 bytes each, in pdq.VARIANTS order
    Column("features", LargeBinary),  # ORB features for the robust stage (robust.Features.to_bytes), ~20 KB
    Column("anchors", LargeBinary),  # the anchor descriptors alone (32 bytes each): what the candidate index reads
    Column("hashed_at", UtcDateTime, nullable=False),
    Column("tool_version", String(64), nullable=False),
    UniqueConstraint("sha256"),
)

# Verified robust (ORB) links between two files (sha256_a < sha256_b), and the files whose anchors the
# images stage has looked up. Each file is looked up once, when new, against every file hashed so far;
# the links are kept so later runs need not redo that.
image_anchor_lookups = Table(
    "image_anchor_lookups",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("looked_up_at", UtcDateTime, nullable=False),
    UniqueConstraint("sha256"),
)

image_robust_links = Table(
    "image_robust_links",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("sha256_a", String(64), nullable=False),
    Column("sha256_b", String(64), nullable=False),
    Column("score", Integer, nullable=False),  # verified features (robust.verify)
    Column("found_at", UtcDateTime, nullable=False),
    UniqueConstraint("sha256_a", "sha256_b"),
)

image_clusters = Table(
    "image_clusters",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("first_post_pk", ForeignKey("posts.pk"), nullable=False),  # the earliest known appearance
    Column("first_sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),  # posts
    Column("channels", Integer, nullable=False),
    Column("platforms", Integer, nullable=False),
    Column("first_date", UtcDateTime, nullable=False),
    Column("last_date", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

image_members = Table(
    "image_members",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("cluster_pk", ForeignKey("image_clusters.pk"), nullable=False),
    Column("post_pk", ForeignKey("posts.pk"), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("match", String(16), nullable=False),  # first / exact / pdq / robust
    Column("distance", Integer, nullable=False),  # PDQ bits (exact: 0); robust: verified features
    Column("lag_seconds", BigInteger, nullable=False),  # after the first appearance
    UniqueConstraint("post_pk", "sha256"),
    Index(None, "cluster_pk"),
)
