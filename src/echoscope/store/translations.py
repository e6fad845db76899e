"""Cached translations: which posts still need one, writing them, and reading a post with its translations.

A post needs a translation when the language stage has read its current version (`post_language` at
that version), its language is neither the target nor "und", and no translation of that version into
the target by that backend is stored yet (`force` ignores the last condition).
"""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import Connection, Select, and_, delete, exists, func, insert, select, tuple_

from echoscope import __version__
from echoscope.errors import QueryError
from echoscope.store.reader import POST_COLUMNS, as_utc, posts_from, records
from echoscope.store.schema import posts
from echoscope.store.schema_text import post_language
from echoscope.store.schema_translations import translations
from echoscope.store.search import resolve_channels

UNDETERMINED = "und"


def _needing(target: str, backend: str, languages: Sequence[str], force: bool) -> Select:
    read = and_(post_language.c.post_pk == posts.c.pk, post_language.c.version == posts.c.version)
    query = (
        select(posts.c.pk, posts.c.version, posts.c.text, post_language.c.language)
        .select_from(posts.join(post_language, read))
        .where(post_language.c.language.not_in([target, UNDETERMINED]), posts.c.text != "")
    )
    if languages:
        query = query.where(post_language.c.language.in_(list(languages)))
    if not force:
        done = exists().where(
            translations.c.post_pk == posts.c.pk,
            translations.c.version == posts.c.version,
            translations.c.target == target,
            translations.c.backend == backend,
        )
        query = query.where(~done)
    return query


def pending_languages(conn: Connection, *, target: str, backend: str, languages: Sequence[str] = (), force: bool = False) -> dict[str, int]:
    """Source language → number of posts to translate into `target` with `backend`."""
    needing = _needing(target, backend, languages, force).subquery()
    query = select(needing.c.language, func.count()).group_by(needing.c.language).order_by(needing.c.language)
    return {language: count for language, count in conn.execute(query)}


def pending_posts(
    conn: Connection, *, source: str, target: str, backend: str, force: bool = False, after: int = 0, limit: int = 200
) -> list:
    """The next `limit` posts in `source` to translate, after post key `after` (rows: pk, version, text)."""
    query = _needing(target, backend, [source], force).where(posts.c.pk > after).order_by(posts.c.pk).limit(limit)
    return conn.execute(query).all()


def waiting_for_language(conn: Connection) -> int:
    """Posts with text whose current version the language stage has not read yet."""
    read = exists().where(post_language.c.post_pk == posts.c.pk, post_language.c.version == posts.c.version)
    return conn.execute(select(func.count()).select_from(posts).where(posts.c.text != "", ~read)).scalar_one()


def save(conn: Connection, rows: list[dict], *, replace: bool = False) -> None:
    """Store translations. With `replace`, one for the same (post, version, target, backend) is overwritten."""
    if not rows:
        return
    if replace:
        key = tuple_(translations.c.post_pk, translations.c.version, translations.c.target, translations.c.backend)
        conn.execute(delete(translations).where(key.in_([(r["post_pk"], r["version"], r["target"], r["backend"]) for r in rows])))
    conn.execute(insert(translations), rows)


TRANSLATION_FIELDS = ("version", "source", "target", "backend", "model", "text", "translated_at", "tool_version")


def for_posts(conn: Connection, post_pks: Sequence[int]) -> dict[int, list[dict]]:
    """Every stored translation of these posts (TRANSLATION_FIELDS), newest post version first, by post key."""
    query = (
        select(translations.c.post_pk, *(translations.c[name] for name in TRANSLATION_FIELDS))
        .where(translations.c.post_pk.in_(list(post_pks)))
        .order_by(translations.c.post_pk, translations.c.version.desc(), translations.c.target, translations.c.backend)
    )
    found: dict[int, list[dict]] = {pk: [] for pk in post_pks}
    for post_pk, *values in conn.execute(query):
        item = dict(zip(TRANSLATION_FIELDS, values))
        found[post_pk].append(item | {"translated_at": as_utc(item["translated_at"])})
    return found


def find_post(conn: Connection, channel: str, post_id: int) -> dict | None:
    """A post as an export record, with its language (`language`, None if not read) and `translations`."""
    rows = conn.execute(
        select(*POST_COLUMNS, post_language.c.language, post_language.c.confidence, post_language.c.version.label("language_version"))
        .select_from(posts_from().outerjoin(post_language, post_language.c.post_pk == posts.c.pk))
        .where(posts.c.channel_pk.in_(resolve_channels(conn, [channel])), posts.c.post_id == post_id)
    ).all()
    if not rows:
        return None
    row = rows[0]
    record = records(conn, [row])[0]
    current = row.language is not None and row.language_version == row.version
    record["language"] = row.language if current else None
    record["language_confidence"] = row.confidence if current else None
    record["translations"] = for_posts(conn, [row.pk])[row.pk]
    return record


def import_translations(conn: Connection, rows: Sequence[tuple[str, dict]], *, backend: str, model: str,
                        translated_at: datetime) -> int:
    """Store translations made elsewhere (a human translator, another tool), each for a post's current version.

    `rows` are (location, {"channel", "post_id", "source", "target", "text"}); a row naming a post that is not
    in the store is a QueryError naming its location, and nothing of the file is stored."""
    found = []
    for location, row in rows:
        try:
            keys = resolve_channels(conn, [str(row["channel"])])
        except QueryError as exc:
            raise QueryError(f"{location}: {exc}") from None
        post = conn.execute(
            select(posts.c.pk, posts.c.version).where(posts.c.channel_pk.in_(keys), posts.c.post_id == int(row["post_id"]))
        ).first()
        if post is None:
            raise QueryError(f"{location}: no post {row['post_id']} of {row['channel']} in the store")
        found.append({"post_pk": post.pk, "version": post.version, "source": row["source"], "target": row["target"],
                      "backend": backend, "model": model, "text": row["text"], "translated_at": translated_at,
                      "tool_version": __version__})
    save(conn, found, replace=True)
    return len(found)
