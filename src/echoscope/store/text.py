"""Reading and writing the text stages' rows (store/schema_text.py): one place for their SQL.

The stages are incremental through `text_analysis`: a post is analysed again only when its current
version, or what the stage's result depends on besides the text (`inputs`: the watchlist's digest, the
language list), differs from what the stage last recorded for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import (
    Connection,
    Table,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
)

from echoscope.store.reader import POST_COLUMNS, _pages, iso, posts_from, records
from echoscope.store.schema import channels, posts
from echoscope.store.schema_text import (
    fired_alerts,
    mentions,
    narrative_tags,
    post_language,
    symbol_pairings,
    text_analysis,
)
from echoscope.store.writer import insert_many
from echoscope.text.watchlist import symbol_key

if TYPE_CHECKING:
    from echoscope.store import Store

Analyse = Callable[[Connection, Sequence], list[dict]]
"""(connection, rows (pk, version, text)) → the rows to store for them, each with post_pk and version."""


def _pending_query(stage: str, inputs: str):
    done = and_(text_analysis.c.post_pk == posts.c.pk, text_analysis.c.stage == stage)
    stale = or_(text_analysis.c.pk.is_(None), text_analysis.c.version != posts.c.version, text_analysis.c.inputs != inputs)
    return posts.outerjoin(text_analysis, done), stale


def count_pending(conn: Connection, stage: str, inputs: str) -> int:
    source, stale = _pending_query(stage, inputs)
    return conn.execute(select(func.count()).select_from(source).where(stale)).scalar_one()


def analyse_pending(store: Store, stage: str, inputs: str, table: Table, analyse: Analyse, batch: int,
                    progress: Callable[[int, int | None], None]) -> tuple[int, int]:
    """Run `analyse` over every post the stage has not seen in its current version, one transaction per
    batch: the rows it returns replace the post's earlier rows in `table`. Returns (posts, rows)."""
    with store.reading() as conn:
        total = count_pending(conn, stage, inputs)
    source, stale = _pending_query(stage, inputs)
    query = select(posts.c.pk, posts.c.version, posts.c.text).select_from(source).where(stale)
    done = stored = last = 0
    progress(0, total)
    while True:
        with store.transaction() as conn:
            rows = conn.execute(query.where(posts.c.pk > last).order_by(posts.c.pk).limit(batch)).all()
            if not rows:
                break
            found = analyse(conn, rows)
            keys = [row.pk for row in rows]
            conn.execute(delete(table).where(table.c.post_pk.in_(keys)))
            insert_many(conn, table, found)
            conn.execute(delete(text_analysis).where(text_analysis.c.post_pk.in_(keys), text_analysis.c.stage == stage))
            insert_many(conn, text_analysis, [
                {"post_pk": row.pk, "stage": stage, "version": row.version, "inputs": inputs} for row in rows
            ])
        done += len(rows)
        stored += len(found)
        last = rows[-1].pk
        progress(done, total)
    return done, stored


def stored_entity_mentions(conn: Connection, rows: Sequence, inputs: str) -> dict[int, list[tuple[str, int, int, str]]]:
    """(entity, start, end, surface) of each post whose stored mentions are current (its version, this
    watchlist), in reading order: symbols and narratives read them instead of matching again. A post
    missing from the result has no current mentions stored and must be matched."""
    versions = {row.pk: row.version for row in rows}
    analysed = conn.execute(
        select(text_analysis.c.post_pk, text_analysis.c.version)
        .where(text_analysis.c.stage == "mentions", text_analysis.c.inputs == inputs, text_analysis.c.post_pk.in_(list(versions)))
    ).all()
    current: dict[int, list[tuple[str, int, int, str]]] = {pk: [] for pk, version in analysed if versions[pk] == version}
    if not current:
        return current
    query = (
        select(mentions.c.post_pk, mentions.c.version, mentions.c.entity, mentions.c.start, mentions.c.end, mentions.c.surface)
        .where(mentions.c.post_pk.in_(list(current)))
        .order_by(mentions.c.post_pk, mentions.c.start, mentions.c.entity)
    )
    for pk, version, entity, start, end, surface in _plain_rows(conn, query):
        if version == versions[pk]:
            current[pk].append((entity, start, end, surface))
    return current


def _plain_rows(conn: Connection, query) -> list[tuple]:
    """The rows of a query of plain columns as DB-API tuples: SQLAlchemy's Row objects cost twice the query
    for the million mentions of a large corpus."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params  # built on each access
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(compiled.string, params)
        return cursor.fetchall()
    finally:
        cursor.close()


# Exports: one record per finding, the post fields first (DESIGN.md, output contract).
POST_FIELDS = ("platform", "channel", "channel_id", "post_id", "date")
MENTION_FIELDS = (*POST_FIELDS, "entity", "entity_name", "span", "surface")
SYMBOL_FIELDS = (*POST_FIELDS, "symbol", "meaning", "entity", "entity_name", "symbol_span", "entity_span")
NARRATIVE_FIELDS = (*POST_FIELDS, "narrative", "spans")


def _finding_records(conn: Connection, table: Table, shape: Callable, page_size: int) -> Iterator[dict]:
    """Findings a page at a time, joined to their posts; only findings of the post's current version."""
    query = (
        select(table, channels.c.platform, channels.c.username, channels.c.channel_id, posts.c.post_id, posts.c.date)
        .select_from(posts_from().join(table, and_(table.c.post_pk == posts.c.pk, table.c.version == posts.c.version)))
    )
    for rows in _pages(conn, query, table.c.pk, page_size):
        for row in rows:
            yield {"platform": row.platform, "channel": row.username, "channel_id": row.channel_id,
                   "post_id": row.post_id, "date": iso(row.date)} | shape(row)


def iter_mentions(conn: Connection, page_size: int = 2000) -> Iterator[dict]:
    return _finding_records(conn, mentions, lambda row: {
        "entity": row.entity, "entity_name": row.entity_name, "span": [row.start, row.end], "surface": row.surface,
    }, page_size)


def iter_symbols(conn: Connection, page_size: int = 2000) -> Iterator[dict]:
    return _finding_records(conn, symbol_pairings, lambda row: {
        "symbol": row.symbol, "meaning": row.meaning, "entity": row.entity, "entity_name": row.entity_name,
        "symbol_span": [row.symbol_start, row.symbol_end], "entity_span": [row.entity_start, row.entity_end],
    }, page_size)


def iter_narratives(conn: Connection, page_size: int = 2000) -> Iterator[dict]:
    return _finding_records(conn, narrative_tags, lambda row: {"narrative": row.narrative, "spans": row.spans}, page_size)


# Search filters: each a condition on posts.
def has_run(conn: Connection, stage: str) -> bool:
    """Whether the stage has analysed any post: a filter on a stage that never ran is an error, not 0 results."""
    return conn.execute(select(text_analysis.c.pk).where(text_analysis.c.stage == stage).limit(1)).first() is not None


def language_is(codes: Sequence[str]):
    return exists().where(post_language.c.post_pk == posts.c.pk, post_language.c.language.in_([code.lower() for code in codes]))


def mentions_entity(ids: Sequence[str]):
    return exists().where(mentions.c.post_pk == posts.c.pk, mentions.c.version == posts.c.version, mentions.c.entity.in_(list(ids)))


def tagged_with(tags: Sequence[str]):
    return exists().where(narrative_tags.c.post_pk == posts.c.pk, narrative_tags.c.version == posts.c.version,
                          narrative_tags.c.narrative.in_(list(tags)))


def pairs_symbol(symbol: str | None, entity: str | None):
    condition = [symbol_pairings.c.post_pk == posts.c.pk, symbol_pairings.c.version == posts.c.version]
    if symbol is not None:
        condition.append(symbol_pairings.c.symbol_key == symbol_key(symbol))
    if entity is not None:
        condition.append(symbol_pairings.c.entity == entity)
    return exists().where(*condition)


def alert_candidates(conn: Connection, rule: str, conditions: list, after: int, limit: int) -> list[dict]:
    """Posts meeting every condition for which `rule` has not fired yet, as post records (with `pk`)."""
    fired = exists().where(fired_alerts.c.rule == rule, fired_alerts.c.post_pk == posts.c.pk)
    query = select(*POST_COLUMNS).select_from(posts_from()).where(*conditions, ~fired, posts.c.pk > after)
    rows = conn.execute(query.order_by(posts.c.pk).limit(limit)).all()
    return [record | {"pk": row.pk} for row, record in zip(rows, records(conn, rows))]


def mark_fired(conn: Connection, rule: str, post_keys: Sequence[int], when) -> None:
    if post_keys:
        conn.execute(insert(fired_alerts), [{"rule": rule, "post_pk": key, "fired_at": when} for key in post_keys])


def in_channels(channel_keys: Sequence[int]):
    return posts.c.channel_pk.in_(list(channel_keys))


def affiliated_with(names: Sequence[str]):
    return func.lower(channels.c.affiliation).in_([name.lower() for name in names])
