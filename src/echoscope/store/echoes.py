"""Reading and writing the echoes stage's tables: signatures, boilerplate, clusters and members."""

from __future__ import annotations

from typing import Iterable, Iterator, Sequence

from sqlalchemy import Connection, Select, and_, bindparam, delete, func, or_, select

from echoscope.store.reader import iso, permalink, posts_from
from echoscope.store.schema import channels, post_versions, posts
from echoscope.store.schema_echoes import (
    channel_boilerplate,
    echo_clusters,
    echo_members,
    echo_signatures,
)

_IN_CHUNK = 900  # values per IN (...): under SQLite's variable limit with room for other parameters

# the capture that first saw the post: it breaks ties between posts of the same second (per row, by the
# (post_pk, version) index, so a page of posts never groups the whole versions table)
first_capture = (
    select(func.min(post_versions.c.capture_pk)).where(post_versions.c.post_pk == posts.c.pk).scalar_subquery().label("capture_pk")
)

MATCH_COLUMNS = (
    posts.c.pk,
    posts.c.channel_pk,
    posts.c.post_id,
    posts.c.date,
    posts.c.text,
    posts.c.text_norm,
    posts.c.version,
    posts.c.forwarded_from_id,
    posts.c.forwarded_post_id,
    first_capture,
    echo_members.c.cluster_pk,
)


def _match_query() -> Select:
    return select(*MATCH_COLUMNS).select_from(posts.outerjoin(echo_members, echo_members.c.post_pk == posts.c.pk))


def _chunks(values: Sequence, size: int = _IN_CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def pending(conn: Connection, after_pk: int, limit: int) -> list:
    """The next posts (by pk) that have no signature for their current version: new or edited posts."""
    query = (
        _match_query()
        .outerjoin(echo_signatures, echo_signatures.c.post_pk == posts.c.pk)
        .where(posts.c.pk > after_pk, or_(echo_signatures.c.post_pk.is_(None), echo_signatures.c.version != posts.c.version))
        .order_by(posts.c.pk)
        .limit(limit)
    )
    return conn.execute(query).all()


def pending_count(conn: Connection) -> int:
    query = (
        select(func.count())
        .select_from(posts.outerjoin(echo_signatures, echo_signatures.c.post_pk == posts.c.pk))
        .where(or_(echo_signatures.c.post_pk.is_(None), echo_signatures.c.version != posts.c.version))
    )
    return conn.execute(query).scalar_one()


def posts_by_pk(conn: Connection, pks: Iterable[int]) -> list:
    found = []
    for chunk in _chunks(sorted(set(pks))):
        found += conn.execute(_match_query().where(posts.c.pk.in_(chunk))).all()
    return found


def posts_by_key(conn: Connection, keys: Iterable[int], classes: Sequence[str]) -> list[int]:
    """Posts already signed whose exact key is one of `keys` (in the given classes)."""
    found = []
    for chunk in _chunks(sorted(set(keys))):
        query = select(echo_signatures.c.post_pk).where(echo_signatures.c.exact_key.in_(chunk), echo_signatures.c["class"].in_(classes))
        found += conn.execute(query).scalars().all()
    return found


def members_of(conn: Connection, cluster_pks: Iterable[int]) -> list[int]:
    found = []
    for chunk in _chunks(sorted(set(cluster_pks))):
        found += conn.execute(select(echo_members.c.post_pk).where(echo_members.c.cluster_pk.in_(chunk))).scalars().all()
    return found


def forward_sources(conn: Connection, wanted: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """The stored post each (channel_id, post_id) forward origin names, where it is stored."""
    found = {}
    for chunk in _chunks(sorted(set(wanted)), 400):
        query = (
            select(channels.c.channel_id, posts.c.post_id, posts.c.pk)
            .select_from(posts_from())
            .where(or_(*(and_(channels.c.channel_id == channel_id, posts.c.post_id == post_id) for channel_id, post_id in chunk)))
        )
        found.update({(row.channel_id, row.post_id): row.pk for row in conn.execute(query)})
    return found


def signature_pages(conn: Connection, page_size: int) -> Iterator[list]:
    """(post_pk, signature) of every long post signed so far, a page at a time."""
    last = 0
    query = select(echo_signatures.c.post_pk, echo_signatures.c.signature).where(echo_signatures.c.signature.is_not(None))
    while rows := conn.execute(query.where(echo_signatures.c.post_pk > last).order_by(echo_signatures.c.post_pk).limit(page_size)).all():
        yield rows
        last = rows[-1].post_pk


def write_signatures(conn: Connection, rows: list[dict]) -> None:
    for chunk in _chunks([row["post_pk"] for row in rows]):
        conn.execute(delete(echo_signatures).where(echo_signatures.c.post_pk.in_(chunk)))
    if rows:
        conn.execute(echo_signatures.insert(), rows)


def channel_texts(conn: Connection, channel_pk: int, limit: int) -> list[str]:
    """The search form of a channel's latest posts: the sample its boilerplate is learnt from."""
    query = select(posts.c.text_norm).where(posts.c.channel_pk == channel_pk).order_by(posts.c.date.desc()).limit(limit)
    return conn.execute(query).scalars().all()


def clear(conn: Connection) -> None:
    """Forget every cluster, signature and learnt boilerplate: derived from the posts, made again by the stage."""
    for table in (echo_members, echo_clusters, echo_signatures, channel_boilerplate):
        conn.execute(delete(table))


def replace_boilerplate(conn: Connection, channel_pk: int, phrases: list[dict]) -> None:
    conn.execute(delete(channel_boilerplate).where(channel_boilerplate.c.channel_pk == channel_pk))
    if phrases:
        conn.execute(channel_boilerplate.insert(), [phrase | {"channel_pk": channel_pk} for phrase in phrases])


def boilerplate(conn: Connection, channel_pks: Sequence[int] | None = None) -> list:
    """Learnt boilerplate, most common first: every channel's, or only these channels'."""
    query = select(channel_boilerplate).order_by(channel_boilerplate.c.channel_pk, channel_boilerplate.c.share.desc())
    if channel_pks is not None:
        query = query.where(channel_boilerplate.c.channel_pk.in_(channel_pks))
    return conn.execute(query).all()


def save_clusters(conn: Connection, clusters: list[tuple[Sequence[int], dict, list[dict]]]) -> None:
    """Write clusters with their members, in a few statements for the whole batch.

    Each item is (merged, cluster, members): `merged` are the stored clusters it absorbs (the first
    keeps its number, the others are deleted); a cluster that absorbs none is inserted."""
    posts_written = [member["post_pk"] for _, _, members in clusters for member in members]
    gone = [pk for merged, _, _ in clusters for pk in sorted(merged)[1:]]
    for chunk in _chunks(posts_written):
        conn.execute(delete(echo_members).where(echo_members.c.post_pk.in_(chunk)))
    for chunk in _chunks(gone):
        conn.execute(delete(echo_members).where(echo_members.c.cluster_pk.in_(chunk)))
        conn.execute(delete(echo_clusters).where(echo_clusters.c.pk.in_(chunk)))
    kept = [cluster | {"kept_pk": min(merged)} for merged, cluster, _ in clusters if merged]
    if kept:
        conn.execute(echo_clusters.update().where(echo_clusters.c.pk == bindparam("kept_pk")), kept)
    fresh = [cluster for merged, cluster, _ in clusters if not merged]
    new_pks = iter(
        conn.execute(echo_clusters.insert().returning(echo_clusters.c.pk, sort_by_parameter_order=True), fresh).scalars().all()
        if fresh else []
    )
    rows = []
    for merged, _, members in clusters:
        cluster_pk = min(merged) if merged else next(new_pks)
        rows += [member | {"cluster_pk": cluster_pk} for member in members]
    if rows:
        conn.execute(echo_members.insert(), rows)


def counts(conn: Connection) -> dict[str, int]:
    return {
        "clusters": conn.execute(select(func.count()).select_from(echo_clusters)).scalar_one(),
        "clustered posts": conn.execute(select(func.count()).select_from(echo_members)).scalar_one(),
    }


# Reading clusters back: the export and the timeline.

MEMBER_COLUMNS = (
    echo_members.c.cluster_pk,
    echo_members.c.kind,
    echo_members.c.lag_seconds,
    echo_members.c.similarity,
    echo_members.c.changes,
    posts.c.pk,
    posts.c.channel_pk,
    posts.c.post_id,
    posts.c.date,
    posts.c.text,
    channels.c.platform,
    channels.c.channel_id,
    channels.c.username,
    channels.c.title,
)


def post_record(row) -> dict:
    return {
        "platform": row.platform,
        "channel": row.username,
        "channel_id": row.channel_id,
        "post_id": row.post_id,
        "date": iso(row.date),
    }


def member_rows(conn: Connection, cluster_pks: Sequence[int]) -> list:
    query = (
        select(*MEMBER_COLUMNS)
        .select_from(echo_members.join(posts, posts.c.pk == echo_members.c.post_pk).join(channels, channels.c.pk == posts.c.channel_pk))
        .where(echo_members.c.cluster_pk.in_(cluster_pks))
        .order_by(echo_members.c.cluster_pk, echo_members.c.lag_seconds, posts.c.pk)
    )
    return conn.execute(query).all()


def iter_clusters(conn: Connection, page_size: int = 500) -> Iterator[tuple]:
    """(cluster row, its member rows, origin first) for every cluster, a page of clusters at a time."""
    last = 0
    while rows := conn.execute(select(echo_clusters).where(echo_clusters.c.pk > last).order_by(echo_clusters.c.pk).limit(page_size)).all():
        by_cluster: dict[int, list] = {}
        for member in member_rows(conn, [row.pk for row in rows]):
            by_cluster.setdefault(member.cluster_pk, []).append(member)
        for row in rows:
            members = sorted(by_cluster.get(row.pk, []), key=lambda member: (member.pk != row.origin_post_pk, member.lag_seconds))
            yield row, members
        last = rows[-1].pk


def find_post(conn: Connection, post_id: int, *, username: str | None = None, channel_id: str | None = None) -> int | None:
    condition = channels.c.username == username if username else channels.c.channel_id == channel_id
    query = select(posts.c.pk).select_from(posts_from()).where(condition, posts.c.post_id == post_id)
    return conn.execute(query).scalar()


def cluster_of(conn: Connection, post_pk: int) -> tuple | None:
    cluster_pk = conn.execute(select(echo_members.c.cluster_pk).where(echo_members.c.post_pk == post_pk)).scalar()
    if cluster_pk is None:
        return None
    row = conn.execute(select(echo_clusters).where(echo_clusters.c.pk == cluster_pk)).one()
    members = sorted(member_rows(conn, [cluster_pk]), key=lambda member: (member.pk != row.origin_post_pk, member.lag_seconds))
    return row, members


def link_of(row) -> str | None:
    return permalink(row.platform, row.username, row.channel_id, row.post_id)

