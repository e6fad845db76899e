"""Reads the network stage needs (echo members, forwards, links, image clusters) and its stored network.

Reads come a batch of whole clusters (or a page of posts) at a time, as plain columns, so the stage's
memory follows the number of occurrences it keeps as integers, never the rows or texts it reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from sqlalchemy import Connection, Table, and_, exists, func, inspect, or_, select

from echoscope.store.reader import _pages, as_utc
from echoscope.store.schema import channels, posts
from echoscope.store.schema_echoes import echo_clusters, echo_members
from echoscope.store.schema_network import network_channels, network_edges
from echoscope.store.tables import metadata
from echoscope.store.writer import insert_many

IMAGE_MEMBERS = "image_members"  # the image stage's cluster membership: cluster_pk, post_pk
_IMAGE_COLUMNS = {"cluster_pk", "post_pk"}


@dataclass
class Occurrences:
    """One batch of posts that belong to shared items, as parallel columns."""

    item: list[int] = field(default_factory=list)
    channel: list[int] = field(default_factory=list)
    seconds: list[int] = field(default_factory=list)
    lag: list[int] = field(default_factory=list)  # echoes only: from the cluster's origin
    origin_channel: list[int] = field(default_factory=list)  # echoes only


def unix_seconds(value) -> int:
    return int(as_utc(value).timestamp())


def echo_batches(conn: Connection, clusters_per_batch: int = 5000) -> Iterator[Occurrences]:
    """Members of echo clusters that span at least two channels, whole clusters per batch."""
    origin = posts.alias("origin")
    members = (
        select(echo_members.c.cluster_pk, posts.c.channel_pk, posts.c.date, echo_members.c.lag_seconds,
               origin.c.channel_pk.label("origin_channel"))
        .select_from(
            echo_members.join(posts, posts.c.pk == echo_members.c.post_pk)
            .join(echo_clusters, echo_clusters.c.pk == echo_members.c.cluster_pk)
            .join(origin, origin.c.pk == echo_clusters.c.origin_post_pk)
        )
    )
    wanted = select(echo_clusters.c.pk).where(echo_clusters.c.channels >= 2)
    for first, last in _cluster_ranges(conn, wanted, echo_clusters.c.pk, clusters_per_batch):
        batch = Occurrences()
        for row in conn.execute(members.where(echo_members.c.cluster_pk.between(first, last), echo_clusters.c.channels >= 2)):
            batch.item.append(row.cluster_pk)
            batch.channel.append(row.channel_pk)
            batch.seconds.append(unix_seconds(row.date))
            batch.lag.append(row.lag_seconds)
            batch.origin_channel.append(row.origin_channel)
        yield batch


def image_table(conn: Connection) -> Table | None:
    """The image stage's membership table, when that stage is installed and has created it."""
    table = metadata.tables.get(IMAGE_MEMBERS)
    if table is None or not _IMAGE_COLUMNS <= set(table.c.keys()) or not inspect(conn).has_table(IMAGE_MEMBERS):
        return None
    return table


def image_batches(conn: Connection, table: Table, clusters_per_batch: int = 5000) -> Iterator[Occurrences]:
    """Posts of image-reuse clusters, whole clusters per batch."""
    members = select(table.c.cluster_pk, posts.c.channel_pk, posts.c.date).select_from(
        table.join(posts, posts.c.pk == table.c.post_pk)
    )
    wanted = select(table.c.cluster_pk).distinct()
    for first, last in _cluster_ranges(conn, wanted, table.c.cluster_pk, clusters_per_batch):
        batch = Occurrences()
        for row in conn.execute(members.where(table.c.cluster_pk.between(first, last))):
            batch.item.append(row.cluster_pk)
            batch.channel.append(row.channel_pk)
            batch.seconds.append(unix_seconds(row.date))
        yield batch


def _cluster_ranges(conn: Connection, wanted, key, size: int) -> Iterator[tuple[int, int]]:
    """(first, last) cluster keys of consecutive batches of `size` clusters, by keyset pagination."""
    last = 0
    while keys := conn.execute(wanted.where(key > last).order_by(key).limit(size)).scalars().all():
        yield keys[0], keys[-1]
        last = keys[-1]


def link_pages(conn: Connection, page_size: int = 5000) -> Iterator[list]:
    """Every post's text, entities and extra fields, a page at a time: where shared links are found."""
    query = select(posts.c.pk, posts.c.channel_pk, posts.c.date, posts.c.text, posts.c.entities, posts.c.extra)
    yield from _pages(conn, query, posts.c.pk, page_size)


def forward_counts(conn: Connection) -> tuple[list[tuple[int, int, int]], int]:
    """(source channel, forwarding channel, forwards) for forwards whose source is a stored channel,
    and how many forwards name a source that is not stored (or only by name)."""
    forwarder, source = channels.alias("forwarder"), channels.alias("source")
    joined = posts.join(forwarder, forwarder.c.pk == posts.c.channel_pk).outerjoin(
        source, and_(source.c.platform == forwarder.c.platform, source.c.channel_id == posts.c.forwarded_from_id)
    )
    is_forward = or_(posts.c.forwarded_from_id.is_not(None), posts.c.forwarded_from.is_not(None))
    resolved = conn.execute(
        select(source.c.pk, posts.c.channel_pk, func.count())
        .select_from(joined)
        .where(source.c.pk.is_not(None), source.c.pk != posts.c.channel_pk)
        .group_by(source.c.pk, posts.c.channel_pk)
        .order_by(source.c.pk, posts.c.channel_pk)
    ).all()
    unresolved = conn.execute(select(func.count()).select_from(joined).where(is_forward, source.c.pk.is_(None))).scalar_one()
    return [tuple(row) for row in resolved], unresolved


def replace_network(conn: Connection, edges: list[dict], roles: list[dict]) -> None:
    """The new network in place of the old, inside the caller's transaction."""
    conn.execute(network_edges.delete())
    conn.execute(network_channels.delete())
    insert_many(conn, network_edges, edges)
    insert_many(conn, network_channels, roles)


def network_nodes(conn: Connection) -> list[dict]:
    """Every channel with posts or a place in the network, with registry fields, community and role."""
    has_posts = exists().where(posts.c.channel_pk == channels.c.pk)
    query = (
        select(channels.c.pk, channels.c.platform, channels.c.channel_id, channels.c.username, channels.c.title,
               channels.c.affiliation, network_channels.c.community, network_channels.c.role,
               network_channels.c.origins, network_channels.c.echoes, network_channels.c.median_lag_seconds)
        .select_from(channels.outerjoin(network_channels, network_channels.c.channel_pk == channels.c.pk))
        .where(or_(has_posts, network_channels.c.pk.is_not(None)))
        .order_by(channels.c.pk)
    )
    return [row._asdict() for row in conn.execute(query)]


def network_edge_rows(conn: Connection, significant_only: bool = True) -> list[dict]:
    query = select(network_edges).order_by(network_edges.c.source_pk, network_edges.c.target_pk, network_edges.c.kind)
    if significant_only:
        query = query.where(network_edges.c.significant.is_(True))
    return [row._asdict() for row in conn.execute(query)]
