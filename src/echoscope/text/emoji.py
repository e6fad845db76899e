"""Emoji as whole grapheme clusters, and the watchlist's plain-text symbols (Z, V).

An emoji is what a reader sees as one picture, however many code points make it: 🏳️‍🌈 is five
(WHITE FLAG, VARIATION SELECTOR-16, ZERO WIDTH JOINER, RAINBOW), 🇷🇺 two regional indicators, 👍🏽 a
thumb and a skin tone. The `regex` module's \\X (extended grapheme cluster, UAX #29) keeps each whole;
a cluster counts as an emoji when it starts with an Extended_Pictographic or Regional_Indicator code
point, or is a keycap (1️⃣). The bare ©/® of a post's footer are text, not emoji.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import regex

_EMOJI = regex.compile(
    r"(?=[\p{Extended_Pictographic}\p{Regional_Indicator}]|[#*0-9]\ufe0f?\u20e3)(?![\u00a9\u00ae](?!\ufe0f))\X"
)


@dataclass(frozen=True, slots=True)
class Found:
    start: int
    end: int
    text: str


def find_emoji(text: str) -> list[Found]:
    """Every emoji cluster of `text` with its [start, end) span, in order."""
    return [Found(match.start(), match.end(), match.group()) for match in _EMOJI.finditer(text)]


@dataclass(frozen=True)
class TextSymbols:
    """The watchlist's symbols written with letters (Z, V, ZOV), in one pattern: case-sensitive and
    standing alone, so the Z of "Zelensky" is not the war symbol but " Z " and "ZOV" are."""

    pattern: regex.Pattern
    initials: frozenset[str]  # their first letters: a text holding none of them is not searched

    def find(self, text: str) -> list[Found]:
        if not any(initial in text for initial in self.initials):
            return []
        return [Found(match.start(), match.end(), match.group()) for match in self.pattern.finditer(text)]


def text_symbols(symbols: Iterable[str]) -> TextSymbols | None:
    """The symbols written with letters among the watchlist's symbols, or None if there are none."""
    plain = sorted({symbol for symbol in symbols if not _EMOJI.search(symbol)}, key=len, reverse=True)
    if not plain:
        return None
    pattern = regex.compile(r"(?<!\w)(?:" + "|".join(map(regex.escape, plain)) + r")(?!\w)")
    return TextSymbols(pattern, frozenset(symbol[0] for symbol in plain))


def find_symbols(text: str, lettered: TextSymbols | None) -> list[Found]:
    """Emoji clusters and the symbols written with letters of `text`, in reading order."""
    found = find_emoji(text)
    if lettered is not None and (more := lettered.find(text)):
        found = sorted(found + more, key=lambda item: item.start)
    return found
