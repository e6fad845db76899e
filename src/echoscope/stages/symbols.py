"""The `symbols` stage: emoji (and Z/V) standing next to an entity mention → symbol-entity pairings.

A symbol pairs with the nearest entity mention on either side when at most `window` words stand between
them and no line break does: "حلف النّاتو 🏳️‍🌈" pairs the flag with NATO, and so does "🏳️‍🌈 NATO".
Other emoji in between do not count as words ("NATO 🤡🏳️‍🌈" pairs both). When a symbol is as close to
the mention before it as to the one after, it goes to the one before: a symbol usually follows its word.
The entity mentions are those the mentions stage stored for the post's current version and watchlist;
only a post without them is matched here, so the stage still runs alone.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from echoscope.stages.base import Progress, Stage, StageReport
from echoscope.stages.mentions import configured_watchlist
from echoscope.store import Store
from echoscope.store.schema_text import symbol_pairings
from echoscope.store.text import analyse_pending, stored_entity_mentions
from echoscope.text.emoji import Found, find_symbols, text_symbol_pattern
from echoscope.text.mentions import Mention, stored_mentions
from echoscope.text.normalize import search_tokens
from echoscope.text.watchlist import Watchlist, symbol_key


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


def symbol_rows(watchlist: Watchlist, names: dict[str, str], row, entity_mentions: list[Mention], symbols: list[Found],
                window: int) -> list[dict]:
    rows = []
    for pairing in pair_symbols(row.text, entity_mentions, symbols, window):
        known = watchlist.symbol_for(pairing.symbol.text)
        rows.append({
            "post_pk": row.pk, "version": row.version, "symbol": pairing.symbol.text,
            "symbol_key": symbol_key(pairing.symbol.text), "meaning": known.meaning if known else None,
            "entity": pairing.mention.term, "entity_name": names[pairing.mention.term],
            "symbol_start": pairing.symbol.start, "symbol_end": pairing.symbol.end,
            "entity_start": pairing.mention.start, "entity_end": pairing.mention.end,
        })
    return rows


class SymbolStage(Stage):
    name = "symbols"
    kind = "enrich"
    description = "Emoji and war symbols (Z, V) next to an entity mention, with both spans."
    defaults = {"window": 1, "batch": 5000}

    def run(self, store: Store, settings: dict, progress: Progress) -> StageReport:
        watchlist, matcher = configured_watchlist()
        names = {term.id: term.name for term in watchlist.entities.values()}
        pattern = text_symbol_pattern(item.symbol for item in watchlist.symbols.values())
        window = settings["window"]
        inputs = f"{watchlist.digest[:48]}|window={window}"

        def analyse(conn, rows) -> list[dict]:
            matched = stored_entity_mentions(conn, rows, watchlist.digest)  # what the mentions stage found
            found = []
            for row in rows:
                symbols = find_symbols(row.text, pattern)
                if not symbols:  # most posts have none: no need to look for mentions
                    continue
                if row.pk in matched:
                    entity_mentions = stored_mentions(matched[row.pk])
                else:
                    entity_mentions = [mention for mention in matcher.find(row.text) if mention.kind == "entity"]
                if entity_mentions:
                    found += symbol_rows(watchlist, names, row, entity_mentions, symbols, window)
            return found

        done, stored = analyse_pending(store, self.name, inputs, symbol_pairings, analyse, settings["batch"], progress)
        return StageReport(self.name, counts={"posts": done, "pairings": stored})
