"""One tdesktop message dict in, one echoscope record out (a Post or an Event), plus the warnings the
analyst must see.

This runs once per message, a million times for a large export, so the common case (a text post,
perhaps with a photo) reads only the keys it needs and builds nothing it throws away.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import Any

from echoscope.errors import ParseError
from echoscope.model import (
    MEDIA_NOT_INCLUDED,
    MEDIA_REFUSED,
    MEDIA_STORED,
    MEDIA_UNAVAILABLE,
    TELEGRAM,
    Event,
    Media,
    Post,
    Reaction,
    Record,
    SourceWarning,
    TextEntity,
)
from echoscope.sources._export_root import ExportRoot
from echoscope.sources._tdesktop_json import Place

UTC = timezone.utc
CHANNEL_TYPES = frozenset({"public_channel", "private_channel", "public_supergroup", "private_supergroup"})
USER_TYPES = frozenset({"personal_chat", "bot_chat", "saved_messages", "replies", "verification_codes"})
# What a full-account export yields by default: channels and groups, never anyone's private chats.
CHANNELS_AND_GROUPS = CHANNEL_TYPES | {"private_group"}

# Before v2.7.2 peer ids were tdesktop's encoded numbers: users 2**32 + id, chats and channels 2**33 + id.
_USER_SHIFT = 1 << 32
_CHAT_SHIFT = 1 << 33
# Before v2.1.9 every message had `edited`, the epoch in local time for unedited ones.
_NOT_EDITED_BEFORE = datetime(1970, 1, 2, tzinfo=UTC)
_SKIP_NOTICE = "(File "  # "(File not included. …)", "(File exceeds maximum size. …)"
_UNAVAILABLE_NOTICE = "(File unavailable"
_PLAIN_ENTITY_KEYS = frozenset({"type", "text", "href"})
_EXTRA_KEYS = frozenset({
    "via_bot", "inline_bot_buttons", "poll", "location_information", "live_location_period_seconds",
    "place_name", "address", "contact_information", "contact_vcard", "sticker_emoji", "saved_from",
})


class _BadValue(ValueError):
    """A value a message cannot do without is unreadable (id, date)."""


class PeerIds:
    """Peer ids as echoscope spells them (`channel123`, `chat123`, `user123`), from either era.

    Exports before v2.7.2 wrote encoded numbers, later ones "user123" strings and bare dialog ids. The
    era shows in the first message (numeric or string `from_id`/`actor_id`, or `date_unixtime`, which
    only v4.0+ writes): a bare user id can be above 2**32 today, so the range alone cannot tell.
    """

    def __init__(self, dialog_type: object, dialog_id: int, first_message: object):
        if dialog_type in CHANNEL_TYPES:
            self.prefix = "channel"
        elif dialog_type in USER_TYPES:
            self.prefix = "user"
        else:  # private_group, and types this version does not know
            self.prefix = "chat"
        bare = dialog_id
        if _encoded_era(first_message, dialog_id, self.prefix):
            if self.prefix == "user" and _USER_SHIFT <= bare < _CHAT_SHIFT:
                bare -= _USER_SHIFT
            elif self.prefix != "user" and bare >= _CHAT_SHIFT:
                bare -= _CHAT_SHIFT
        self.bare = bare
        self.channel_id = f"{self.prefix}{bare}"

    def peer(self, value: object) -> str | None:
        """A from_id, actor_id or peer reference; strings are kept as written."""
        if type(value) is str:
            return value
        if type(value) is not int:
            return None
        if value >= _CHAT_SHIFT:
            bare = value - _CHAT_SHIFT
            # Only the chat itself or a channel can be a sender; a basic group never posts elsewhere.
            return self.channel_id if bare == self.bare and self.prefix != "user" else f"channel{bare}"
        return f"user{value - _USER_SHIFT if value >= _USER_SHIFT else value}"


def _encoded_era(first: object, dialog_id: int, prefix: str) -> bool:
    if type(first) is dict:
        sender = first.get("from_id", first.get("actor_id"))
        if sender is not None:
            return type(sender) is int
        if "date_unixtime" in first:
            return False
    # Nothing to tell by: only a channel or group id beyond 2**33 is certainly encoded.
    return prefix != "user" and dialog_id >= _CHAT_SHIFT


class ChatRecords:
    """Turns the messages of one chat into records, in order, streaming."""

    def __init__(self, ids: PeerIds, root: ExportRoot, place: Place):
        self.channel_id = ids.channel_id
        self.peer = ids.peer
        self.root = root
        self.place = place
        self.warned_local_time = False
        self.warning: SourceWarning | None = None

    def records(self, messages: Iterable[Any]) -> Iterator[Record]:
        place = self.place
        post = self.post
        for message in messages:
            try:
                if type(message) is not dict:
                    raise _BadValue("a message that is not an object")
                kind = message.get("type")
                record = post(message) if kind == "message" else self.event(message, kind)
            except _BadValue as exc:
                raise ParseError(str(exc), location=str(place)) from None
            if self.warning is not None:
                yield self.warning
                self.warning = None
            place.last_id = record.post_id
            yield record

    def post(self, message: dict[str, Any]) -> Post:
        get = message.get
        post_id = _message_id(message)
        extra: dict[str, Any] = {}
        date = self._date(message, post_id, extra)
        edited = self._edited(message, post_id, extra) if "edited" in message or "edited_unixtime" in message else None
        parts = get("text_entities")
        text, entities = _text(parts if type(parts) is list else get("text"))
        if not _EXTRA_KEYS.isdisjoint(message):
            _add_extras(message, extra)
        author, sender_id, sender_name = get("author"), get("from_id"), get("from")
        forwarded_from, forwarded_from_id = get("forwarded_from"), get("forwarded_from_id")
        reply_to, reply_to_peer, reactions = get("reply_to_message_id"), get("reply_to_peer_id"), get("reactions")
        return Post(
            platform=TELEGRAM,
            channel_id=self.channel_id,
            post_id=post_id,
            date=date,
            text=text,
            entities=entities,
            media=self._media(message) if "photo" in message or "file" in message or "thumbnail" in message else (),
            author=author if type(author) is str else None,
            sender_id=sender_id if type(sender_id) is str else self.peer(sender_id),
            sender_name=sender_name if type(sender_name) is str else None,
            forwarded_from=forwarded_from if type(forwarded_from) is str else None,
            forwarded_from_id=None if forwarded_from_id is None else self.peer(forwarded_from_id),
            reply_to=reply_to if type(reply_to) is int else None,
            reply_to_peer=None if reply_to_peer is None else self.peer(reply_to_peer),
            edited=edited,
            reactions=None if reactions is None else _reactions(reactions),
            extra=extra,
            raw=message,
        )

    def event(self, message: dict[str, Any], kind: object) -> Event:
        post_id = _message_id(message)
        if kind == "service":
            return Event(
                platform=TELEGRAM,
                channel_id=self.channel_id,
                kind="service",
                post_id=post_id,
                date=self._date(message, post_id, {}),
                action=_text_or_none(message.get("action")),
                actor=_text_or_none(message.get("actor")),
                actor_id=self.peer(message.get("actor_id")),
                raw=message,
            )
        # "unsupported" objects carry only id and type; an unknown type is kept raw, never dropped.
        try:
            date = self._date(message, post_id, {})
        except _BadValue:
            date = None
        return Event(
            platform=TELEGRAM,
            channel_id=self.channel_id,
            kind="unsupported" if kind == "unsupported" else "unknown",
            post_id=post_id,
            date=date,
            raw=message,
        )

    def _date(self, message: dict[str, Any], post_id: int, extra: dict[str, Any]) -> datetime:
        unixtime = message.get("date_unixtime")
        if unixtime is not None:
            return _from_unixtime(unixtime)
        return self._local_time(message.get("date"), post_id, extra)

    def _edited(self, message: dict[str, Any], post_id: int, extra: dict[str, Any]) -> datetime | None:
        unixtime = message.get("edited_unixtime")
        if unixtime is not None:
            edited = _from_unixtime(unixtime)
        else:
            edited = self._local_time(message.get("edited"), post_id, extra)
        return edited if edited >= _NOT_EDITED_BEFORE else None

    def _local_time(self, value: object, post_id: int, extra: dict[str, Any]) -> datetime:
        """Before v4.0 dates are the exporting computer's local time with no offset: read as UTC,
        flag the post, and warn once per chat."""
        if type(value) is not str:
            raise _BadValue(f"message {post_id} has no date")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise _BadValue(f"message {post_id} has an unreadable date {value[:40]!r}") from None
        if parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
        extra["date_timezone_unknown"] = True
        if not self.warned_local_time:
            self.warned_local_time = True
            self.warning = SourceWarning(
                location=f"{self.place.file}, message {post_id}",
                message="dates carry no time zone (export made before Telegram Desktop 4.0): they are the "
                "exporting computer's local time, read here as UTC; such posts have extra.date_timezone_unknown",
                channel_id=self.channel_id,
                post_id=post_id,
            )
        return parsed.replace(tzinfo=UTC)

    def _media(self, message: dict[str, Any]) -> tuple[Media, ...]:
        get = message.get
        found = []
        if "photo" in message:
            found.append(self._medium("photo", get("photo"), get("photo_file_size"),
                                      width=_int_or_none(get("width")), height=_int_or_none(get("height"))))
        if "file" in message:
            found.append(self._medium(
                _text_or_none(get("media_type")) or "file",
                get("file"),
                get("file_size"),
                mime=_text_or_none(get("mime_type")),
                file_name=_text_or_none(get("file_name")),
                width=_int_or_none(get("width")),
                height=_int_or_none(get("height")),
                duration=_int_or_none(get("duration_seconds")),
            ))
        if "thumbnail" in message:
            found.append(self._medium("thumbnail", get("thumbnail"), get("thumbnail_file_size")))
        return tuple(found)

    def _medium(self, kind: str, value: object, declared_size: object, **details: Any) -> Media:
        size = _int_or_none(declared_size)
        if type(value) is str and value.startswith(_SKIP_NOTICE):
            status = MEDIA_UNAVAILABLE if value.startswith(_UNAVAILABLE_NOTICE) else MEDIA_NOT_INCLUDED
            return Media(kind=kind, status=status, size=size, note=value, **details)
        if type(value) is not str:
            return Media(kind=kind, status=MEDIA_REFUSED, size=size, note="path is not text", **details)
        check = self.root.media(value)
        if check.status == MEDIA_STORED:
            size = check.size
        return Media(kind=kind, status=check.status, path=value, sha256=check.sha256, size=size, note=check.note,
                     **details)


def _message_id(message: dict[str, Any]) -> int:
    post_id = message.get("id")
    if type(post_id) is not int:
        raise _BadValue(f"a message without an integer id (id = {str(post_id)[:40]!r})")
    return post_id


def _from_unixtime(value: object) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        raise _BadValue(f"unreadable unixtime {str(value)[:40]!r}") from None


def _text(parts: object) -> tuple[str, tuple[TextEntity, ...]]:
    """Plain text and entities from `text_entities` or `text` (a string, or a list of strings and
    {"type", "text", …} parts). Offsets are code points into the plain text; empty parts are skipped."""
    if type(parts) is str:
        return parts, ()
    if type(parts) is not list:
        return "", ()
    if len(parts) == 1 and type(parts[0]) is dict and parts[0].get("type") == "plain":  # the usual post
        piece = parts[0].get("text")
        return (piece, ()) if type(piece) is str else ("", ())
    pieces = []
    entities = []
    offset = 0
    for part in parts:
        if type(part) is dict:
            piece = part.get("text")
            if type(piece) is not str or not piece:
                continue
            kind = part.get("type", "plain")
            if kind != "plain":
                entities.append(_entity(kind, offset, offset + len(piece), part))
        elif type(part) is str and part:
            piece = part
        else:
            continue
        pieces.append(piece)
        offset += len(piece)
    return "".join(pieces), tuple(entities)


def _entity(kind: object, start: int, end: int, part: dict[str, Any]) -> TextEntity:
    href = part.get("href")
    extra = None
    if len(part) > 2 and not _PLAIN_ENTITY_KEYS.issuperset(part):
        # user_id of mention_name, document_id of custom_emoji, language of pre, collapsed of blockquote …
        extra = {key: value for key, value in part.items() if key not in _PLAIN_ENTITY_KEYS}
    return TextEntity(kind if type(kind) is str else str(kind), start, end, href if type(href) is str else None, extra)


def _plain(value: object) -> str:
    return _text(value)[0]


def _reactions(value: object) -> tuple[Reaction, ...] | None:
    if type(value) is not list:
        return None
    found = []
    for item in value:
        if type(item) is dict:
            kind, count = item.get("type"), item.get("count")
            emoji, document = item.get("emoji"), item.get("document_id")
            found.append(Reaction(
                kind if type(kind) is str else "unknown",
                count if type(count) is int else 0,
                emoji if type(emoji) is str else None,
                document if type(document) is str else None,
            ))
    return tuple(found)


def _add_extras(message: dict[str, Any], extra: dict[str, Any]) -> None:
    for key in ("via_bot", "sticker_emoji", "saved_from", "inline_bot_buttons"):
        if key in message:
            extra[key] = message[key]
    poll = message.get("poll")
    if type(poll) is dict:
        extra["poll"] = {
            "question": _plain(poll.get("question")),
            "closed": poll.get("closed"),
            "total_voters": poll.get("total_voters"),
            "answers": [
                {"text": _plain(answer.get("text")), "voters": answer.get("voters"), "chosen": answer.get("chosen")}
                for answer in poll.get("answers") or ()
                if type(answer) is dict
            ],
        }
    location = message.get("location_information")
    if type(location) is dict or "live_location_period_seconds" in message:
        extra["location"] = dict(location) if type(location) is dict else {}
        if "live_location_period_seconds" in message:
            extra["location"]["live_period_seconds"] = message["live_location_period_seconds"]
    if "place_name" in message or "address" in message:
        extra["venue"] = {"name": message.get("place_name"), "address": message.get("address")}
    contact = message.get("contact_information")
    if type(contact) is dict or "contact_vcard" in message:
        extra["contact"] = dict(contact) if type(contact) is dict else {}
        if "contact_vcard" in message:
            extra["contact"]["vcard"] = message["contact_vcard"]


def _text_or_none(value: object) -> str | None:
    return value if type(value) is str else None


def _int_or_none(value: object) -> int | None:
    return value if type(value) is int else None
