"""The labelled multilingual set in tests/data/mentions/ and its scoring, shared by the tests and
benchmarks/enrich.py.

One sentence per line: `lang<TAB>text`, where `[[entity|surface]]` marks a mention and
`{{entity|symbol}}` a symbol that pairs with that entity's nearest mention; `\\n` is a line break.
Lines starting with # are comments.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from echoscope.stages.symbols import pair_symbols
from echoscope.text.emoji import find_symbols, text_symbols
from echoscope.text.mentions import Matcher
from echoscope.text.watchlist import Watchlist

LABELLED = Path(__file__).parent / "data" / "mentions"
HELD_OUT = Path(__file__).parent / "data" / "mentions_heldout"  # written by a session that never saw the matcher
HELD_OUT_2 = Path(__file__).parent / "data" / "mentions_heldout2"  # a second one: Telegram-like posts, a third look-alikes
_MARK = re.compile(r"\[\[([^|\]]+)\|([^\]]+)\]\]|\{\{([^|}]+)\|([^}]+)\}\}")


@dataclass
class Sentence:
    where: str
    lang: str
    text: str
    mentions: list[tuple[str, int, int]]  # entity, start, end
    pairings: list[tuple[str, int, int]]  # entity, symbol start, symbol end


def parse(line: str, where: str) -> Sentence:
    lang, _, marked = line.rstrip("\n").partition("\t")
    if not marked:
        raise ValueError(f"{where}: expected lang<TAB>text")
    marked = marked.replace("\\n", "\n")
    text, mentions, pairings, last = [], [], [], 0
    length = 0
    for match in _MARK.finditer(marked):
        text.append(marked[last:match.start()])
        length += match.start() - last
        entity, surface = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
        (mentions if match.group(1) else pairings).append((entity, length, length + len(surface)))
        text.append(surface)
        length += len(surface)
        last = match.end()
    text.append(marked[last:])
    return Sentence(where, lang, "".join(text), mentions, pairings)


def sentences(folder: Path = LABELLED) -> list[Sentence]:
    found = []
    for path in sorted(folder.glob("labelled_*.tsv")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip() and not line.startswith("#"):
                found.append(parse(line, f"{path.name}:{number}"))
    return found


@dataclass
class Score:
    true: int = 0
    false_positive: int = 0
    false_negative: int = 0

    @property
    def precision(self) -> float:
        return self.true / (self.true + self.false_positive) if self.true + self.false_positive else 1.0

    @property
    def recall(self) -> float:
        return self.true / (self.true + self.false_negative) if self.true + self.false_negative else 1.0

    def add(self, expected: list, found: list) -> tuple[list, list]:
        expected_counts, found_counts = Counter(expected), Counter(found)
        missed = list((expected_counts - found_counts).elements())
        extra = list((found_counts - expected_counts).elements())
        self.true += sum((expected_counts & found_counts).values())
        self.false_negative += len(missed)
        self.false_positive += len(extra)
        return missed, extra


def evaluate(watchlist: Watchlist, window: int = 1, folder: Path = LABELLED) -> tuple[Score, Score, list[str]]:
    """(mention score, pairing score, one line per error) over a whole labelled set."""
    matcher = Matcher(watchlist)
    pattern = text_symbols(item.symbol for item in watchlist.symbols.values())
    mention_score, pairing_score, errors = Score(), Score(), []
    for sentence in sentences(folder):
        entity_mentions = [found for found in matcher.find(sentence.text) if found.kind == "entity"]
        found = [(mention.term, mention.start, mention.end) for mention in entity_mentions]
        missed, extra = mention_score.add(sentence.mentions, found)
        pairings = pair_symbols(sentence.text, entity_mentions, find_symbols(sentence.text, pattern), window)
        found_pairs = [(pairing.mention.term, pairing.symbol.start, pairing.symbol.end) for pairing in pairings]
        missed_pairs, extra_pairs = pairing_score.add(sentence.pairings, found_pairs)
        for label, items in (("missed", missed + missed_pairs), ("extra", extra + extra_pairs)):
            for entity, start, end in items:
                errors.append(f"{sentence.where}: {label} {entity} {sentence.text[start:end]!r} in {sentence.text!r}")
    return mention_score, pairing_score, errors
