"""Tables of findings and trends: what was found, the exact evidence behind it, and counts over time.

A finding cites post *versions* (post, version number, raw-record SHA-256) and the SHA-256 of their media,
so a published claim stays tied to the archived bytes even if the post is edited or deleted later.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from echoscope.store.schema import PrimaryKey, UtcDateTime, metadata

findings = Table(
    "findings",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("kind", String(32), nullable=False),  # echo_cascade / uptick / image_reuse / …
    Column("key", String(255), nullable=False),  # stable within a kind, so a re-run replaces, never duplicates
    Column("statement", Text, nullable=False),  # one sentence generated from the data
    Column("score", Float, nullable=False),  # 0..1, comparable across kinds, for ranking
    Column("first_date", UtcDateTime, nullable=False),
    Column("last_date", UtcDateTime, nullable=False),
    Column("details", JSON),  # kind-specific figures the report shows (lags, baseline, channels …)
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("kind", "key"),
    Index(None, "score"),
)

finding_evidence = Table(
    "finding_evidence",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("finding_pk", ForeignKey("findings.pk"), nullable=False),
    Column("ordinal", Integer, nullable=False),
    Column("role", String(16), nullable=False),  # origin / echo / burst / …
    Column("post_pk", ForeignKey("posts.pk"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("raw_sha256", String(64)),  # of the cited version's raw record, copied so the citation is self-contained
    Column("media_sha256", JSON),  # SHA-256 of each stored media file of that version
    UniqueConstraint("finding_pk", "ordinal"),
    Index(None, "post_pk"),
)

trend_counts = Table(
    "trend_counts",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("dimension", String(16), nullable=False),  # channel / affiliation / entity / narrative / symbol
    Column("key", Text, nullable=False),  # channel pk, affiliation name, entity id …
    Column("period", String(8), nullable=False),  # day / week (weeks start on Monday)
    Column("start", UtcDateTime, nullable=False),
    Column("posts", Integer, nullable=False),
    UniqueConstraint("dimension", "key", "period", "start"),
)
