"""One t.me/s page (HTML) in, plain records out: the channel header, posts, service messages, the
pagination link, and what kind of page it was.

The markup is described in shared/reference/telegram-formats.md §2. Pages are hostile until parsed:
script and style content never reaches a post's text, a widget without a readable id or date is a
ParseError naming the page and the widget, and a page that is not a channel history (the "No posts
found" page Telegram also serves when throttling, a redirect to t.me/<name>, an unknown page) yields
no post at all, so it can never be stored as one or be taken as evidence of a deletion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from echoscope.errors import ParseError
from echoscope.model import (
    MEDIA_NOT_INCLUDED,
    TELEGRAM,
    Event,
    Media,
    Post,
    Reaction,
    TextEntity,
)

# Page kinds.
HISTORY = "history"  # a channel history with at least one message widget
EMPTY = "empty"  # "No posts found": an empty channel, or Telegram throttling
NOT_PREVIEW = "not-preview"  # the t.me/<name> page: private channel, user, bot, or no such name
UNKNOWN = "unknown"  # anything else: changed markup, an error page, a captcha

_MAX_DEPTH = 64  # formatting nests a few levels; more is a hostile page
_SKIPPED_TAGS = frozenset({"script", "style", "template", "noscript", "svg"})
_STYLE_TAGS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
               "s": "strikethrough", "del": "strikethrough", "strike": "strikethrough", "code": "code",
               "pre": "pre", "blockquote": "blockquote", "tg-spoiler": "spoiler"}
_BACKGROUND_URL = re.compile(r"background-image\s*:\s*url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
_ABBREVIATED = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([KMB]?)\s*$", re.IGNORECASE)
_SCALE = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}
_SERVICE_ACTIONS = (("channel created", "create_channel"), ("pinned", "pin_message"),
                    ("photo updated", "edit_chat_photo"), ("photo removed", "delete_chat_photo"),
                    ("name changed", "edit_chat_title"), ("renamed", "edit_chat_title"))


@dataclass(frozen=True, slots=True)
class Estimate:
    """An abbreviated counter as the page shows it ("2.5K"): its value and how coarse it is."""

    shown: str
    value: int
    precision: int  # the value is within ± precision / 2 of the true count

    def as_dict(self) -> dict[str, Any]:
        return {"shown": self.shown, "estimate": self.value, "precision": self.precision}


@dataclass
class Page:
    """What one page holds. `covered` lists every id the page shows, album members included."""

    kind: str
    username: str | None = None
    header: dict[str, Any] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    covered: set[int] = field(default_factory=set)
    before: int | None = None  # the id to ask `?before=` for the next older page, None at the start

    @property
    def lowest(self) -> int | None:
        return min(self.covered) if self.covered else None

    @property
    def oldest(self) -> datetime | None:
        dates = [post.date for post in self.posts] + [event.date for event in self.events if event.date]
        return min(dates) if dates else None


def estimate(text: str) -> Estimate | None:
    """`2`, `436.6K`, `3,1M` → value and precision (the unit of the last digit shown)."""
    found = _ABBREVIATED.match(text or "")
    if not found:
        return None
    number, unit = found.group(1).replace(",", "."), found.group(2).upper()
    decimals = len(number.partition(".")[2])
    scale = _SCALE[unit]
    value = round(float(number) * scale)
    return Estimate(text.strip(), value, max(1, scale // 10**decimals))


def decode_page(data: bytes, location: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 at byte {exc.start}", location=location) from None


def parse_page(html: str, location: str) -> Page:
    """Parse one page; `location` (file or URL) names it in errors and in each post's raw record."""
    tree = LexborHTMLParser(html)
    widgets = tree.css("div.tgme_widget_message[data-post]")
    if not widgets:
        if tree.css_first(".tme_no_messages_found") is not None:
            return Page(EMPTY, header=_header(tree))
        if tree.css_first(".tgme_page") is not None and tree.css_first(".tgme_channel_history") is None:
            title = tree.css_first(".tgme_page_title")  # a private channel, a user or a bot; none: no such name
            return Page(NOT_PREVIEW, header={"title": _clean(title.text())} if title is not None else {})
        return Page(UNKNOWN)
    page = Page(HISTORY, header=_header(tree), before=_older_page(tree))
    for widget in widgets:
        _WidgetReader(widget, location).add_to(page)
    page.username = page.username or page.header.get("username")
    return page


def _header(tree: LexborHTMLParser) -> dict[str, Any]:
    info = tree.css_first("div.tgme_channel_info")
    if info is None:
        return {}
    header: dict[str, Any] = {}
    title = info.css_first(".tgme_channel_info_header_title")
    if title is not None:
        header["title"] = _clean(title.text())
        header["verified"] = title.css_first(".verified-icon") is not None
    username = info.css_first(".tgme_channel_info_header_username")
    if username is not None:
        header["username"] = _clean(username.text()).removeprefix("@") or None
    description = info.css_first(".tgme_channel_info_description")
    if description is not None:
        header["description"] = _text_and_entities(description)[0]
    photo = info.css_first("i.tgme_page_photo_image img")
    if photo is not None and photo.attributes.get("src"):
        header["photo"] = photo.attributes["src"]
    for counter in info.css(".tgme_channel_info_counter"):
        value, kind = counter.css_first(".counter_value"), counter.css_first(".counter_type")
        found = estimate(value.text()) if value is not None else None
        if found is not None and kind is not None:
            header[_clean(kind.text()).rstrip("s") + "s"] = found.as_dict()
    return header


def _older_page(tree: LexborHTMLParser) -> int | None:
    more = tree.css_first("a.tme_messages_more[data-before]")
    if more is not None:
        return _int(more.attributes.get("data-before"))
    link = tree.css_first('link[rel="prev"]')
    if link is not None:
        return _int(parse_qs(urlsplit(link.attributes.get("href") or "").query).get("before", [None])[0])
    return None


class _WidgetReader:
    """One message widget → a Post or a service Event, plus the ids it shows."""

    def __init__(self, widget: LexborNode, location: str):
        self.widget = widget
        self.data_post = widget.attributes.get("data-post") or ""
        self.where = f"{location}, post {self.data_post[:80]!r}"
        username, _, number = self.data_post.rpartition("/")
        self.post_id = _int(number)
        if not username or self.post_id is None:
            raise ParseError("data-post is not <channel>/<id>", location=self.where)
        self.username = username
        self.classes = set((widget.attributes.get("class") or "").split())

    def add_to(self, page: Page) -> None:
        page.username = page.username or self.username
        if self.username.lower() != page.username.lower():  # one page is one channel's history
            raise ParseError(f"a post of @{self.username[:64]} on the page of @{page.username}", location=self.where)
        page.covered.add(self.post_id)
        if "service_message" in self.classes:
            page.events.append(self.service_event())
            return
        post = self.post()
        page.covered.update(post.extra.get("album", ()))
        page.posts.append(post)

    def date(self) -> datetime:
        node = self.widget.css_first(".tgme_widget_message_date time[datetime]") or self.widget.css_first("time[datetime]")
        value = node.attributes.get("datetime") if node is not None else None
        try:
            moment = datetime.fromisoformat(value or "")
        except ValueError:
            raise ParseError(f"no readable date (datetime = {str(value)[:40]!r})", location=self.where) from None
        if moment.tzinfo is None:
            raise ParseError(f"date without a time zone ({value[:40]!r})", location=self.where)
        return moment.astimezone(UTC)

    def raw(self, views: Estimate | None = None) -> dict[str, Any]:
        raw: dict[str, Any] = {"html": self.widget.html}
        if views is not None:
            raw["views"] = views.as_dict()
        return raw

    def service_event(self) -> Event:
        text = _text_and_entities(self.widget.css_first(".tgme_widget_message_text"))[0]
        lowered = text.lower()
        action = next((name for words, name in _SERVICE_ACTIONS if words in lowered), None)
        return Event(platform=TELEGRAM, channel_id=None, kind="service", post_id=self.post_id, date=self.date(),
                     action=action, raw=self.raw() | {"text": text})

    def post(self) -> Post:
        find = self.widget.css_first
        text, entities = _text_and_entities(find(".tgme_widget_message_text.js-message_text")
                                            or find(".tgme_widget_message_bubble > .tgme_widget_message_text"))
        extra: dict[str, Any] = {}
        views = estimate(_node_text(find(".tgme_widget_message_views")))
        meta = _node_text(find(".tgme_widget_message_meta"))
        if re.search(r"\bedited\b", meta):
            extra["edited"] = True  # the page marks an edit but never says when
        forwarded_from, forwarded_post_id = self.forward(extra)
        reply_to = self.reply(extra)
        media = self.media(extra)
        self.link_preview(extra)
        self.poll(extra)
        replies = find(".tgme_widget_message_replies")
        raw = self.raw(views)
        if replies is not None:
            raw["replies"] = _node_text(replies)
        return Post(
            platform=TELEGRAM,
            channel_id=None,
            post_id=self.post_id,
            date=self.date(),
            text=text,
            entities=entities,
            media=media,
            author=_node_text(find(".tgme_widget_message_from_author")) or None,
            forwarded_from=forwarded_from,
            forwarded_post_id=forwarded_post_id,
            reply_to=reply_to,
            views=views.value if views is not None else None,
            reactions=self.reactions(),
            extra=extra,
            raw=raw,
        )

    def forward(self, extra: dict[str, Any]) -> tuple[str | None, int | None]:
        box = self.widget.css_first(".tgme_widget_message_forwarded_from")
        if box is None:
            return None, None
        name = box.css_first(".tgme_widget_message_forwarded_from_name")
        author = box.css_first(".tgme_widget_message_forwarded_from_author")
        if author is not None:
            extra["forwarded_from_author"] = _node_text(author)
        link = _permalink(name.attributes.get("href") if name is not None else None)
        post_id = None
        if link is not None:
            extra["forwarded_from_username"], post_id = link
        label = _node_text(name) if name is not None else _node_text(box).removeprefix("Forwarded from").strip()
        return label or None, post_id

    def reply(self, extra: dict[str, Any]) -> int | None:
        node = self.widget.css_first("a.tgme_widget_message_reply")
        link = _permalink(node.attributes.get("href") if node is not None else None)
        if link is None:
            return None
        username, post_id = link
        if username.lower() != self.username.lower():
            extra["reply_to_username"] = username
        return post_id

    def media(self, extra: dict[str, Any]) -> tuple[Media, ...]:
        found: list[Media] = []
        album: list[int] = []
        for node in self.widget.css(
            "a.tgme_widget_message_photo_wrap, a.tgme_widget_message_video_player, .tgme_widget_message_roundvideo_player,"
            " .tgme_widget_message_voice, .tgme_widget_message_document, .tgme_widget_message_sticker"
        ):
            classes = node.attributes.get("class") or ""
            if "grouped_media_wrap" in classes:
                link = _permalink(node.attributes.get("href"))
                if link is not None:
                    album.append(link[1])
            found.append(_medium(node, classes))
        location = self.widget.css_first("a.tgme_widget_message_location_wrap")
        if location is not None:
            extra["location"] = {"href": location.attributes.get("href")}
        if self.widget.css_first(".message_media_not_supported") is not None:
            extra["media_not_supported"] = True
        if album:
            extra["album"] = album
        return tuple(found)

    def link_preview(self, extra: dict[str, Any]) -> None:
        node = self.widget.css_first("a.tgme_widget_message_link_preview")
        if node is None:
            return
        preview = {"url": node.attributes.get("href")}
        for part in ("site_name", "title", "description"):
            value = _node_text(node.css_first(f".link_preview_{part}"))
            if value:
                preview[part] = value
        image = node.css_first(".link_preview_image, .link_preview_right_image")
        if image is not None:
            preview["image"] = _background(image)
        extra["link_preview"] = preview

    def poll(self, extra: dict[str, Any]) -> None:
        node = self.widget.css_first(".tgme_widget_message_poll")
        if node is None:
            return
        # Percentages move with every vote: they stay in the raw record, not in the post's content.
        extra["poll"] = {
            "question": _node_text(node.css_first(".tgme_widget_message_poll_question")),
            "type": _node_text(node.css_first(".tgme_widget_message_poll_type")),
            "answers": [{"text": _node_text(option.css_first(".tgme_widget_message_poll_option_text"))}
                        for option in node.css(".tgme_widget_message_poll_option")],
        }

    def reactions(self) -> tuple[Reaction, ...] | None:
        box = self.widget.css_first(".tgme_widget_message_reactions")
        if box is None:
            return None
        found = []
        for node in box.css(".tgme_reaction"):
            count = estimate(node.text(deep=False)) or estimate(_node_text(node).split()[-1] if _node_text(node) else "")
            value = count.value if count is not None else 0
            custom = node.css_first("tg-emoji[emoji-id]")
            if "tgme_reaction_paid" in (node.attributes.get("class") or ""):
                found.append(Reaction("paid", value))
            elif custom is not None:
                found.append(Reaction("custom_emoji", value, document=custom.attributes.get("emoji-id")))
            else:
                emoji = node.css_first("b")
                found.append(Reaction("emoji", value, emoji=_node_text(emoji) or None))
        return tuple(found)


def _medium(node: LexborNode, classes: str) -> Media:
    note = "web preview: not downloaded"
    if "photo_wrap" in classes:
        return Media("photo", MEDIA_NOT_INCLUDED, path=_background(node), note=note)
    if "sticker" in classes:
        return Media("sticker", MEDIA_NOT_INCLUDED, path=node.attributes.get("data-webp") or _background(node), note=note)
    if "document" in classes:
        title = _node_text(node.css_first(".tgme_widget_message_document_title")) or None
        size = _node_text(node.css_first(".tgme_widget_message_document_extra")) or None
        return Media("file", MEDIA_NOT_INCLUDED, file_name=title, note=f"web preview shows no file ({size or 'size unknown'})")
    if "voice" in classes:
        source = node if node.tag == "audio" else node.css_first("audio[src]")
        return Media("voice_message", MEDIA_NOT_INCLUDED, path=source.attributes.get("src") if source else None, note=note)
    video = node.css_first("video[src]")
    thumb = node.css_first(".tgme_widget_message_video_thumb, .tgme_widget_message_roundvideo_thumb")
    return Media(
        "video_message" if "roundvideo" in classes else "video_file",
        MEDIA_NOT_INCLUDED,
        path=(video.attributes.get("src") if video is not None else None) or (_background(thumb) if thumb else None),
        duration=_duration(_node_text(node.css_first(".message_video_duration, .message_roundvideo_duration"))),
        note=note,
    )


def _text_and_entities(node: LexborNode | None) -> tuple[str, tuple[TextEntity, ...]]:
    """Plain text and entities (code-point offsets) from a message's HTML body."""
    if node is None:
        return "", ()
    pieces: list[str] = []
    spans: list[tuple[LexborNode, int, int]] = []
    _walk(node, pieces, spans, 0, 0)
    text = "".join(pieces)
    entities = (_entity(tag, text[start:end], start, end) for tag, start, end in spans)
    return text, tuple(sorted((e for e in entities if e is not None), key=lambda e: (e.start, -e.end)))


def _walk(node: LexborNode, pieces: list[str], spans: list, offset: int, depth: int) -> int:
    """Append the text under `node` to `pieces` and its tags to `spans`; returns the new offset."""
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            piece = child.text(deep=False)
        elif tag in _SKIPPED_TAGS or tag == "-comment":
            continue
        elif tag == "br":
            piece = "\n"
        elif depth >= _MAX_DEPTH or (tag == "i" and "emoji" in (child.attributes.get("class") or "")):
            piece = child.text(deep=True)  # an emoji drawn as a picture, or hostile nesting: the words only
        else:
            start = offset
            offset = _walk(child, pieces, spans, offset, depth + 1)
            if offset > start:
                spans.append((child, start, offset))
            continue
        pieces.append(piece)
        offset += len(piece)
    return offset


def _entity(node: LexborNode, text: str, start: int, end: int) -> TextEntity | None:
    """The entity a tag stands for, named as in Telegram exports so both sources describe it alike."""
    tag, attributes = node.tag, node.attributes
    classes = attributes.get("class") or ""
    if tag == "tg-emoji":
        return TextEntity("custom_emoji", start, end, extra={"document_id": attributes.get("emoji-id")})
    if tag == "span" and "tg-spoiler" in classes:
        return TextEntity("spoiler", start, end)
    if tag == "a":
        href = attributes.get("href") or ""
        if text.startswith("#") and ("?q=" in href or not href):
            return TextEntity("hashtag", start, end)
        if text.startswith("$") and "?q=" in href:
            return TextEntity("cashtag", start, end)
        if text.startswith("@") and href.rstrip("/").lower().endswith("/" + text[1:].lower()):
            return TextEntity("mention", start, end)
        if href.startswith("mailto:"):
            return TextEntity("email", start, end)
        if href and href.rstrip("/") in (text.rstrip("/"), "http://" + text.rstrip("/"), "https://" + text.rstrip("/")):
            return TextEntity("link", start, end)
        return TextEntity("text_link", start, end, href=href or None)
    kind = _STYLE_TAGS.get(tag)
    return TextEntity(kind, start, end) if kind else None


def _permalink(href: str | None) -> tuple[str, int] | None:
    """("channel", 123) from https://t.me/channel/123 (or /s/channel/123, ?single …)."""
    if not href:
        return None
    parts = [part for part in unquote(urlsplit(href).path).split("/") if part]
    if parts[:1] == ["s"]:
        parts = parts[1:]
    if len(parts) >= 2 and parts[-1].isdigit() and parts[0] != "c":
        return parts[0], int(parts[-1])
    return None


def _background(node: LexborNode | None) -> str | None:
    found = _BACKGROUND_URL.search(node.attributes.get("style") or "") if node is not None else None
    return found.group(1) if found else None


def _duration(text: str) -> int | None:
    parts = text.split(":")
    if not text or not all(part.isdigit() for part in parts):
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds


def _node_text(node: LexborNode | None) -> str:
    return _clean(node.text()) if node is not None else ""


def _clean(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def _int(value: object) -> int | None:
    text = str(value) if value is not None else ""
    return int(text) if text.isdigit() and len(text) < 19 else None
