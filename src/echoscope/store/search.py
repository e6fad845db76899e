"""Full-text search and the filters an analyst narrows it with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, or_, select
from sqlalchemy.exc import DBAPIError

from echoscope.errors import QueryError
from echoscope.registry import clean_username, telegram_channel_id
from echoscope.store import fts, text
from echoscope.store.reader import POST_COLUMNS, as_utc, posts_from, records
from echoscope.store.schema import channels, posts
from echoscope.text.normalize import search_tokens


def _channel_forms(name: str) -> tuple[str, set[str]]:
    """A channel as typed (@name, t.me/name, channel123, 123, -100123) → (username, channel ids),
    read the way the registry reads them."""
    typed = clean_username(name)
    ids = {typed}
    try:
        ids.add(telegram_channel_id(typed))
    except ValueError:  # not an id: only a username
        pass
    if typed.isdigit():
        ids.add(f"chat{typed}")  # a bare number may name a basic group as well
    return typed.lower(), ids


def resolve_channels(conn: Connection, names: list[str]) -> list[int]:
    """Channel keys for the names given; an unknown name is an error, never a silent empty result."""
    keys: list[int] = []
    for name in names:
        username, ids = _channel_forms(name)
        found = conn.execute(
            select(channels.c.pk).where(or_(func.lower(channels.c.username) == username, channels.c.channel_id.in_(ids)))
        ).scalars().all()
        if not found:
            raise QueryError(f"no channel {name!r} in the store (see `echoscope stats` for the channels it holds)")
        keys.extend(found)
    return keys


def search(
    conn: Connection,
    query: str,
    *,
    channel_names: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    languages: list[str] | None = None,
    entities: list[str] | None = None,
    narratives: list[str] | None = None,
    limit: int = 50,
) -> list[dict]:
    """Posts containing every word of `query` (after normalisation), newest first.

    `since` is inclusive and `until` exclusive, both UTC. `languages`, `entities` and `narratives` keep
    posts in one of those languages, mentioning one of those entity ids, tagged with one of those
    narratives (what the text stages stored). Raises QueryError for a query with no
    searchable words or a search the database rejects, so an error never looks like "no results".
    """
    tokens = search_tokens(query)
    if not tokens:
        raise QueryError(f"the query {query!r} has no words to search for (punctuation and emoji are not indexed)")
    if limit < 1:
        raise QueryError("--limit must be at least 1")
    dialect = conn.dialect.name
    source = posts_from()
    if dialect == "sqlite":
        source = source.join(fts.posts_fts, fts.posts_fts.c.rowid == posts.c.pk)
    statement = select(*POST_COLUMNS).select_from(source).where(fts.match_clause(dialect, tokens))
    if channel_names:
        statement = statement.where(posts.c.channel_pk.in_(resolve_channels(conn, channel_names)))
    if since is not None:
        statement = statement.where(posts.c.date >= as_utc(since))
    if until is not None:
        statement = statement.where(posts.c.date < as_utc(until))
    for values, stage, condition in ((languages, "lang", text.language_is), (entities, "mentions", text.mentions_entity),
                                     (narratives, "narratives", text.tagged_with)):
        if values:
            if not text.has_run(conn, stage):
                raise QueryError(f"no post has been through the {stage} stage yet: run `echoscope analyze --only {stage}` first")
            statement = statement.where(condition(values))
    statement = statement.order_by(posts.c.date.desc(), posts.c.pk.desc()).limit(limit)
    try:
        rows = conn.execute(statement).all()
    except DBAPIError as exc:
        raise QueryError(f"the search for {query!r} failed: {exc.orig}") from exc
    return records(conn, rows)
