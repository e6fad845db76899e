"""What an echo changed compared with its origin, so the analyst sees the edit at a glance.

    describe("الخبر كما هو", "عاجل | الخبر كما هو\\n#المقاومة")
    → {"prefix_added": "عاجل |", "hashtags_added": ["#المقاومة"], "suffix_added": "#المقاومة"}

Words are compared in search form (so a dropped diacritic is not a change of words); the longest run
of shared words anchors the two texts, and what lies before and after it in each is the prefix and
suffix that was added or removed. Runs once per cluster member, never on the matching hot path.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from functools import lru_cache

import regex

from echoscope.text.normalize import normalize, normalize_many

_HASHTAG = regex.compile(r"#[\p{L}\p{N}\p{M}_]+")
_EMOJI = regex.compile(r"\p{Extended_Pictographic}")
_ELLIPSIS = ("…", "...")


@lru_cache(maxsize=256)  # a cluster's origin is compared with every member: split and normalise it once
def _words(text: str) -> tuple[list[str], list[str]]:
    raw = text.split()
    return raw, normalize_many(raw)


def _differs_only_in_spelling(origin: str, echo: str) -> bool:
    return origin != echo and normalize(origin) == normalize(echo)


def describe(origin: str, echo: str) -> dict:
    """The differences an analyst cares about; an empty dict for a verbatim copy."""
    if origin == echo:
        return {}
    changes: dict = {}
    origin_raw, origin_norm = _words(origin)
    echo_raw, echo_norm = _words(echo)
    matcher = SequenceMatcher(None, origin_norm, echo_norm, autojunk=False)
    blocks = [block for block in matcher.get_matching_blocks() if block.size]
    if blocks:
        first, last = blocks[0], blocks[-1]
        _edge(changes, "prefix", origin_raw[: first.a], echo_raw[: first.b])
        _edge(changes, "suffix", origin_raw[last.a + last.size :], echo_raw[last.b + last.size :])
    hashtags = (set(_HASHTAG.findall(origin)), set(_HASHTAG.findall(echo)))
    emoji = (set(_EMOJI.findall(origin)), set(_EMOJI.findall(echo)))
    for name, (before, after) in (("hashtags", hashtags), ("emoji", emoji)):
        if after - before:
            changes[f"{name}_added"] = sorted(after - before)
        if before - after:
            changes[f"{name}_removed"] = sorted(before - after)
    if echo.rstrip().endswith(_ELLIPSIS) and not origin.rstrip().endswith(_ELLIPSIS):
        changes["truncated"] = True
    if not changes and _differs_only_in_spelling(origin, echo):
        changes["spelling"] = "diacritics, letter forms or invisible characters only"
    return changes


def _edge(changes: dict, side: str, origin_words: list[str], echo_words: list[str]) -> None:
    # words without a search form (emoji, "|", "…") still count as added text
    if echo_words and not origin_words:
        changes[f"{side}_added"] = " ".join(echo_words)
    elif origin_words and not echo_words:
        changes[f"{side}_removed"] = " ".join(origin_words)
    elif origin_words and echo_words and origin_words != echo_words:
        changes[f"{side}_added"] = " ".join(echo_words)
        changes[f"{side}_removed"] = " ".join(origin_words)
