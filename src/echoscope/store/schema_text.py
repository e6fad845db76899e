"""Tables of the text stages (issue 4): languages, mentions, symbol pairings, narratives, fired alerts.

Every finding row carries the post version it was computed from, and `text_analysis` records which
version (and which watchlist, by digest) each stage last saw, so a re-run only touches posts that changed
or posts analysed with another watchlist. Spans are [start, end) code-point offsets in the post's text.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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

post_language = Table(
    "post_language",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("post_pk", ForeignKey("posts.pk"), nullable=False),
    Column("version", Integer, nullable=False),  # the post version that was read
    Column("language", String(8), nullable=False),  # ISO 639-1, or "und" when nothing could be told
    Column("confidence", Float, nullable=False),
    Column("mixed", Boolean, nullable=False),  # the post mixes scripts (e.g. Arabic with Cyrillic)
    Column("scripts", JSON, nullable=False),  # scripts holding a real share of the letters, most first
    UniqueConstraint("post_pk"),
    Index(None, "language"),
)

text_analysis = Table(
    "text_analysis",
    metadata,
    # A row per post per stage, four per post for the text pass: kept small, and keyed by what is looked up
    # (WITHOUT ROWID on SQLite: one B-tree, no separate unique index).
    Column("post_pk", ForeignKey("posts.pk"), primary_key=True),
    Column("stage", String(32), primary_key=True),
    Column("version", Integer, nullable=False),
    # What else the result depends on (watchlist, languages), as the first 56 bits of the SHA-256 of the
    # stage's inputs (store/text.py, inputs_key): only compared, never read back.
    Column("inputs", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

mentions = Table(
    "mentions",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("post_pk", ForeignKey("posts.pk"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("entity", String(128), nullable=False),
    Column("entity_name", Text, nullable=False),  # English display name when found, kept as evidence
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("surface", Text, nullable=False),
    Index(None, "post_pk"),
    Index(None, "entity"),
)

symbol_pairings = Table(
    "symbol_pairings",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("post_pk", ForeignKey("posts.pk"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("symbol", Text, nullable=False),  # as written in the post
    Column("symbol_key", Text, nullable=False),  # without variation selectors: what filters compare
    Column("meaning", Text),  # from the watchlist; NULL for an emoji the watchlist does not know
    Column("entity", String(128), nullable=False),
    Column("entity_name", Text, nullable=False),
    Column("symbol_start", Integer, nullable=False),
    Column("symbol_end", Integer, nullable=False),
    Column("entity_start", Integer, nullable=False),
    Column("entity_end", Integer, nullable=False),
    Index(None, "post_pk"),
    Index(None, "entity"),
)

narrative_tags = Table(
    "narrative_tags",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("post_pk", ForeignKey("posts.pk"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("narrative", String(128), nullable=False),
    Column("spans", JSON, nullable=False),  # [[start, end, term], …]: the words that triggered the rule
    UniqueConstraint("post_pk", "narrative"),
    Index(None, "narrative"),
)

fired_alerts = Table(
    "fired_alerts",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("rule", String(128), nullable=False),
    Column("post_pk", ForeignKey("posts.pk"), nullable=False),
    Column("fired_at", UtcDateTime, nullable=False),
    UniqueConstraint("rule", "post_pk"),
)
