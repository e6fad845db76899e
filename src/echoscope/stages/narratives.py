"""The `narratives` stage: narrative tags per post from the watchlist's rules, with the spans that fired.

A rule holds when every clause it gives holds: `any_of` (one of the terms is in the post), `all_of`
(every term is), `near` (a term of each group with at most `within` words between it and a term of the
first group; symbols are not words) and `none_of`
(none of the terms is: a negation). Terms are entity, keyword and symbol ids. Several rules may share a
tag; the post gets the tag when any holds, with the spans of every rule that held, so an analyst sees why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from echoscope.stages.base import Progress, Stage, StageReport
from echoscope.stages.mentions import configured_watchlist
from echoscope.store import Store
from echoscope.store.schema_text import narrative_tags
from echoscope.store.text import analyse_pending
from echoscope.text.emoji import find_symbols, text_symbol_pattern
from echoscope.text.mentions import FoldedText, Matcher
from echoscope.text.watchlist import NarrativeRule, Near, Watchlist

Occurrence = tuple[int, int, int, int]  # start, end, index of its first word, index after its last (symbols: no words)
Span = tuple[int, int, str]  # start, end, term id


def _words_between(one: Occurrence, other: Occurrence) -> int:
    return max(other[2] - one[3], one[2] - other[3], 0)


def _near_spans(near: Near, found: dict[str, list[Occurrence]]) -> list[Span] | None:
    first = [(occurrence, term) for term in near.groups[0] for occurrence in found.get(term, ())]
    for occurrence, term in sorted(first):
        spans = [(occurrence[0], occurrence[1], term)]
        for group in near.groups[1:]:
            close = [(_words_between(occurrence, other), other, other_term) for other_term in group
                     for other in found.get(other_term, ()) if other[:2] != occurrence[:2]]
            close = [item for item in close if item[0] <= near.within]
            if not close:
                break
            _, other, other_term = min(close)
            spans.append((other[0], other[1], other_term))
        else:
            return spans
    return None


def rule_spans(rule: NarrativeRule, found: dict[str, list[Occurrence]]) -> list[Span] | None:
    """The spans that make `rule` hold for a post with these term occurrences, or None if it does not."""
    present = found.keys()
    if rule.none_of & present or not rule.all_of <= present or (rule.any_of and not rule.any_of & present):
        return None
    spans = [(occurrence[0], occurrence[1], term) for term in sorted((rule.any_of | rule.all_of) & present) for occurrence in found[term]]
    for near in rule.near:
        near_spans = _near_spans(near, found)
        if near_spans is None:
            return None
        spans += near_spans
    return spans


def tag_narratives(rules: Iterable[NarrativeRule], found: dict[str, list[Occurrence]]) -> dict[str, list[list]]:
    """tag → sorted unique [start, end, term] spans, for every tag one of whose rules holds."""
    tagged: dict[str, set[Span]] = defaultdict(set)
    for rule in rules:
        spans = rule_spans(rule, found)
        if spans is not None:
            tagged[rule.tag].update(spans)
    return {tag: [list(span) for span in sorted(spans)] for tag, spans in tagged.items()}


def occurrences(text: str, watchlist: Watchlist, matcher: Matcher, pattern) -> dict[str, list[Occurrence]]:
    """Where each entity, keyword and watchlist symbol occurs in `text`."""
    folded = FoldedText(text)
    found: dict[str, list[Occurrence]] = defaultdict(list)
    for mention in matcher.find_folded(folded):
        found[mention.term].append((mention.start, mention.end, mention.token, mention.token + mention.words))
    symbols = [(symbol, known) for symbol in find_symbols(text, pattern) if (known := watchlist.symbol_for(symbol.text))]
    for (symbol, known), word in zip(symbols, folded.tokens_at([symbol.start for symbol, _ in symbols])):
        found[known.id].append((symbol.start, symbol.end, word, word))
    return found


class NarrativeStage(Stage):
    name = "narratives"
    kind = "enrich"
    description = "Narrative tags from the watchlist's rules (any-of, all-of, near, negations), with their spans."
    defaults = {"batch": 5000}

    def run(self, store: Store, settings: dict, progress: Progress) -> StageReport:
        watchlist, matcher = configured_watchlist()
        pattern = text_symbol_pattern(item.symbol for item in watchlist.symbols.values())

        def analyse(conn, rows) -> list[dict]:
            return [
                {"post_pk": row.pk, "version": row.version, "narrative": tag, "spans": spans}
                for row in rows
                for tag, spans in tag_narratives(watchlist.narratives, occurrences(row.text, watchlist, matcher, pattern)).items()
            ]

        done, stored = analyse_pending(store, self.name, watchlist.digest, narrative_tags, analyse, settings["batch"], progress)
        return StageReport(self.name, counts={"posts": done, "tags": stored})
