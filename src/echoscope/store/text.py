"""Reading and writing the text stages' rows (store/schema_text.py): one place for their SQL.

The stages are incremental through `text_analysis`: a post is analysed again only when its current
version, or what the stage's result depends on besides the text (`inputs`: the watchlist's digest, the
language list), differs from what the stage last recorded for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Connection,
    Table,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
)

from echoscope.store.reader import (
    POST_COLUMNS,
    _pages,
    iso,
    plain_rows,
    posts_from,
    records,
)
from echoscope.store.schema import channels, posts
from echoscope.store.schema_text import (
    fired_alerts,
    mentions,
    narrative_tags,
    post_language,
    symbol_pairings,
    text_analysis,
)
from echoscope.store.writer import insert_rows
from echoscope.text.watchlist import symbol_key

NEW, REDO = 1, 2  # a stage has never analysed the post / analysed an earlier version or with other inputs
PendingPost = tuple[int, int, str, tuple[int, ...]]
"""pk, version, text, and for each stage asked about: 0 (done), NEW or REDO."""


def inputs_key(inputs: str) -> int:
    """What text_analysis keeps of a stage's inputs: the first 56 bits of their SHA-256, a signed 64-bit
    integer on every database (a different watchlist colliding with it is a 1 in 2^56 chance)."""
    return int.from_bytes(hashlib.sha256(inputs.encode()).digest()[:7], "big")


def _stale(stage: str, inputs: str):
    """(outer join of text_analysis for `stage`, condition: never analysed, condition: analysed before but stale)."""
    done = text_analysis.alias()
    joined = and_(done.c.post_pk == posts.c.pk, done.c.stage == stage)
    return done, joined, done.c.post_pk.is_(None), or_(done.c.version != posts.c.version, done.c.inputs != inputs_key(inputs))


def _states(stages: Sequence[tuple[str, str]]):
    """(posts joined to each stage's record, each stage's state for a post, a post pending for any stage)."""
    source, states, conditions = posts, [], []
    for stage, inputs in stages:
        done, joined, new, redo = _stale(stage, inputs)
        source = source.outerjoin(done, joined)
        states.append(case((new, NEW), (redo, REDO), else_=0))
        conditions += [new, redo]
    return source, states, or_(*conditions)


def count_pending_each(conn: Connection, stages: Sequence[tuple[str, str]]) -> list[int]:
    """How many posts each of the (stage, inputs) has yet to analyse, in one scan."""
    source, states, pending = _states(stages)
    counts = conn.execute(select(*[func.count(case((state > 0, 1))) for state in states]).select_from(source).where(pending)).one()
    return list(counts)


def pending_posts(conn: Connection, stages: Sequence[tuple[str, str]], after: int, limit: int) -> list[PendingPost]:
    """Up to `limit` posts with a key above `after` that at least one of the (stage, inputs) has not
    analysed in their current version, in key order, with each stage's state for the post."""
    source, states, pending = _states(stages)
    query = (
        select(posts.c.pk, posts.c.version, posts.c.text, *states)
        .select_from(source)
        .where(pending, posts.c.pk > after)
        .order_by(posts.c.pk)
        .limit(limit)
    )
    return [(pk, version, text, tuple(states)) for pk, version, text, *states in plain_rows(conn, query)]


@dataclass
class Analysed:
    """What one stage found in a batch: rows of `table`, as tuples of `columns`."""

    stage: str
    inputs: str
    table: Table
    columns: Sequence[str]
    rows: list[tuple]


def store_analysis(conn: Connection, batch: Sequence[PendingPost], results: Sequence[Analysed]) -> None:
    """Store what the stages found in a batch (results[i] for the i-th state of each post): the rows
    replace those a table held for the posts analysed again (a post never analysed has none: both are
    written together), and text_analysis records each (post, stage) in key order."""
    redone: list[list[int]] = [[] for _ in results]  # per stage, the posts it analyses again
    for pk, _, _, states in batch:
        if REDO in states:  # rare: a post edited since, or a watchlist changed
            for stage_redone, state in zip(redone, states, strict=True):
                if state == REDO:
                    stage_redone.append(pk)
    for result, redone_here in zip(results, redone, strict=True):
        if redone_here:
            conn.execute(delete(result.table).where(result.table.c.post_pk.in_(redone_here)))
            conn.execute(delete(text_analysis).where(text_analysis.c.post_pk.in_(redone_here), text_analysis.c.stage == result.stage))
        insert_rows(conn, result.table, result.columns, result.rows)
    input_keys = [inputs_key(result.inputs) for result in results]
    insert_rows(conn, text_analysis, ("post_pk", "stage", "version", "inputs"), [
        (pk, result.stage, version, key)
        for pk, version, _, states in batch
        for result, key, state in zip(results, input_keys, states, strict=True)
        if state
    ])


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
    return conn.execute(select(text_analysis.c.post_pk).where(text_analysis.c.stage == stage).limit(1)).first() is not None


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
