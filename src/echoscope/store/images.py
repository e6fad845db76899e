"""Reads and writes of the media and images stages (tables in schema_images.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator

from sqlalchemy import Connection, and_, delete, exists, func, insert, or_, select

from echoscope.model import MEDIA_STORED
from echoscope.store.reader import as_utc, iso, media_with_captures
from echoscope.store.schema import captures, channels, media, posts
from echoscope.store.schema_images import (
    image_anchor_lookups,
    image_clusters,
    image_hashes,
    image_members,
    image_robust_links,
)
from echoscope.store.writer import insert_many

IMAGE_KINDS = ("photo",)


@dataclass(frozen=True)
class MediaFile:
    """A stored image whose hashes are not known yet, and where its bytes were found at ingest."""

    media_pk: int
    sha256: str
    path: str
    source: str
    locator: str


def _is_image():
    return or_(media.c.kind.in_(IMAGE_KINDS), media.c.mime.like("image/%"))


def unhashed_images(conn: Connection, after_pk: int, limit: int) -> list[MediaFile]:
    """The next `limit` stored image rows (by media pk) whose SHA-256 has no image_hashes row."""
    query = (
        select(media.c.pk, media.c.sha256, media.c.path, captures.c.source, captures.c.locator)
        .select_from(media_with_captures())
        .where(
            media.c.pk > after_pk,
            media.c.status == MEDIA_STORED,
            media.c.sha256.is_not(None),
            _is_image(),
            ~exists().where(image_hashes.c.sha256 == media.c.sha256),
        )
        .order_by(media.c.pk)
        .limit(limit)
    )
    return [MediaFile(*row) for row in conn.execute(query)]


def count_unhashed_images(conn: Connection) -> int:
    query = select(func.count(func.distinct(media.c.sha256))).where(
        media.c.status == MEDIA_STORED, media.c.sha256.is_not(None), _is_image(),
        ~exists().where(image_hashes.c.sha256 == media.c.sha256),
    )
    return conn.execute(query).scalar_one()


def write_hashes(conn: Connection, rows: list[dict]) -> None:
    insert_many(conn, image_hashes, rows)


def hashed_images(conn: Connection) -> list:
    """Every hashed image: sha256, pdq (hex), quality, variants, anchors and looked_up_at (when the
    images stage looked its anchors up; None: not yet), in pk order (features stay stored)."""
    query = (
        select(
            image_hashes.c.sha256, image_hashes.c.pdq, image_hashes.c.quality, image_hashes.c.variants, image_hashes.c.anchors,
            image_anchor_lookups.c.looked_up_at,
        )
        .select_from(image_hashes.outerjoin(image_anchor_lookups, image_anchor_lookups.c.sha256 == image_hashes.c.sha256))
        .where(image_hashes.c.status == "hashed")
        .order_by(image_hashes.c.pk)
    )
    return conn.execute(query).all()


def robust_links(conn: Connection) -> list:
    """Every stored robust link: sha256_a, sha256_b, score."""
    query = select(image_robust_links.c.sha256_a, image_robust_links.c.sha256_b, image_robust_links.c.score)
    return conn.execute(query.order_by(image_robust_links.c.pk)).all()


def write_robust_links(conn: Connection, links: list[tuple[str, str, int]], looked_up: list[str], now: datetime) -> None:
    """Store verified links and mark the files whose anchors were looked up, in one transaction."""
    insert_many(conn, image_robust_links, [
        {"sha256_a": min(a, b), "sha256_b": max(a, b), "score": score, "found_at": now} for a, b, score in links
    ])
    insert_many(conn, image_anchor_lookups, [{"sha256": sha, "looked_up_at": now} for sha in looked_up])


def features_of(conn: Connection, sha256s: Iterable[str]) -> dict[str, bytes]:
    wanted = list(sha256s)
    found: dict[str, bytes] = {}
    for start in range(0, len(wanted), 500):
        query = select(image_hashes.c.sha256, image_hashes.c.features).where(image_hashes.c.sha256.in_(wanted[start : start + 500]))
        found.update((sha, bytes(blob)) for sha, blob in conn.execute(query))
    return found


@dataclass(frozen=True)
class Appearance:
    post_pk: int
    sha256: str
    date: datetime
    channel_pk: int
    platform: str


def appearances(conn: Connection, sha256s: Iterable[str]) -> list[Appearance]:
    """Every current post version that shows one of these files, earliest first."""
    wanted = list(dict.fromkeys(sha256s))
    found: set[Appearance] = set()
    for start in range(0, len(wanted), 500):
        query = (
            select(posts.c.pk, media.c.sha256, posts.c.date, posts.c.channel_pk, channels.c.platform)
            .select_from(
                media.join(posts, and_(posts.c.pk == media.c.post_pk, posts.c.version == media.c.version))
                .join(channels, channels.c.pk == posts.c.channel_pk)
            )
            .where(media.c.sha256.in_(wanted[start : start + 500]), media.c.status == MEDIA_STORED)
        )
        found.update(Appearance(row[0], row[1], as_utc(row[2]), row[3], row[4]) for row in conn.execute(query))
    return sorted(found, key=lambda item: (item.date, item.post_pk, item.sha256))


@dataclass(frozen=True)
class Member:
    appearance: Appearance
    match: str  # first / exact / pdq / robust
    distance: int


def replace_clusters(conn: Connection, clusters: Iterable[list[Member]], now: datetime) -> int:
    """Swap the stored clusters for these (each list earliest first); returns how many were written."""
    conn.execute(delete(image_members))
    conn.execute(delete(image_clusters))
    written = 0
    for members in clusters:
        first = members[0].appearance
        cluster_pk = conn.execute(
            insert(image_clusters)
            .values(
                first_post_pk=first.post_pk,
                first_sha256=first.sha256,
                size=len({member.appearance.post_pk for member in members}),
                channels=len({member.appearance.channel_pk for member in members}),
                platforms=len({member.appearance.platform for member in members}),
                first_date=first.date,
                last_date=members[-1].appearance.date,
                updated_at=now,
            )
            .returning(image_clusters.c.pk)
        ).scalar_one()
        insert_many(
            conn,
            image_members,
            [
                {
                    "cluster_pk": cluster_pk,
                    "post_pk": member.appearance.post_pk,
                    "sha256": member.appearance.sha256,
                    "match": member.match,
                    "distance": member.distance,
                    "lag_seconds": int((member.appearance.date - first.date).total_seconds()),
                }
                for member in members
            ],
        )
        written += 1
    return written


def _post_fields(row) -> dict:
    """The output contract's post fields; another platform's account name is its channel."""
    return {
        "platform": row.platform,
        "channel": row.username or (row.channel_id if row.platform != "telegram" else None),
        "channel_id": row.channel_id,
        "post_id": row.post_id,
        "date": iso(row.date),
    }


def post_fields(conn: Connection, post_pks: Iterable[int]) -> dict[int, dict]:
    wanted = list(post_pks)
    found = {}
    for start in range(0, len(wanted), 500):
        query = (
            select(posts.c.pk, posts.c.post_id, posts.c.date, channels.c.platform, channels.c.channel_id, channels.c.username)
            .select_from(posts.join(channels, channels.c.pk == posts.c.channel_pk))
            .where(posts.c.pk.in_(wanted[start : start + 500]))
        )
        found.update((row.pk, _post_fields(row)) for row in conn.execute(query))
    return found


def iter_cluster_records(conn: Connection, page_size: int = 500) -> Iterator[dict]:
    """One export record per cluster (the issue's shape), by cluster key, a page at a time."""
    last = 0
    page = select(image_clusters.c.pk, image_clusters.c.first_post_pk).order_by(image_clusters.c.pk).limit(page_size)
    while clusters := conn.execute(page.where(image_clusters.c.pk > last)).all():
        last = clusters[-1].pk
        members = conn.execute(
            select(image_members)
            .where(image_members.c.cluster_pk.in_([cluster.pk for cluster in clusters]))
            .order_by(image_members.c.cluster_pk, image_members.c.lag_seconds, image_members.c.post_pk)
        ).all()
        fields = post_fields(conn, {member.post_pk for member in members})
        by_cluster: dict[int, list] = {}
        for member in members:
            by_cluster.setdefault(member.cluster_pk, []).append(
                fields[member.post_pk] | {"media_sha256": member.sha256, "match": member.match, "distance": member.distance}
            )
        for cluster in clusters:
            yield {"cluster": cluster.pk, "first_seen": fields[cluster.first_post_pk], "members": by_cluster.get(cluster.pk, [])}
