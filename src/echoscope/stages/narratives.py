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

from echoscope.stages.text_pass import Analyser, Lexicon, PostText, TextStage
from echoscope.store.schema_text import narrative_tags
from echoscope.text.watchlist import NarrativeRule, Near

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


class RuleIndex:
    """The rules each term can make hold: a post is checked against the rules of the terms it holds, not
    against every rule of the watchlist. (Every rule needs a term present: the watchlist refuses a rule
    of none_of alone.)"""

    def __init__(self, rules: Iterable[NarrativeRule]):
        self.rules = list(rules)
        self._by_term: dict[str, set[int]] = defaultdict(set)
        for index, rule in enumerate(self.rules):
            for term in rule.any_of | rule.all_of | {term for near in rule.near for term in near.groups[0]}:
                self._by_term[term].add(index)

    def candidates(self, present: Iterable[str]) -> list[NarrativeRule]:
        indices = set().union(*(self._by_term.get(term, ()) for term in present))
        return [self.rules[index] for index in sorted(indices)]


def occurrences(post: PostText) -> dict[str, list[Occurrence]]:
    """Where each entity, keyword and watchlist symbol occurs in the post."""
    found: dict[str, list[Occurrence]] = defaultdict(list)
    for mention in post.matches:
        found[mention.term].append((mention.start, mention.end, mention.token, mention.token + mention.words))
    symbol_for = post.lexicon.watchlist.symbol_for
    symbols = [(symbol, known) for symbol in post.symbols if (known := symbol_for(symbol.text))]
    for (symbol, known), word in zip(symbols, post.folded.tokens_at([symbol.start for symbol, _ in symbols])):
        found[known.id].append((symbol.start, symbol.end, word, word))
    return found


class NarrativeStage(TextStage):
    name = "narratives"
    description = "Narrative tags from the watchlist's rules (any-of, all-of, near, negations), with their spans."
    defaults = {"batch": 5000}
    table = narrative_tags
    columns = ("post_pk", "version", "narrative", "spans")
    found = "tags"

    def inputs(self, settings: dict, lexicon: Lexicon | None) -> str:
        return lexicon.digest

    def analyser(self, settings: dict, lexicon: Lexicon | None) -> Analyser:
        rules = RuleIndex(lexicon.watchlist.narratives)

        def analyse(posts: list[PostText]) -> list[tuple]:
            return [
                (post.pk, post.version, tag, spans)
                for post in posts
                for found in (occurrences(post),)
                for tag, spans in tag_narratives(rules.candidates(found), found).items()
            ]

        return analyse
