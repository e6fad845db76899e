"""The one vocabulary every source yields and the store keeps.

Sources turn the outside world into these frozen records and never touch the database. Conventions:

- Times are timezone-aware UTC `datetime`s.
- `channel_id` is the platform's own id as the output contract spells it: for Telegram
  `channel<bare id>` (channels, supergroups) or `chat<id>` (basic groups), `user<id>` for private chats;
  for other platforms the account name given in the source.
- Text offsets (`TextEntity.start/end`, spans) are Python code-point offsets into the plain text,
  half-open `[start, end)`, so `text[start:end]` is the entity's text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Union

TELEGRAM = "telegram"

# Media status values (the evidence state of one referenced file).
MEDIA_STORED = "stored"  # the file was there, inside the root, and hashed
MEDIA_MISSING = "missing"  # referenced, but no such file
MEDIA_NOT_INCLUDED = "not-included"  # the exporter skipped it (size or settings), said so in a notice
MEDIA_REFUSED = "refused"  # the path was unsafe (escapes the root, absolute, NUL, symlink out)
MEDIA_UNAVAILABLE = "unavailable"  # the source could not deliver it ("File unavailable…")
MEDIA_STATUSES = (MEDIA_STORED, MEDIA_MISSING, MEDIA_NOT_INCLUDED, MEDIA_REFUSED, MEDIA_UNAVAILABLE)


@dataclass(frozen=True, slots=True)
class Capture:
    """One act of collection: a file read or a URL fetched, and the hash of what was read."""

    source: str  # source module name: "tdesktop", "web", "telegram", "table"
    locator: str  # file path or URL as given by the analyst
    sha256: str  # of the raw bytes read (the export file, the zip, the page)
    collected_at: datetime
    tool_version: str


@dataclass(frozen=True, slots=True)
class Channel:
    """A Telegram channel or group, or an account on another platform."""

    platform: str
    channel_id: str | None  # None when only the username is known (the web preview); `username` is then set
    title: str | None = None
    username: str | None = None
    type: str | None = None  # the export's dialog type: public_channel, private_supergroup, …


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    """The analyst's knowledge about a channel: who it belongs to or speaks for, and who said so.

    Exports carry no usernames, so the registry is also how permalinks become public t.me links."""

    platform: str
    channel_id: str | None
    username: str | None
    title: str | None = None
    affiliation: str | None = None
    country: str | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()
    notes: str | None = None
    attribution_source: str | None = None


@dataclass(frozen=True, slots=True)
class TextEntity:
    """A formatted or meaningful part of a post's text (link, hashtag, mention, custom emoji …)."""

    type: str
    start: int
    end: int
    href: str | None = None  # text_link target
    extra: dict[str, Any] | None = None  # language of `pre`, user_id of `mention_name`, …


@dataclass(frozen=True, slots=True)
class Media:
    """One file a post refers to, with the evidence state of that file."""

    kind: str  # photo, video_file, voice_message, sticker, animation, file, thumbnail, …
    status: str  # one of MEDIA_STATUSES
    path: str | None = None  # as written in the source (relative to the export root)
    sha256: str | None = None
    size: int | None = None
    mime: str | None = None
    file_name: str | None = None
    width: int | None = None
    height: int | None = None
    duration: int | None = None
    note: str | None = None  # the exporter's skip notice, or why the path was refused


@dataclass(frozen=True, slots=True)
class Reaction:
    type: str  # emoji, custom_emoji, paid, empty
    count: int
    emoji: str | None = None
    document: str | None = None


@dataclass(frozen=True, slots=True)
class Post:
    """One message as published. Identity: (platform, channel_id, post_id); before the channel's id is
    known (the web preview), (platform, username, post_id), merged when a source links the two."""

    platform: str
    channel_id: str | None
    post_id: int
    date: datetime
    text: str = ""
    entities: tuple[TextEntity, ...] = ()
    media: tuple[Media, ...] = ()
    author: str | None = None  # channel post signature
    sender_id: str | None = None  # from_id in groups (user123); None or the channel itself for posts
    sender_name: str | None = None
    forwarded_from: str | None = None
    forwarded_from_id: str | None = None
    forwarded_post_id: int | None = None
    reply_to: int | None = None
    reply_to_peer: str | None = None
    edited: datetime | None = None
    views: int | None = None
    forwards: int | None = None
    reactions: tuple[Reaction, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # poll, location, contact, buttons, via_bot …
    raw: dict[str, Any] | None = None  # the source record exactly as parsed, kept as evidence


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened in a channel that is not a post: a service message, an edit, a deletion,
    or a record of a type the source does not understand (kept raw rather than dropped)."""

    platform: str
    channel_id: str | None
    kind: str  # service, unsupported, unknown, edit, deletion
    post_id: int | None = None
    date: datetime | None = None
    action: str | None = None  # create_channel, pin_message, …
    actor: str | None = None
    actor_id: str | None = None
    raw: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class SourceWarning:
    """Something the analyst must know about the data, that is not fatal (e.g. local-time dates)."""

    location: str  # file and place
    message: str
    channel_id: str | None = None
    post_id: int | None = None


Record = Union[Capture, Channel, Post, Event, SourceWarning]
