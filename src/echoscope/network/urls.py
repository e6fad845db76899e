"""Normalised links, so two channels sharing the same page count as sharing it however they wrote it.

    normalize_url("HTTP://WWW.Example.com/a/?utm_source=tg&id=3#top")   # "https://example.com/a?id=3"
    normalize_url("https://t.me/s/Rybar/123")                             # "https://t.me/rybar/123"

Tracking parameters, case of scheme and host, "www.", default ports, a trailing slash, the fragment and
http vs https all vary between copies of one link without changing the page. Telegram's web-preview form
(t.me/s/NAME), its mirror hosts and username case vary the same way.
"""

from __future__ import annotations

from typing import Iterable, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import regex

# Parameters that say who sent the reader, never what the page is.
_TRACKING = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "ysclid", "igshid", "igsh", "mc_cid",
    "mc_eid", "ref_src", "ref_url", "_ga", "_gl", "si", "feature", "utm", "s_cid", "twclid", "ttclid",
}
_TELEGRAM_HOSTS = {"t.me", "telegram.me", "telegram.dog"}
_LINK_ENTITIES = {"text_link", "link", "url"}
# A URL in plain text: scheme-led, or a t.me / www. link without a scheme; stops at spaces and at
# punctuation that ends a sentence or closes a bracket.
_OTHER_SCHEME = regex.compile(r"(?i)[a-z][a-z0-9+.-]*:(?!\d)")
_PUBLIC_HOST = regex.compile(r"[\w-]+(?:\.[\w-]+)*\.\p{L}[\p{L}\p{M}\d-]*|\d{1,3}(?:\.\d{1,3}){3}")
_URL_IN_TEXT = regex.compile(r"(?i)\b(?:https?://|www\.|t\.me/)[^\s<>\"'«»]+(?<![.,;:!?)\]}»…'\"])")


def normalize_url(url: str) -> str | None:
    """The canonical form of a web link, or None when `url` is not an http(s) link to a host."""
    url = url.strip()
    if not url:
        return None
    if "://" not in url:
        if _OTHER_SCHEME.match(url):  # mailto:, tg:, tel: …
            return None
        url = "https://" + url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".").removeprefix("www.")
    if not _PUBLIC_HOST.fullmatch(host):  # the linked text of a link entity may be any word
        return None
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(key)]
    if host in _TELEGRAM_HOSTS:
        host, path = "t.me", _telegram_path(path)
        query = [(key, value) for key, value in query if key not in ("single", "embed")]
    return urlunsplit(("https", host, path, urlencode(sorted(query)), ""))


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key.startswith("utm_") or key in _TRACKING


def _telegram_path(path: str) -> str:
    """t.me/s/NAME/1 is the web preview of t.me/NAME/1; usernames are case-insensitive."""
    segments = [segment for segment in path.split("/") if segment]
    if segments[:1] == ["s"] and len(segments) > 1:
        segments = segments[1:]
    if segments and segments[0] not in ("c", "joinchat", "+") and not segments[0].startswith("+"):
        segments[0] = segments[0].lower()
    return "/" + "/".join(segments) if segments else ""


def post_links(text: str, entities: Iterable[dict] | None, extra: dict | None = None) -> Iterator[str]:
    """Every distinct normalised link a post shares: link entities (their target, or the linked text),
    URLs written in the text, and the link a table source recorded (`extra["link"]`)."""
    found: list[str] = []
    for entity in entities or ():
        if entity.get("type") in _LINK_ENTITIES:
            href = entity.get("href") or text[entity.get("start", 0) : entity.get("end", 0)]
            found.append(href)
    found.extend(match.group() for match in _URL_IN_TEXT.finditer(text))
    if extra and isinstance(extra.get("link"), str):
        found.append(extra["link"])
    seen: set[str] = set()
    for raw in found:
        url = normalize_url(raw)
        if url and url not in seen:
            seen.add(url)
            yield url
