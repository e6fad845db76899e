"""The evidence store's tables, the single source of truth for the schema.

A fresh database is created from this metadata and stamped with the newest migration; older databases
are brought up to date by the Alembic migrations in `store/migrations/` (the Alembic cookbook's
"build from scratch, migrate the rest" pattern), so the schema is never written twice.

Evidence rules carried by the shape of the tables:
- `posts` holds the current state of a post; `post_versions` keeps every distinct text/media state with
  the capture that saw it, the canonical raw record and its SHA-256. Nothing is overwritten.
- `media` rows belong to a version, so an export that later includes a file adds a version.
- `events` keeps service messages, edits and deletions; `captures` says what was read, when, by which
  tool version, and the SHA-256 of the bytes read.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# SQLite makes an INTEGER PRIMARY KEY the rowid (fast, and what FTS5 external content needs);
# PostgreSQL gets a 64-bit key.
PrimaryKey = BigInteger().with_variant(Integer, "sqlite")
UtcDateTime = DateTime(timezone=True)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

captures = Table(
    "captures",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("source", String(32), nullable=False),
    Column("locator", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("collected_at", UtcDateTime, nullable=False),
    Column("tool_version", String(64), nullable=False),
    Column("operator", String(128)),
    UniqueConstraint("source", "sha256"),
)

channels = Table(
    "channels",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("platform", String(32), nullable=False),
    Column("channel_id", String(128)),  # channel<id> / chat<id> / account name; NULL when only a username is known
    Column("username", String(128)),
    Column("title", Text),
    Column("type", String(32)),
    # Registry fields: who the channel belongs to or speaks for, and who said so.
    Column("affiliation", Text),
    Column("country", String(64)),
    Column("language", String(64)),
    Column("tags", JSON),
    Column("notes", Text),
    Column("attribution_source", Text),
    Column("first_capture_pk", ForeignKey("captures.pk")),
    UniqueConstraint("platform", "channel_id"),
    UniqueConstraint("platform", "username"),
)

posts = Table(
    "posts",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("channel_pk", ForeignKey("channels.pk"), nullable=False),
    Column("post_id", BigInteger, nullable=False),
    Column("date", UtcDateTime, nullable=False),
    Column("text", Text, nullable=False),
    Column("text_norm", Text, nullable=False),  # the search form (text/normalize.py): what FTS indexes
    Column("entities", JSON),
    Column("author", Text),
    Column("sender_id", String(128)),
    Column("sender_name", Text),
    Column("forwarded_from", Text),
    Column("forwarded_from_id", String(128)),
    Column("forwarded_post_id", BigInteger),
    Column("reply_to", BigInteger),
    Column("reply_to_peer", String(128)),
    Column("edited", UtcDateTime),
    Column("views", BigInteger),
    Column("forwards", BigInteger),
    Column("reactions", JSON),
    Column("extra", JSON),
    Column("version", Integer, nullable=False),  # number of the current version in post_versions
    Column("content_sha256", String(64), nullable=False),  # of the current version's content
    Column("deleted_at", UtcDateTime),  # set from a deletion event; the post itself stays
    UniqueConstraint("channel_pk", "post_id"),
    Index(None, "date"),
)

post_versions = Table(
    "post_versions",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("post_pk", ForeignKey("posts.pk"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("capture_pk", ForeignKey("captures.pk"), nullable=False),
    Column("content_sha256", String(64), nullable=False),  # text + entities + media + edit date
    Column("raw", Text),  # the source record as canonical JSON (sorted keys), byte-for-byte what raw_sha256 hashes
    Column("raw_sha256", String(64)),
    Column("edited", UtcDateTime),
    UniqueConstraint("post_pk", "version"),
)

media = Table(
    "media",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("post_pk", ForeignKey("posts.pk"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("ordinal", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("path", Text),
    Column("sha256", String(64)),
    Column("size", BigInteger),
    Column("mime", String(128)),
    Column("file_name", Text),
    Column("width", Integer),
    Column("height", Integer),
    Column("duration", Integer),
    Column("note", Text),
    UniqueConstraint("post_pk", "version", "ordinal"),
    Index(None, "sha256"),
)

events = Table(
    "events",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("channel_pk", ForeignKey("channels.pk"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("post_id", BigInteger),
    Column("date", UtcDateTime),
    Column("action", String(64)),
    Column("actor", Text),
    Column("actor_id", String(128)),
    Column("raw", Text),
    Column("raw_sha256", String(64), nullable=False),
    Column("capture_pk", ForeignKey("captures.pk")),
    UniqueConstraint("channel_pk", "kind", "raw_sha256"),
)

warnings = Table(
    "warnings",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("capture_pk", ForeignKey("captures.pk"), nullable=False),
    Column("channel_pk", ForeignKey("channels.pk")),
    Column("post_id", BigInteger),
    Column("location", Text, nullable=False),
    Column("message", Text, nullable=False),
    UniqueConstraint("capture_pk", "location", "message"),
)

stage_runs = Table(
    "stage_runs",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("stage", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # ran / skipped / failed
    Column("counts", JSON),
    Column("note", Text),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=False),
    Column("tool_version", String(64), nullable=False),
    Index(None, "stage", "status"),
)

stage_inputs = Table(
    "stage_inputs",
    metadata,
    # The settings a stage's stored results were made with (a digest): a stage whose settings change in a
    # way its stored work cannot follow (the echoes stage's shingles and signatures) starts over.
    Column("stage", String(64), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
)

collector_state = Table(
    "collector_state",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("collector", String(32), nullable=False),  # web / telegram
    Column("channel_key", String(128), nullable=False),  # what the analyst named: username or id
    Column("channel_pk", ForeignKey("channels.pk")),
    Column("cursor", JSON),  # collector-specific: newest id seen, resolved entity, wait-until …
    Column("status", String(32)),  # ok / flood-wait / private / not-found / error
    Column("note", Text),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("collector", "channel_key"),
)
