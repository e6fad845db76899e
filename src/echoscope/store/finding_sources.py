"""Reading other stages' results in the shape the finding producers need.

Each reader yields one group at a time (a cluster, a symbol–entity pair, a narrative) with its posts in
date order, so a producer holds one group in memory, never the corpus. Tables of stages that are not
installed yet are looked up by name and absent ones are reported by `has_table`.
"""

from __future__ import annotations

from itertools import groupby
from typing import Iterator

from sqlalchemy import Connection, func, select

from echoscope.store.reader import as_utc, media_with_captures
from echoscope.store.schema import captures, channels, media, posts
from echoscope.store.schema_echoes import echo_clusters, echo_members
from echoscope.store.tables import metadata

_POST = (posts.c.pk.label("post_pk"), posts.c.post_id, posts.c.date, channels.c.pk.label("channel_pk"),
         channels.c.title, channels.c.username, channels.c.channel_id, channels.c.affiliation)


def has_table(name: str) -> bool:
    return name in metadata.tables


def _post_rows(rows) -> list[dict]:
    return [row._asdict() | {"date": as_utc(row.date)} for row in rows]


def _clusters_with_members(conn: Connection, clusters_table, members_table, condition, member_columns,
                           page_size: int) -> Iterator[tuple]:
    """(cluster row, its members as post rows, first appearance first) for the clusters meeting `condition`,
    a page of clusters at a time."""
    last = 0
    while True:
        clusters = conn.execute(
            select(clusters_table).where(clusters_table.c.pk > last, condition).order_by(clusters_table.c.pk).limit(page_size)
        ).all()
        if not clusters:
            return
        members = conn.execute(
            select(members_table.c.cluster_pk, *member_columns, *_POST)
            .select_from(members_table.join(posts, posts.c.pk == members_table.c.post_pk).join(channels, channels.c.pk == posts.c.channel_pk))
            .where(members_table.c.cluster_pk.in_([cluster.pk for cluster in clusters]))
            .order_by(members_table.c.cluster_pk, members_table.c.lag_seconds, posts.c.pk)
        )
        by_cluster = {pk: _post_rows(rows) for pk, rows in groupby(members, key=lambda row: row.cluster_pk)}
        for cluster in clusters:
            yield cluster, by_cluster.get(cluster.pk, [])
        last = clusters[-1].pk


def echo_cascades(conn: Connection, min_channels: int = 2, page_size: int = 500) -> Iterator[tuple[dict, list[dict]]]:
    """(cluster, members with channel and lag, origin first) for clusters spanning `min_channels` channels."""
    member_columns = (echo_members.c.version, echo_members.c.lag_seconds, echo_members.c.similarity, echo_members.c.kind,
                      echo_members.c.changes)
    for cluster, members in _clusters_with_members(conn, echo_clusters, echo_members, echo_clusters.c.channels >= min_channels,
                                                   member_columns, page_size):
        yield cluster._asdict() | {"first_date": as_utc(cluster.first_date), "last_date": as_utc(cluster.last_date)}, members


def image_cascades(conn: Connection, page_size: int = 500) -> Iterator[tuple[dict, list[dict]]]:
    """(cluster, members with channel, platform, lag, match) for image clusters that span more than one
    channel or platform, first appearance first."""
    clusters_table, members_table = metadata.tables["image_clusters"], metadata.tables["image_members"]
    member_columns = (members_table.c.sha256, members_table.c.match, members_table.c.distance, members_table.c.lag_seconds,
                      posts.c.version, channels.c.platform)
    spanning = (clusters_table.c.channels > 1) | (clusters_table.c.platforms > 1)
    for cluster, members in _clusters_with_members(conn, clusters_table, members_table, spanning, member_columns, page_size):
        yield cluster._asdict(), members


def communities(conn: Connection) -> Iterator[tuple[int, list[dict], list[dict]]]:
    """(community, its channels with role and registry fields, its significant edges) per community of two
    or more channels, as the network stage stored them."""
    nodes, edges = metadata.tables["network_channels"], metadata.tables["network_edges"]
    rows = conn.execute(
        select(nodes.c.community, nodes.c.role, nodes.c.origins, nodes.c.echoes, channels.c.pk.label("channel_pk"),
               channels.c.title, channels.c.username, channels.c.channel_id, channels.c.affiliation)
        .select_from(nodes.join(channels, channels.c.pk == nodes.c.channel_pk))
        .where(nodes.c.community.is_not(None)).order_by(nodes.c.community, channels.c.pk)
    )
    significant = [row._asdict() for row in conn.execute(select(edges).where(edges.c.significant.is_(True)))]
    for community, members in groupby(rows, key=lambda row: row.community):
        members = [row._asdict() for row in members]
        inside = {member["channel_pk"] for member in members}
        if len(inside) > 1:
            yield community, members, [edge for edge in significant if edge["source_pk"] in inside and edge["target_pk"] in inside]


def shared_echo_posts(conn: Connection, channel_pks: list[int], limit: int) -> list[tuple[int, int, object]]:
    """(post pk, version, date) of the echoes that two or more of these channels share, earliest first."""
    shared = (
        select(echo_members.c.cluster_pk)
        .select_from(echo_members.join(posts, posts.c.pk == echo_members.c.post_pk))
        .where(posts.c.channel_pk.in_(channel_pks))
        .group_by(echo_members.c.cluster_pk)
        .having(func.count(func.distinct(posts.c.channel_pk)) > 1)
    )
    rows = conn.execute(
        select(posts.c.pk, echo_members.c.version, posts.c.date)
        .select_from(echo_members.join(posts, posts.c.pk == echo_members.c.post_pk))
        .where(echo_members.c.cluster_pk.in_(shared), posts.c.channel_pk.in_(channel_pks))
        .order_by(posts.c.date, posts.c.pk).limit(limit)
    )
    return [(row.pk, row.version, as_utc(row.date)) for row in rows]


def media_location(conn: Connection, post_pk: int, version: int, sha256: str) -> tuple[str, str, str] | None:
    """(capture source, capture locator, path) where a post version's media file was found at ingest."""
    row = conn.execute(
        select(captures.c.source, captures.c.locator, media.c.path)
        .select_from(media_with_captures())
        .where(media.c.post_pk == post_pk, media.c.version == version, media.c.sha256 == sha256, media.c.path.is_not(None))
        .limit(1)
    ).first()
    return tuple(row) if row else None


def tag_groups(conn: Connection, table_name: str, columns: tuple[str, ...]) -> Iterator[tuple[tuple, list[dict]]]:
    """Posts grouped by the values of `columns` of a per-post tag table (e.g. symbol_pairings by symbol and
    entity), each group's posts in date order, one row per post and version."""
    table = metadata.tables[table_name]
    keys = [table.c[name] for name in columns]
    rows = conn.execute(
        select(*keys, table.c.version, *_POST)
        .select_from(table.join(posts, posts.c.pk == table.c.post_pk).join(channels, channels.c.pk == posts.c.channel_pk))
        .distinct()
        .order_by(*keys, posts.c.date, posts.c.pk)
        .execution_options(yield_per=2000)
    )
    for group, members in groupby(rows, key=lambda row: tuple(getattr(row, name) for name in columns)):
        yield group, _post_rows(members)

