"""Channels: created by sources as they are seen, described by the analyst's registry."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import Connection, func, insert, or_, select, update

from echoscope.errors import ConfigError
from echoscope.model import Channel, RegistryEntry
from echoscope.store.schema import channels, posts

_REGISTRY_FIELDS = ("title", "affiliation", "country", "language", "notes", "attribution_source")


def upsert_channel(conn: Connection, channel: Channel, capture_pk: int | None) -> int:
    """The channel's key, creating it or filling in a title, type or username learnt since."""
    existing = conn.execute(
        select(channels.c.pk, channels.c.title, channels.c.type, channels.c.username).where(
            channels.c.platform == channel.platform, channels.c.channel_id == channel.channel_id
        )
    ).first()
    if existing is None:
        row = asdict(channel) | {"first_capture_pk": capture_pk}
        return conn.execute(insert(channels).values(row).returning(channels.c.pk)).scalar_one()
    learnt = {
        name: value
        for name, value in (("title", channel.title), ("type", channel.type), ("username", channel.username))
        if value is not None and value != getattr(existing, name)
    }
    if learnt:
        conn.execute(update(channels).where(channels.c.pk == existing.pk).values(learnt))
    return existing.pk


def apply_registry_entry(conn: Connection, entry: RegistryEntry) -> bool:
    """Describe a channel from the registry; True when a new channel row was created.

    A registry line may name a channel by id, by username or both. When it gives both and the store
    holds them as two rows (an id seen in an export, a username seen elsewhere with no posts yet),
    the rows are joined; a username already given to another channel with posts is an error.
    """
    conditions = []
    if entry.channel_id:
        conditions.append(channels.c.channel_id == entry.channel_id)
    if entry.username:
        conditions.append(func.lower(channels.c.username) == entry.username.lower())
    found = conn.execute(
        select(channels.c.pk, channels.c.channel_id, channels.c.username).where(
            channels.c.platform == entry.platform, or_(*conditions)
        )
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
    keep = next((row for row in found if row.channel_id), found[0])
    for other in found:
        if other.pk == keep.pk:
            continue
        has_posts = conn.execute(select(func.count()).where(posts.c.channel_pk == other.pk)).scalar()
        if has_posts or other.channel_id:
            raise ConfigError(
                f"registry: @{entry.username} and {entry.channel_id} are two different channels in the store"
            )
        conn.execute(channels.delete().where(channels.c.pk == other.pk))
    conn.execute(update(channels).where(channels.c.pk == keep.pk).values(values))
    return False
