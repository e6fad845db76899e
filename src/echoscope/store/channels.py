"""Channels: created by sources as they are seen, described by the analyst's registry, and joined when
two sources turn out to speak of the same channel.

Identity. A Telegram channel is known by its id (`channel<id>`, from exports and the API) and by its
public username (from the web preview, the registry, the API); usernames compare case-insensitively.
The web preview knows only the username, so its posts live on a row with `channel_id` NULL until an
export line in the registry, or a source that carries both (the API), links the username to an id.
Then the two rows become one (`merge_channels`): posts with the same id become one post holding the
versions of both, in the order they were captured, and everything else that pointed at the
username-only row points at the joined one. Nothing collected is dropped.
"""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import (
    Connection,
    Table,
    delete,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError

from echoscope.errors import ConfigError, StoreError
from echoscope.model import Channel, RegistryEntry
from echoscope.store.schema import channels, events, media, post_versions, posts
from echoscope.store.tables import metadata

# Rows that are collected evidence, never dropped to resolve a clash (the others are stage output).
_EVIDENCE_TABLES = frozenset({"captures", "events", "warnings", "collector_state", "post_observations"})
_REGISTRY_FIELDS = ("title", "affiliation", "country", "language", "notes", "attribution_source")
_LEARNT_ON_MERGE = ("title", "type", "affiliation", "country", "language", "tags", "notes", "attribution_source")
# Columns of a post's current state (everything but its identity and version number).
_STATE_COLUMNS = [column.name for column in posts.columns if column.name not in ("pk", "channel_pk", "post_id", "version")
                  and not column.computed]


def find_by_username(conn: Connection, platform: str, username: str):
    return conn.execute(
        select(channels).where(channels.c.platform == platform, func.lower(channels.c.username) == username.lower())
    ).first()


def upsert_channel(conn: Connection, channel: Channel, capture_pk: int | None) -> int:
    """The channel's key, creating it or filling in a title, type or username learnt since.

    A channel seen with only a username (the web preview) is found by that username. A channel seen
    with an id and a username joins the username-only row, if any, to the row of its id."""
    named = find_by_username(conn, channel.platform, channel.username) if channel.username else None
    if channel.channel_id is None:
        if not channel.username:
            raise StoreError(f"a {channel.platform} channel with neither an id nor a username")
        if named is None:
            return _insert(conn, channel, capture_pk)
        _learn(conn, named, channel)
        return named.pk
    existing = conn.execute(
        select(channels).where(channels.c.platform == channel.platform, channels.c.channel_id == channel.channel_id)
    ).first()
    if named is not None and (existing is None or named.pk != existing.pk):
        if named.channel_id is None and existing is None:
            conn.execute(update(channels).where(channels.c.pk == named.pk).values(channel_id=channel.channel_id))
            existing = named
        elif named.channel_id is None:
            merge_channels(conn, existing.pk, named.pk)
        else:  # usernames move: the source that saw id and username together is the newer word
            conn.execute(update(channels).where(channels.c.pk == named.pk).values(username=None))
    if existing is None:
        return _insert(conn, channel, capture_pk)
    _learn(conn, existing, channel)
    return existing.pk


def _insert(conn: Connection, channel: Channel, capture_pk: int | None) -> int:
    row = asdict(channel) | {"first_capture_pk": capture_pk}
    return conn.execute(insert(channels).values(row).returning(channels.c.pk)).scalar_one()


def _learn(conn: Connection, row, channel: Channel) -> None:
    learnt = {
        name: value
        for name, value in (("title", channel.title), ("type", channel.type), ("username", channel.username))
        if value is not None and value != getattr(row, name)
    }
    if learnt:
        conn.execute(update(channels).where(channels.c.pk == row.pk).values(learnt))


def apply_registry_entry(conn: Connection, entry: RegistryEntry) -> bool:
    """Describe a channel from the registry; True when a new channel row was created.

    A registry line may name a channel by id, by username or both. When it gives both and the store
    holds them as two rows (an id seen in an export, a username seen on the web preview), the rows are
    joined with everything they hold. A username the store knows under another id is an error.
    """
    conditions = []
    if entry.channel_id:
        conditions.append(channels.c.channel_id == entry.channel_id)
    if entry.username:
        conditions.append(func.lower(channels.c.username) == entry.username.lower())
    found = conn.execute(
        select(channels.c.pk, channels.c.channel_id).where(channels.c.platform == entry.platform, or_(*conditions))
    ).all()
    values = {name: getattr(entry, name) for name in _REGISTRY_FIELDS if getattr(entry, name) is not None}
    values["tags"] = list(entry.tags) or None
    if entry.channel_id:
        values["channel_id"] = entry.channel_id
    if entry.username:
        values["username"] = entry.username
    if not found:
        conn.execute(insert(channels).values(platform=entry.platform, **values))
        return True
    keep = next((row for row in found if entry.channel_id and row.channel_id == entry.channel_id), found[0])
    for row in found:
        if entry.channel_id and row.channel_id and row.channel_id != entry.channel_id:
            raise ConfigError(
                f"registry: @{entry.username} is {row.channel_id} in the store, not {entry.channel_id}"
            )
        if row.pk != keep.pk:
            merge_channels(conn, keep.pk, row.pk)
    conn.execute(update(channels).where(channels.c.pk == keep.pk).values(values))
    return False


def merge_channels(conn: Connection, keep_pk: int, gone_pk: int) -> None:
    """Fold channel row `gone_pk` into `keep_pk`: posts merged by post id, every other row moved."""
    keep = conn.execute(select(channels).where(channels.c.pk == keep_pk)).mappings().one()
    gone = conn.execute(select(channels).where(channels.c.pk == gone_pk)).mappings().one()
    pairs = conn.execute(
        select(posts.c.pk, posts.c.post_id).where(
            posts.c.channel_pk == gone_pk,
            posts.c.post_id.in_(select(posts.c.post_id).where(posts.c.channel_pk == keep_pk)),
        )
    ).all()
    for gone_post, post_id in pairs:
        keep_post = conn.execute(
            select(posts.c.pk).where(posts.c.channel_pk == keep_pk, posts.c.post_id == post_id)
        ).scalar_one()
        merge_posts(conn, keep_post, gone_post)
    conn.execute(update(posts).where(posts.c.channel_pk == gone_pk).values(channel_pk=keep_pk))
    # The same event seen through both rows (same kind, same raw record) is one event.
    same = select(events.c.kind, events.c.raw_sha256).where(events.c.channel_pk == keep_pk)
    conn.execute(delete(events).where(events.c.channel_pk == gone_pk, tuple_(events.c.kind, events.c.raw_sha256).in_(same)))
    _repoint(conn, channels, gone_pk, keep_pk, handled={posts.name})
    learnt = {name: gone[name] for name in _LEARNT_ON_MERGE if keep[name] is None and gone[name] is not None}
    firsts = [pk for pk in (keep["first_capture_pk"], gone["first_capture_pk"]) if pk is not None]
    conn.execute(delete(channels).where(channels.c.pk == gone_pk))
    conn.execute(
        update(channels).where(channels.c.pk == keep_pk).values(
            username=keep["username"] or gone["username"], first_capture_pk=min(firsts) if firsts else None, **learnt
        )
    )


def merge_posts(conn: Connection, keep_pk: int, gone_pk: int) -> None:
    """Make two rows of the same post one: all versions of both, renumbered in the order they were
    written, and the state of the last one written as the post's current state: what the writer
    would have made had both sources written to one row from the start."""
    keep_version = conn.execute(select(posts.c.version).where(posts.c.pk == keep_pk)).scalar_one()
    # Step 1: every version to a distinct negative number on the kept post (no unique key can clash).
    for table in (post_versions, media):
        conn.execute(update(table).where(table.c.post_pk == keep_pk).values(version=-table.c.version))
        conn.execute(
            update(table).where(table.c.post_pk == gone_pk).values(post_pk=keep_pk, version=-(table.c.version + keep_version))
        )
    ordered = conn.execute(
        select(post_versions.c.pk, post_versions.c.version).where(post_versions.c.post_pk == keep_pk).order_by(post_versions.c.pk)
    ).all()
    # Step 2: number them 1…n in the order they were written.
    for number, (version_pk, temporary) in enumerate(ordered, 1):
        conn.execute(update(post_versions).where(post_versions.c.pk == version_pk).values(version=number))
        conn.execute(update(media).where(media.c.post_pk == keep_pk, media.c.version == temporary).values(version=number))
    state = {"version": len(ordered)}
    if ordered and -ordered[-1].version > keep_version:  # the last version written came through the other row
        newest = conn.execute(select(*(posts.c[name] for name in _STATE_COLUMNS)).where(posts.c.pk == gone_pk)).mappings().one()
        state |= dict(newest)
    deleted = conn.execute(select(func.min(posts.c.deleted_at)).where(posts.c.pk.in_([keep_pk, gone_pk]))).scalar()
    state["deleted_at"] = deleted
    conn.execute(update(posts).where(posts.c.pk == keep_pk).values(state))
    _repoint(conn, posts, gone_pk, keep_pk, handled={post_versions.name, media.name})
    conn.execute(delete(posts).where(posts.c.pk == gone_pk))


def _repoint(conn: Connection, target: Table, gone_pk: int, keep_pk: int, handled: set[str]) -> None:
    """Point every other row that refers to `target` row `gone_pk` at `keep_pk`.

    Tables of every area are found through their foreign keys, so a new area's tables are carried
    along without a change here. Derived rows (an analysis stage's output) that would then clash
    with a unique key are dropped: the stage recomputes them on its next run."""
    for table in metadata.sorted_tables:
        if table.name in handled or table is target:
            continue
        for key in table.foreign_keys:
            if key.column is not target.c.pk:
                continue
            column = key.parent
            try:
                with conn.begin_nested():
                    conn.execute(update(table).where(column == gone_pk).values({column.name: keep_pk}))
            except IntegrityError as exc:
                if table.name in _EVIDENCE_TABLES:
                    raise StoreError(f"cannot join the two rows: {table.name} holds both ({exc.orig})") from exc
                conn.execute(delete(table).where(column == gone_pk))
