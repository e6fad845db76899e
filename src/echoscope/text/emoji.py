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


def text_symbol_pattern(symbols: Iterable[str]) -> regex.Pattern | None:
    """One pattern for the symbols written with letters (Z, V, ZOV): case-sensitive, standing alone, so
    the Z of "Zelensky" is not the war symbol but " Z " and "ZOV" are."""
    plain = sorted({symbol for symbol in symbols if not _EMOJI.search(symbol)}, key=len, reverse=True)
    if not plain:
        return None
    return regex.compile(r"(?<!\w)(?:" + "|".join(map(regex.escape, plain)) + r")(?!\w)")


def find_symbols(text: str, text_symbols: regex.Pattern | None) -> list[Found]:
    """Emoji clusters and the plain-text symbols of `text`, in reading order."""
    found = find_emoji(text)
    if text_symbols is not None:
        found += [Found(match.start(), match.end(), match.group()) for match in text_symbols.finditer(text)]
        found.sort(key=lambda item: item.start)
    return found
