"""Untrusted text on its way into a report: which links may be clickable, which way text runs, and
Markdown escaping (Jinja2's autoescape covers HTML; Markdown has no such thing, so it is done here).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit

from markupsafe import Markup

CLICKABLE_SCHEMES = ("http", "https", "tg")

# Everything CommonMark or GitHub Markdown could read as syntax, plus the characters that would open raw
# HTML or an entity. Escaped with a backslash, or as an HTML entity where a backslash does not work.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>:@])")
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_STRONG_RTL = {"R", "AL"}
_STRONG_LTR = {"L"}


def clickable(url: str | None) -> str | None:
    """The URL when it may become a link (http, https or tg, with no control characters), else None."""
    if not url or any(unicodedata.category(char).startswith("C") for char in url) or " " in url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in CLICKABLE_SCHEMES:
        return None
    if parts.scheme.lower() in ("http", "https") and not parts.netloc:
        return None
    return url


def direction(text: str) -> str:
    """'rtl' when the first strongly directional letter is Arabic-script or Hebrew, else 'ltr'.

    The report states the direction explicitly rather than leaving it to dir="auto", so the PDF (which
    ignores dir="auto") and the HTML agree."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in _STRONG_RTL:
            return "rtl"
        if kind in _STRONG_LTR:
            return "ltr"
    return "ltr"


_FSI, _PDI = "\u2068", "\u2069"  # first-strong isolate … pop directional isolate
_INSIDE_RTL_RUN = set(" ()-.|'\"0123456789٠١٢٣٤٥٦٧٨٩")


def _is_rtl(char: str) -> bool:
    return unicodedata.bidirectional(char) in _STRONG_RTL


def isolate_rtl(text: str) -> str:
    """Wrap each right-to-left run (an Arabic channel name inside an English sentence) in Unicode isolates,
    so a list such as "(قناة أ, قناة ب and قناة ج)" keeps its order and punctuation in every renderer.
    A run starts and ends with a right-to-left letter (or a closing parenthesis opened inside it)."""
    out, index = [], 0
    while index < len(text):
        if not _is_rtl(text[index]):
            out.append(text[index])
            index += 1
            continue
        end = index
        while end < len(text) and (_is_rtl(text[end]) or text[end] in _INSIDE_RTL_RUN):
            end += 1
        run = text[index:end]
        keep = len(run)
        while keep and not (_is_rtl(run[keep - 1]) or (run[keep - 1] == ")" and run[:keep].count("(") >= run[:keep].count(")"))):
            keep -= 1
        out.append(f"{_FSI}{run[:keep]}{_PDI}{run[keep:]}")
        index = end
    return "".join(out)


def md_escape(value) -> str:
    """Plain text as Markdown that shows exactly that text: no emphasis, links, headings or raw HTML."""
    if isinstance(value, Markup):  # already Markdown, built here from escaped parts
        return str(value)
    text = "" if value is None else str(value)
    text = "".join(_MD_ENTITIES.get(char, char) for char in text)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return " ".join(text.split("\n"))


def md_lines(text: str, prefix: str) -> Markup:
    """Multi-line text escaped line by line, continuation lines prefixed (e.g. '> ' inside a quote)."""
    return Markup(("\n" + prefix).join(md_escape(line) for line in (text or "").split("\n")))


def md_link(label: str, url: str | None) -> Markup:
    """A Markdown link when the URL is clickable; otherwise the label, then the URL as inert text."""
    safe = clickable(url)
    if safe is None:
        return Markup(md_escape(label) + (f" ({md_escape(url)})" if url and url != label else ""))
    target = quote(safe, safe=":/?#=&%@+,;~!$*'")
    return Markup(f"[{md_escape(label)}](<{target}>)")
