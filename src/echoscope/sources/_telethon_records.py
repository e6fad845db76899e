"""One Telethon message in, one echoscope record out (a Post or an Event).

Field names and values follow the Telegram Desktop export (`_tdesktop_records`) wherever both sources
know the same thing (entity types, media kinds, poll and location shapes, `channel<bare id>` peers), so
the same post read from an export and from the API has the same content hash and stays one version.
What only the API knows (forwarded post id, album `grouped_id`) is kept too; counts (views, forwards,
reactions, replies) are observations and never make a new version.
"""

from __future__ import annotations

import base64
from dataclasses import asdict
from typing import Any

from telethon import utils
from telethon.tl import types

from echoscope.model import (
    MEDIA_NOT_INCLUDED,
    TELEGRAM,
    Channel,
    Event,
    Media,
    Post,
    Reaction,
    TextEntity,
)

# Telethon entity class → the type name Telegram Desktop exports use.
_ENTITY_TYPES = {
    types.MessageEntityMention: "mention",
    types.MessageEntityHashtag: "hashtag",
    types.MessageEntityBotCommand: "bot_command",
    types.MessageEntityUrl: "link",
    types.MessageEntityEmail: "email",
    types.MessageEntityBold: "bold",
    types.MessageEntityItalic: "italic",
    types.MessageEntityCode: "code",
    types.MessageEntityPre: "pre",
    types.MessageEntityTextUrl: "text_link",
    types.MessageEntityMentionName: "mention_name",
    types.MessageEntityPhone: "phone",
    types.MessageEntityCashtag: "cashtag",
    types.MessageEntityUnderline: "underline",
    types.MessageEntityStrike: "strikethrough",
    types.MessageEntityBlockquote: "blockquote",
    types.MessageEntityBankCard: "bank_card",
    types.MessageEntitySpoiler: "spoiler",
    types.MessageEntityCustomEmoji: "custom_emoji",
}
# Entity fields worth keeping beyond the span, under the export's names.
_ENTITY_EXTRAS = {"language": "language", "user_id": "user_id", "document_id": "document_id", "collapsed": "collapsed"}


def peer_id(peer: Any) -> str | None:
    """`channel<bare id>`, `chat<id>` or `user<id>`, as the exports write peers."""
    if isinstance(peer, types.PeerChannel):
        return f"channel{peer.channel_id}"
    if isinstance(peer, types.PeerChat):
        return f"chat{peer.chat_id}"
    if isinstance(peer, types.PeerUser):
        return f"user{peer.user_id}"
    return None


def channel_record(entity: Any) -> Channel:
    """A resolved Telethon Channel or Chat as a Channel record, typed like the export's dialog types."""
    if isinstance(entity, types.Channel):
        visibility = "public" if entity_username(entity) else "private"
        kind = "supergroup" if entity.megagroup else "channel"
        return Channel(TELEGRAM, f"channel{entity.id}", entity.title, entity_username(entity), f"{visibility}_{kind}")
    return Channel(TELEGRAM, f"chat{entity.id}", entity.title, None, "private_group")


def entity_username(entity: Any) -> str | None:
    if getattr(entity, "username", None):
        return entity.username
    active = [name.username for name in getattr(entity, "usernames", None) or () if name.active]
    return active[0] if active else None


def raw_dict(message: Any) -> dict[str, Any]:
    """The message's `to_dict()` made JSON-safe (bytes as base64), kept verbatim as evidence."""
    return _jsonable(message.to_dict())


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def service_event(message: types.MessageService, channel_id: str) -> Event:
    action = type(message.action).__name__.removeprefix("MessageAction")
    return Event(
        platform=TELEGRAM,
        channel_id=channel_id,
        kind="service",
        post_id=message.id,
        date=message.date,
        action=_snake(action),
        actor_id=peer_id(message.from_id) or channel_id,
        raw=raw_dict(message),
    )


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def message_post(message: types.Message, channel_id: str, media: tuple[Media, ...], channel_title: str | None) -> Post:
    """The post; `media` was described (and perhaps downloaded) by the caller, which owns the files."""
    text = message.message or ""
    forward = message.fwd_from
    reply = message.reply_to if isinstance(message.reply_to, types.MessageReplyHeader) else None
    return Post(
        platform=TELEGRAM,
        channel_id=channel_id,
        post_id=message.id,
        date=message.date,
        text=text,
        entities=text_entities(text, message.entities or ()),
        media=media,
        author=message.post_author,
        sender_id=peer_id(message.from_id) or channel_id,
        sender_name=None if message.from_id else channel_title,
        forwarded_from=_forward_name(message) if forward else None,
        forwarded_from_id=peer_id(forward.from_id) if forward else None,
        forwarded_post_id=forward.channel_post if forward else None,
        reply_to=reply.reply_to_msg_id if reply else None,
        reply_to_peer=peer_id(reply.reply_to_peer_id) if reply else None,
        edited=message.edit_date,
        views=message.views,
        forwards=message.forwards,
        reactions=reactions(message.reactions),
        extra=_extras(message),
        raw=raw_dict(message),
    )


def _forward_name(message: types.Message) -> str | None:
    """The original author's name: a hidden sender's name, or the title of the resolved chat or user."""
    if message.fwd_from.from_name:
        return message.fwd_from.from_name
    forward = getattr(message, "forward", None)
    entity = forward and (forward.chat or forward.sender)
    return utils.get_display_name(entity) or None if entity else None


def text_entities(text: str, entities) -> tuple[TextEntity, ...]:
    """Telethon's UTF-16 offsets turned into code-point offsets into `text` (the model's convention)."""
    if not entities:
        return ()
    index = _utf16_to_code_points(text)
    last = len(index) - 1
    found = []
    for entity in entities:
        start = index[min(entity.offset, last)]
        end = index[min(entity.offset + entity.length, last)]
        extra = {name: getattr(entity, attr) for attr, name in _ENTITY_EXTRAS.items() if getattr(entity, attr, None) is not None}
        kind = _ENTITY_TYPES.get(type(entity), _snake(type(entity).__name__.removeprefix("MessageEntity")))
        found.append(TextEntity(kind, start, end, getattr(entity, "url", None), extra or None))
    return tuple(found)


def _utf16_to_code_points(text: str) -> list[int]:
    """For each UTF-16 offset (and the end), the code-point offset it falls in."""
    index = []
    for position, char in enumerate(text):
        index.append(position)
        if ord(char) > 0xFFFF:  # a surrogate pair: two UTF-16 units, one code point
            index.append(position)
    index.append(len(text))
    return index


def observed_counts(post: Post) -> dict[str, Any]:
    """What the API showed for the post this time: counts that change without the post changing."""
    replies = (post.raw or {}).get("replies") or {}
    return {
        "post_id": post.post_id,
        "views": post.views,
        "forwards": post.forwards,
        "replies": replies.get("replies"),
        "reactions": [{k: v for k, v in asdict(r).items() if v is not None} for r in post.reactions]
        if post.reactions is not None else None,
    }


def reactions(value: types.MessageReactions | None) -> tuple[Reaction, ...] | None:
    if value is None:
        return None
    found = []
    for item in value.results:
        reaction = item.reaction
        if isinstance(reaction, types.ReactionEmoji):
            found.append(Reaction("emoji", item.count, emoji=reaction.emoticon))
        elif isinstance(reaction, types.ReactionCustomEmoji):
            found.append(Reaction("custom_emoji", item.count, document=str(reaction.document_id)))
        elif isinstance(reaction, types.ReactionPaid):
            found.append(Reaction("paid", item.count))
        else:
            found.append(Reaction("unknown", item.count))
    return tuple(found)


def _extras(message: types.Message) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if message.grouped_id is not None:
        extra["grouped_id"] = message.grouped_id  # the album: every item of it carries the same id
    if message.via_bot_id is not None:
        extra["via_bot_id"] = f"user{message.via_bot_id}"
    media = message.media
    if isinstance(media, types.MessageMediaPoll):
        extra["poll"] = _poll(media)
    elif isinstance(media, types.MessageMediaVenue):
        extra["venue"] = {"name": media.title, "address": media.address}
        extra["location"] = _location(media.geo)
    elif isinstance(media, (types.MessageMediaGeo, types.MessageMediaGeoLive)):
        extra["location"] = _location(media.geo)
        if isinstance(media, types.MessageMediaGeoLive):
            extra["location"]["live_period_seconds"] = media.period
    elif isinstance(media, types.MessageMediaContact):
        extra["contact"] = {"phone_number": media.phone_number, "first_name": media.first_name, "last_name": media.last_name}
        if media.vcard:
            extra["contact"]["vcard"] = media.vcard
    return extra


def _location(geo: Any) -> dict[str, Any]:
    if isinstance(geo, types.GeoPoint):
        return {"latitude": geo.lat, "longitude": geo.long}
    return {}


def _poll(media: types.MessageMediaPoll) -> dict[str, Any]:
    poll, results = media.poll, media.results
    voters = {item.option: item for item in (results.results or ())} if results else {}
    return {
        "question": _plain(poll.question),
        "closed": bool(poll.closed),
        "total_voters": results.total_voters if results else None,
        "answers": [
            {
                "text": _plain(answer.text),
                "voters": voters[answer.option].voters if answer.option in voters else None,
                "chosen": bool(voters[answer.option].chosen) if answer.option in voters else False,
            }
            for answer in poll.answers
        ],
    }


def _plain(value: Any) -> str:
    return value.text if isinstance(value, types.TextWithEntities) else str(value)


def describe_media(message: types.Message) -> Media | None:
    """The file a message carries, as metadata only (status not-included until the caller downloads it).

    Link previews, polls, locations and contacts are not files: they live in `extra` and the raw record."""
    media = message.media
    if isinstance(media, types.MessageMediaPhoto) and media.photo is not None:
        kind = "photo"
    elif isinstance(media, types.MessageMediaDocument) and media.document is not None:
        kind = _document_kind(message)
    else:
        return None
    file = message.file
    return Media(
        kind=kind,
        status=MEDIA_NOT_INCLUDED,
        size=file.size,
        mime=file.mime_type,
        file_name=file.name,
        width=file.width,
        height=file.height,
        duration=int(file.duration) if file.duration is not None else None,
    )


def _document_kind(message: types.Message) -> str:
    """The export's media_type names, so both sources describe a file the same way."""
    if message.sticker:
        return "sticker"
    if message.gif:
        return "animation"
    if message.video_note:
        return "video_message"
    if message.video:
        return "video_file"
    if message.voice:
        return "voice_message"
    if message.audio:
        return "audio_file"
    return "file"
