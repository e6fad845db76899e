"""The translations table: cached machine translations, kept next to the posts they translate.

One row per (post, version, target language, backend): an edited post gets a new translation and the
old one stays with the version it translated; another backend adds its own row beside the first. Each
row says which backend and model made it, from which language, and when.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from echoscope.store.schema import PrimaryKey, UtcDateTime, metadata

translations = Table(
    "translations",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("post_pk", ForeignKey("posts.pk"), nullable=False),
    Column("version", Integer, nullable=False),  # the post version whose text was translated
    Column("source", String(16), nullable=False),  # the post's language (post_language) when translated
    Column("target", String(16), nullable=False),
    Column("backend", String(32), nullable=False),  # argos / libretranslate
    Column("model", Text, nullable=False),  # package and version, or the server that translated
    Column("text", Text, nullable=False),
    Column("translated_at", UtcDateTime, nullable=False),
    Column("tool_version", String(64), nullable=False),
    UniqueConstraint("post_pk", "version", "target", "backend"),
)
