"""Full-text search over `posts.text_norm` on SQLite (FTS5) and PostgreSQL (tsvector), with one meaning.

`text_norm` is already the normalised token stream (text/normalize.py), one space between tokens. Both
engines are set up to index exactly those tokens and nothing else, and queries are built from the same
tokens, so a query returns the same posts on either database:

- SQLite: an external-content FTS5 table whose tokenizer treats every letter, number and mark as part of
  a word (so only our spaces separate tokens) and strips nothing.
- PostgreSQL: a stored generated `tsvector` made with `array_to_tsvector` (no parser, no stemming,
  no stop words), under a GIN index.

Queries are literal: every token is quoted, so `"`, `*`, `NEAR`, `-`, `:` or `(` are never operators.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, bindparam, column, literal_column, table, text
from sqlalchemy.dialects.postgresql import TSQUERY

_SQLITE_DDL = (
    """CREATE VIRTUAL TABLE posts_fts USING fts5(
         text_norm, content='posts', content_rowid='pk',
         tokenize="unicode61 remove_diacritics 0 categories 'L* N* M* Co'")""",
    """CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
         INSERT INTO posts_fts(rowid, text_norm) VALUES (new.pk, new.text_norm);
       END""",
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


def match_clause(dialect: str, tokens: list[str]) -> ColumnElement[bool]:
    """A WHERE clause true for posts containing every token. Callers must join `posts_fts` on SQLite."""
    if dialect == "sqlite":
        query = " ".join('"' + token.replace('"', '""') + '"' for token in tokens)
        return literal_column("posts_fts").op("MATCH")(bindparam("fts_query", query))
    query = " & ".join("'" + token.replace("\\", "\\\\").replace("'", "''") + "'" for token in tokens)
    return literal_column("posts.text_tsv").op("@@")(bindparam("fts_query", query, type_=TSQUERY))
