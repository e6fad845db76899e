"""Finding watchlist entities and keywords in a post, with their spans in the original text.

Matching happens on the search form of `text/normalize.py`, so an alias written "الناتو" also finds
"النّاتو" and "ألناتو", and "Путин" finds "ПУТИН". Normalisation changes lengths (marks are dropped,
runs of separators become one space, NFKC may split or join characters), so `FoldedText` keeps, for
every character of the folded form, where it came from in the original: a mention's span is always a
slice of the text the analyst reads.

One Aho-Corasick pass per post finds every alias whatever the watchlist's size. Each hit is then
checked against the word it sits in, by script:
- Arabic script: the word may start with the conjunctions و/ف and the prepositions ب/ك/ل before the
  alias ("والناتو", "بالناتو"); ل + ال contracts to لل ("للناتو"). The clitics stay outside the span.
- Cyrillic: the last word of an alias takes Russian and Ukrainian case endings (Путин, Путина, Путіну,
  Зеленского, України); acronyms such as НАТО and США are indeclinable and match as written.
- Everything else matches whole words only ("NATO" is not in "Natoli").
Overlapping hits keep the longest ("Kata'ib Hezbollah" over "Hezbollah").
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

import ahocorasick
import numpy as np
import regex

from echoscope.errors import ConfigError
from echoscope.text.langid import scripts_of
from echoscope.text.normalize import (
    _SEARCH,
    _SEPARATORS_ABOVE_PLANE_1,
    _fold_with,
    normalize,
)
from echoscope.text.watchlist import Watchlist

# The search table with deleted characters kept as NUL, so every folded character keeps its position.
_MARKED = tuple("\0" if replacement is None else replacement for replacement in _SEARCH)
_CLUSTER = regex.compile(r"\X")
_SPACES = re.compile(" {2,}")
_WORDS = re.compile(r"\w+")
_QUOTES = (("«", "»"), ("“", "”"), ('"', '"'))
_NOT_A_MENTION = ""  # the id under which an entity's not_in phrases are matched

ARABIC_PROCLITICS = frozenset({"", "و", "ف", "ب", "ك", "ل", "وب", "وك", "ول", "فب", "فك", "فل"})
_ARTICLE_AFTER_LAM = frozenset({"ل", "ول", "فل"})  # ل + الناتو is written للناتو: the alias loses its alef
CYRILLIC_ENDINGS = frozenset({
    "", "а", "я", "у", "ю", "е", "и", "і", "ї", "ы", "о", "ь", "ом", "ем", "ём", "ой", "ей", "ою", "ею", "ью",
    "ам", "ям", "ами", "ями", "ах", "ях", "ов", "ев", "ів", "ий", "ый", "ій", "ая", "яя", "ое", "ее", "ые",
    "ие", "ого", "его", "ому", "ему", "им", "ым", "ім", "ых", "их", "іх", "ую", "юю", "ими", "ыми", "іми",
    "ові", "еві", "ої", "є", "єю",
})
# Adjectival endings go whole (Зеленский → Зеленск-ого, Североатлантический → -ого); a noun loses its
# final vowel, й or ь (Россия → Росси-и, Евгений → Евгени-я, Израиль → Израил-ю).
_CYRILLIC_STRIP = ("кий", "ый", "ой", "ая", "яя", "ое")  # whole: -ий after к (-ский, -ський, -цкий)
_CYRILLIC_VOWELS = "аяоеьйиіуыюї"
_INDECLINABLE_ENDS = frozenset(normalize("иіїуюеєоэ"))  # as the folded key ends
_EXACT = frozenset({""})
_PERSIAN_EZAFE = frozenset({"", "ي"})  # آمریکای / ناتوی / روسیه‌ی: the ezafe yeh after a final vowel
# Raised whenever a change to the matching rules can change what is found: stored mentions, pairings and
# tags made by an older matcher are then analysed again, as after a watchlist change.
MATCHER_VERSION = 3
SHORT_ACRONYM = 3  # an upper-case alias this short (US, РФ, AAH) matches upper case only: "us" is a pronoun


class Mention(NamedTuple):  # a tuple: a post-heavy corpus makes millions of them
    term: str  # entity or keyword id
    kind: str  # entity / keyword
    start: int  # [start, end) in the original text
    end: int
    surface: str
    token: int  # index of its first word among the post's words: what "near" counts
    words: int  # how many words it spans


class FoldedText:
    """The search form of a text with a map back to the original's offsets."""

    __slots__ = ("_ends", "_marked", "_starts", "norm", "text")

    def __init__(self, text: str):
        self.text = text
        self._marked = self._starts = self._ends = None
        folded = text.casefold()
        if len(folded) == len(text) and unicodedata.is_normalized("NFKC", text):
            self._fold_in_place(folded.translate(_MARKED))
        else:  # NFKC or casefold would change lengths: fold cluster by cluster
            self._fold_by_cluster()

    def _fold_in_place(self, marked: str) -> None:
        if _SEPARATORS_ABOVE_PLANE_1.search(marked):
            marked = _SEPARATORS_ABOVE_PLANE_1.sub(lambda match: " " * len(match.group()), marked)
        if "\0" not in marked and "  " not in marked and not marked.startswith(" "):
            self.norm = marked  # folded one for one: offsets are the original's
            return
        # Deleted characters go, a space after a space goes, and so does a leading space. Where each kept
        # character came from is worked out only when a span is asked for (most posts mention nothing).
        self._marked = marked
        self.norm = _SPACES.sub(" ", marked.replace("\0", "")).lstrip(" ")

    def _offsets(self) -> list[int]:
        """For each character of the search form, its offset in the original text."""
        if self._starts is None:
            codes = np.frombuffer(self._marked.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            kept = np.flatnonzero(codes != 0)
            space = codes[kept] == 0x20
            drop = space.copy()
            drop[1:] &= space[:-1]  # a space after a space, and a leading space
            self._starts = kept[~drop]
        return self._starts

    def _fold_by_cluster(self) -> None:
        chars: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        for match in _CLUSTER.finditer(self.text):
            piece = _fold_with(_SEARCH, match.group())
            piece = _SEPARATORS_ABOVE_PLANE_1.sub(lambda found: " " * len(found.group()), piece)
            for char in piece:
                if char == " " and (not chars or chars[-1] == " "):
                    continue
                chars.append(char)
                starts.append(match.start())
                ends.append(match.end())
        self.norm = "".join(chars)
        self._starts, self._ends = starts, ends

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original [start, end) of the folded [start, end), with the marks that follow its last letter."""
        if self._marked is None and self._starts is None:
            return start, end
        starts = self._offsets()
        if self._ends is not None:
            return starts[start], self._ends[end - 1]
        original_end = int(starts[end - 1]) + 1
        while (original_end < len(self._marked) and self._marked[original_end] == "\0"
               and unicodedata.category(self.text[original_end]).startswith("M")):
            original_end += 1  # vowel signs and stress marks belong to the word; invisible controls do not
        return int(starts[start]), original_end

    def tokens_at(self, offsets: list[int]) -> list[int]:
        """How many words of the folded text start before each original offset."""
        if not offsets:
            return []
        if self._marked is None and self._starts is None:
            positions = offsets
        else:
            positions = np.searchsorted(self._offsets(), offsets).tolist()
        return [self.norm.count(" ", 0, position) for position in positions]


def _cyrillic_stem(word: str) -> str:
    if word.endswith(_CYRILLIC_STRIP) and len(word) > 5:
        return word[:-2]
    return word[:-1] if word[-1] in _CYRILLIC_VOWELS else word


def _alias_keys(alias: str, person: bool = False) -> list[tuple[str, frozenset[str], frozenset[str]]]:
    """(folded key, allowed text before it in its word, allowed text after it) for one alias.

    Arabic nisba adjectives drop a final alef (أمريكا → أمريكي, روسيا → روسي), so allowing the Persian
    ezafe yeh after a final vowel does not let "American" count as "America". A person's Cyrillic surname
    ending in -и, -у, -о … (Сулеймани, Нетаньяху, Шевченко) does not decline: Сулейманов is someone else."""
    key = normalize(alias)
    scripts = scripts_of(alias)
    script = scripts[0] if scripts else None
    if script == "Arabic":
        keys = [(key, ARABIC_PROCLITICS, _PERSIAN_EZAFE if key.endswith(("ا", "و", "ه")) else _EXACT)]
        if key.startswith("ال") and len(key) > 3:
            keys.append(("ل" + key[2:], _ARTICLE_AFTER_LAM, _EXACT))
        return keys
    words = _WORDS.findall(alias)  # as the key splits them: "Тель-Авив" is two words
    if script == "Cyrillic" and not words[-1].isupper() and len(words[-1]) > 3:
        # The last word takes its case ending in the text after the key; in a two-word name the first
        # word is inflected too (Владимиром Путиным), so its forms become keys of their own.
        first_words = [key.rsplit(" ", 1)[0] + " "] if len(words) > 1 else [""]
        if len(words) == 2 and not words[0].isupper() and len(words[0]) > 3:
            stem = _cyrillic_stem(first_words[0].strip())  # the word as written stays a form (Евгений)
            first_words = list(dict.fromkeys([first_words[0], *(f"{stem}{ending} " for ending in sorted(CYRILLIC_ENDINGS))]))
        last = key.rsplit(" ", 1)[-1]
        if person and last[-1] in _INDECLINABLE_ENDS:
            return [(first + last, _EXACT, _EXACT) for first in first_words]
        return [(first + _cyrillic_stem(last), _EXACT, CYRILLIC_ENDINGS) for first in first_words]
    return [(key, _EXACT, _EXACT)]


def _surface(folded: FoldedText, start: int, end: int) -> str:
    original_start, original_end = folded.span(start, end)
    return folded.text[original_start:original_end]


def _quoted(text: str, start: int, end: int, keeps_dot: bool) -> tuple[int, int]:
    """A span that opens a quotation mark is narrowed to what the marks enclose: in "ЧВК «Вагнер»" the
    mention is Вагнер, as analysts mark it. An alias written with a final period (U.S.) keeps it."""
    surface = text[start:end]
    for opening, closing in _QUOTES:
        if opening not in surface:  # the usual case: nothing to count
            continue
        unclosed = surface.count(opening) % 2 if opening == closing else surface.count(opening) > surface.count(closing)
        if unclosed:
            inside = start + surface.rindex(opening) + 1
            while text[inside].isspace():  # « Вагнер »: the name starts after the space
                inside += 1
            return inside, end
    if keeps_dot and text.startswith(".", end):
        return start, end + 1
    return start, end


def _in_handle_or_link(text: str, start: int) -> bool:
    """Whether the word at `start` belongs to an @handle or a link: a channel's address, which the network
    stage reads, not a mention (a signature "📡 @sabereen_news" would otherwise mention the outlet in
    every post of the channel). A hashtag is a mention."""
    word_start = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start), text.rfind("\t", 0, start)) + 1
    before = text[word_start:start]
    return "@" in before or "://" in before or before.startswith(("t.me/", "www."))


class Matcher:
    """The watchlist's entities and keywords compiled into one automaton; `find(text)` → mentions."""

    def __init__(self, watchlist: Watchlist):
        patterns: dict[str, list[tuple[str, str, frozenset[str], frozenset[str]]]] = {}
        for term in watchlist.terms.values():
            # A not_in phrase is matched like an alias under the id "": it covers the alias inside it, as
            # a longer mention would, and is then left out of the results.
            spelled = [(term.id, language, alias) for language, spellings in term.aliases.items() for alias in spellings]
            spelled += [(_NOT_A_MENTION, language, phrase) for language, phrases in term.not_in.items() for phrase in phrases]
            for term_id, language, alias in spelled:
                keys = _alias_keys(alias, person=term.type == "person")
                if not keys[0][0]:
                    what = "alias" if term_id else "not_in phrase"
                    raise ConfigError(f"{term.kind} {term.id!r}: {what} {alias!r} ({language}) has no letters to match")
                upper_only = alias.isupper() and len(alias.replace(".", "")) <= SHORT_ACRONYM
                # Persian writes a final heh where an Arabic adjective has teh marbuta: روسیه (Russia)
                # is not روسية ("Russian"), though both fold to the same letters.
                final_heh = alias.rstrip().endswith("ه")
                for key, before, after in keys:
                    entry = (term_id, term.kind, before, after, upper_only, final_heh, alias.endswith("."))
                    if entry not in patterns.setdefault(key, []):
                        patterns[key].append(entry)
        self.automaton = ahocorasick.Automaton()
        for key, entries in patterns.items():
            self.automaton.add_word(key, (len(key), tuple(entries)))
        self.size = len(patterns)
        self._patterns = patterns
        if patterns:
            self.automaton.make_automaton()

    def shared_keys(self) -> list[tuple[str, list[str]]]:
        """Match keys that stand for more than one id: worth a look in a hand-edited watchlist."""
        shared = [(key, sorted({entry[0] for entry in entries if entry[0]})) for key, entries in self._patterns.items()]
        return sorted((key, ids) for key, ids in shared if len(ids) > 1)

    def find(self, text: str) -> list[Mention]:
        return self.find_folded(FoldedText(text))

    def find_folded(self, folded: FoldedText) -> list[Mention]:
        if not self.size:
            return []
        norm = folded.norm
        hits: list[tuple[int, int, str, str, bool]] = []
        for last, (length, entries) in self.automaton.iter(norm):
            start = last - length + 1
            word_start = norm.rfind(" ", 0, start) + 1
            word_end = norm.find(" ", last + 1)
            word_end = len(norm) if word_end < 0 else word_end
            before, after = norm[word_start:start], norm[last + 1:word_end]
            for term, kind, allowed_before, allowed_after, upper_only, final_heh, keeps_dot in entries:
                if before in allowed_before and after in allowed_after:
                    if upper_only and not _surface(folded, start, last + 1).isupper():
                        continue
                    if final_heh and folded.text[folded.span(last, last + 1)[0]] == "ة":
                        continue
                    hits.append((start, word_end, term, kind, keeps_dot))
        if not hits:
            return []
        # Entities and keywords are resolved apart: the keyword "الموت لأمريكا" does not hide America.
        hits.sort(key=lambda hit: (hit[0], hit[0] - hit[1], hit[2]))
        mentions: list[Mention] = []
        kept: dict[str, tuple[int, int]] = {"entity": (-1, -1), "keyword": (-1, -1)}
        kept_terms: dict[str, set[str]] = {"entity": set(), "keyword": set()}
        for start, end, term, kind, keeps_dot in hits:
            if (start, end) == kept[kind]:  # one alias shared by two terms: both are mentioned
                if term in kept_terms[kind]:
                    continue
            elif start < kept[kind][1]:
                continue  # inside (or across) a longer mention already kept
            else:
                kept[kind], kept_terms[kind] = (start, end), set()
            kept_terms[kind].add(term)
            if term == _NOT_A_MENTION:
                continue
            original_start, original_end = folded.span(start, end)
            if _in_handle_or_link(folded.text, original_start):
                continue
            token, words = norm.count(" ", 0, start), norm.count(" ", start, end) + 1
            if words > 1 or keeps_dot:  # a quotation mark can only open between the words of a span
                quoted_start, original_end = _quoted(folded.text, original_start, original_end, keeps_dot)
                if quoted_start != original_start:  # the head before the quotation mark is left out
                    head = len(_WORDS.findall(folded.text[original_start:quoted_start]))
                    token, words, original_start = token + head, words - head, quoted_start
            mentions.append(Mention(term, kind, original_start, original_end, folded.text[original_start:original_end],
                                    token, words))
        mentions.sort(key=lambda mention: mention.start)
        return mentions

