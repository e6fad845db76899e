"""The `symbols` stage: emoji (and Z/V) standing next to an entity mention → symbol-entity pairings.

A symbol pairs with the nearest entity mention on either side when at most `window` words stand between
them and no line break does: "حلف النّاتو 🏳️‍🌈" pairs the flag with NATO, and so does "🏳️‍🌈 NATO".
Other emoji in between do not count as words ("NATO 🤡🏳️‍🌈" pairs both). When a symbol is as close to
the mention before it as to the one after, it goes to the one before: a symbol usually follows its word.
Run with the mentions stage, it pairs with the mentions that stage found in the same pass; run alone, it
matches the watchlist only in the posts that hold a symbol.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from echoscope.stages.text_pass import Analyser, Lexicon, PostText, TextStage
from echoscope.store.schema_text import symbol_pairings
from echoscope.text.emoji import Found
from echoscope.text.mentions import Mention
from echoscope.text.normalize import search_tokens
from echoscope.text.watchlist import symbol_key


@dataclass(frozen=True, slots=True)
class Pairing:
    symbol: Found
    mention: Mention


def _gap_words(text: str, start: int, end: int, symbols: list[Found]) -> int | None:
    """Words between two spans, or None when a line break separates them. Symbols written with letters
    (Z, ZOV) are symbols, not words, so "Z V Россия" keeps Z next to Россия."""
    gap = text[start:end]
    if "\n" in gap:
        return None
    lettered = sum(1 for symbol in symbols if start <= symbol.start and symbol.end <= end and symbol.text.isalnum())
    return len(search_tokens(gap)) - lettered


def pair_symbols(text: str, entity_mentions: list[Mention], symbols: list[Found], window: int) -> list[Pairing]:
    """Each symbol with the entity mention it stands next to, if any (mentions in reading order)."""
    pairings = []
    starts = [mention.start for mention in entity_mentions]
    for symbol in symbols:
        index = bisect_right(starts, symbol.start)
        candidates = []
        if index > 0 and entity_mentions[index - 1].end <= symbol.start:
            before = entity_mentions[index - 1]
            candidates.append((_gap_words(text, before.end, symbol.start, symbols), 0, before))
        if index < len(entity_mentions):
            after = entity_mentions[index]
            candidates.append((_gap_words(text, symbol.end, after.start, symbols), 1, after))
        close = [(words, side, mention) for words, side, mention in candidates if words is not None and words <= window]
        if close:
            pairings.append(Pairing(symbol, min(close, key=lambda item: item[:2])[2]))
    return pairings


def symbol_rows(lexicon: Lexicon, post: PostText, window: int) -> list[tuple]:
    """The stage's rows (SymbolStage.columns) for one post."""
    rows = []
    for pairing in pair_symbols(post.text, post.entity_mentions, post.symbols, window):
        symbol, mention = pairing.symbol, pairing.mention
        known = lexicon.watchlist.symbol_for(symbol.text)
        rows.append((post.pk, post.version, symbol.text, symbol_key(symbol.text), known.meaning if known else None,
                     mention.term, lexicon.names[mention.term], symbol.start, symbol.end, mention.start, mention.end))
    return rows


class SymbolStage(TextStage):
    name = "symbols"
    description = "Emoji and war symbols (Z, V) next to an entity mention, with both spans."
    defaults = {"window": 1, "batch": 5000}
    table = symbol_pairings
    columns = ("post_pk", "version", "symbol", "symbol_key", "meaning", "entity", "entity_name",
               "symbol_start", "symbol_end", "entity_start", "entity_end")
    found = "pairings"

    def inputs(self, settings: dict, lexicon: Lexicon | None) -> str:
        return f"{lexicon.digest[:48]}|window={settings['window']}"

    def analyser(self, settings: dict, lexicon: Lexicon | None) -> Analyser:
        window = settings["window"]

        def analyse(posts: list[PostText]) -> list[tuple]:
            # Symbols first: most posts have none, and then need no watchlist match.
            return [row for post in posts if post.symbols for row in symbol_rows(lexicon, post, window)]

        return analyse
