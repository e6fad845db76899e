"""The one place where text is normalised for search and matching.

The same word reaches us spelled many ways: أمريكا/امريكا, ایران/ايران, میخواهم with or without a
half-space, ёлка/елка, Café/cafe, with vowel signs or without, with invisible bidi controls pasted in.
Stored posts, search queries and watchlist aliases all go through this module, so they meet in one form.

- `fold(text)`: the character-level folding alone; punctuation, spaces and newlines stay, for stages
  that need lines (boilerplate detection).
- `search_tokens(text)`: the tokens of `fold(text)`: maximal runs of letters, numbers, marks and
  private-use characters (Unicode categories L*, N*, M*, Co). Everything else separates tokens: spaces,
  punctuation, symbols, emoji, the sigils of #hashtags and @mentions.
- `normalize(text)`: those tokens joined by single spaces, the search form kept in `posts.text_norm`.
  The tokens are decided here, not by the databases: SQLite FTS5 and PostgreSQL
  (`array_to_tsvector(string_to_array(text_norm, ' '))`) only split on our spaces, so both index
  exactly the same tokens.
- `normalize_many(texts)`: `[normalize(text) for text in texts]`, several times faster on a batch.

This runs on every post at ingest, so there is no per-character Python code: NFKC, casefold, one
`str.translate` over a precomputed table, then `str.split`. `normalize_many` does the same to a whole
batch joined into one string, with a NumPy lookup instead of `str.translate` (which calls back into
the table once per character); `normalize` stays the definition, and the tests hold one to the other.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import chain
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = ["fold", "normalize", "normalize_many", "search_tokens"]

_DELETE = (
    # Invisible characters: nothing a reader sees, but they break string equality.
    0x00AD,  # SOFT HYPHEN
    0x061C,  # ARABIC LETTER MARK
    0x200B,  # ZERO WIDTH SPACE
    0x200C,  # ZERO WIDTH NON-JOINER: the Persian half-space (می + U+200C + خواهم)
    0x200D,  # ZERO WIDTH JOINER: it also glues emoji sequences, and emoji never become tokens
    0x200E,  # LEFT-TO-RIGHT MARK
    0x200F,  # RIGHT-TO-LEFT MARK
    *range(0x202A, 0x202F),  # LRE, RLE, PDF, LRO, RLO: bidi embeddings and overrides
    0x2060,  # WORD JOINER
    *range(0x2066, 0x206A),  # LRI, RLI, FSI, PDI: bidi isolates
    0xFEFF,  # ZERO WIDTH NO-BREAK SPACE (byte order mark)
    # Emoji glue that is a mark (M*), which would otherwise stay behind as a token of its own.
    *range(0xFE00, 0xFE10),  # VARIATION SELECTOR-1..16 (VS16 makes ❤ an emoji)
    0x20E3,  # COMBINING ENCLOSING KEYCAP: the keycap emoji 1 + VS16 + U+20E3 reads as 1
    # COMBINING GRAVE ACCENT .. COMBINING LATIN SMALL LETTER X. NFKC has already composed every letter
    # that has a precomposed form (й, ї, é), so only marks without one are left to drop: Russian stress
    # marks (замо́к), stray accents.
    *range(0x0300, 0x0370),
    # Arabic marks: vowel signs are optional in writing, the same word comes with or without them.
    *range(0x0610, 0x061B),  # ARABIC SIGN SALLALLAHOU ALAYHE WASSALLAM .. ARABIC SMALL KASRA
    0x0640,  # ARABIC TATWEEL, the kashida that stretches a word: الـــنـاتو
    *range(0x064B, 0x0660),  # ARABIC FATHATAN .. ARABIC WAVY HAMZA BELOW: harakat, shadda, sukun …
    0x0670,  # ARABIC LETTER SUPERSCRIPT ALEF
    # Quranic annotation marks (ARABIC SMALL HIGH LIGATURE SAD WITH LAM WITH ALEF MAKSURA .. ARABIC
    # SMALL LOW MEEM). The three symbols among them stay and separate words like any symbol:
    # U+06DD ARABIC END OF AYAH, U+06DE ARABIC START OF RUB EL HIZB (۞), U+06E9 ARABIC PLACE OF SAJDAH.
    *range(0x06D6, 0x06DD),
    *range(0x06DF, 0x06E9),
    *range(0x06EA, 0x06EE),
)

# Yeh and kaf: the Arabic letters (ي U+064A, ك U+0643) are canonical rather than the Persian ones
# (ی U+06CC, ک U+06A9). Most of the corpus is Arabic, so its search form keeps its own spelling;
# Persian written with Arabic yeh and kaf is common (older Persian keyboards typed them) and reads
# fine; and Lucene's Arabic and Persian normalisers (so Elasticsearch, OpenSearch) choose the same.
_REPLACE = {
    "أ": "ا",  # ARABIC LETTER ALEF WITH HAMZA ABOVE → ALEF
    "إ": "ا",  # ARABIC LETTER ALEF WITH HAMZA BELOW → ALEF
    "آ": "ا",  # ARABIC LETTER ALEF WITH MADDA ABOVE → ALEF
    "ٱ": "ا",  # ARABIC LETTER ALEF WASLA → ALEF
    "ؤ": "و",  # ARABIC LETTER WAW WITH HAMZA ABOVE → WAW
    "ئ": "ي",  # ARABIC LETTER YEH WITH HAMZA ABOVE → YEH
    "ة": "ه",  # ARABIC LETTER TEH MARBUTA → HEH
    "ۀ": "ه",  # ARABIC LETTER HEH WITH YEH ABOVE (Persian ezafe) → HEH
    "ى": "ي",  # ARABIC LETTER ALEF MAKSURA → YEH
    "ی": "ي",  # ARABIC LETTER FARSI YEH → YEH
    "ک": "ك",  # ARABIC LETTER KEHEH (Persian kaf) → KAF
    "ё": "е",  # CYRILLIC SMALL LETTER IO → IE; Ё arrives here as ё, after casefold
    # MODIFIER LETTER APOSTROPHE is a letter (Lm), the one Ukrainian spelling recommends: without this,
    # мʼясо would be one token while м'ясо and м’ясо are two.
    "ʼ": "'",
    # HANGUL CHOSEONG FILLER and HANGUL JUNGSEONG FILLER (NFKC form of HANGUL FILLER U+3164): letters
    # that render as nothing, the usual "blank" in Telegram names and posts. They stand for spaces.
    "\u115f": " ",
    "\u1160": " ",
}
# ARABIC-INDIC DIGIT ZERO.. and EXTENDED ARABIC-INDIC (Persian) DIGIT ZERO..: NFKC keeps them.
_REPLACE.update({chr(zero + digit): str(digit) for zero in (0x0660, 0x06F0) for digit in range(10)})

_PLANES_0_1 = 0x20000  # the tables cover the Basic Multilingual Plane and plane 1, where emoji live
_TOKEN_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Co"})
_Table = tuple[int | str | None, ...]


def _translation_tables() -> tuple[_Table, _Table]:
    """The `str.translate` tables of `fold` and of the search form, indexed by code point.

    The search table is the fold table that also turns every separator into a space, so the tokens are
    what `str.split()` returns: half the cost of folding and then running a regular expression. Tuples,
    not dicts: `str.translate` looks up every character, and a dict raises (and swallows) a KeyError for
    each one it does not map, most of an Arabic post. Above plane 1 a tuple raises IndexError, which
    `str.translate` reads as "keep": nothing up there is folded.
    """
    changes: dict[int, str | None] = dict.fromkeys(_DELETE)
    changes.update((ord(char), replacement) for char, replacement in _REPLACE.items())
    # Latin letters with diacritics (é, ü, ç, ș …) → their ASCII letter: only letters whose canonical
    # decomposition starts with an ASCII letter, so Cyrillic й, ї and every other script are untouched.
    for char in map(chr, chain(range(0x00C0, 0x0250), range(0x1E00, 0x1F00))):
        if (base := unicodedata.normalize("NFD", char)[0]).isascii():
            changes[ord(char)] = base
    fold: list[int | str | None] = list(range(_PLANES_0_1))
    for code_point, replacement in changes.items():
        fold[code_point] = replacement
    search = fold.copy()
    for code_point, category in enumerate(map(unicodedata.category, map(chr, range(_PLANES_0_1)))):
        if category not in _TOKEN_CATEGORIES:
            search[code_point] = " "
    for code_point, replacement in changes.items():
        search[code_point] = replacement if replacement is None or replacement.isalnum() else " "
    return tuple(fold), tuple(search)


_FOLD, _SEARCH = _translation_tables()
# Above plane 1 the tables keep every character. Those that are not L*, N* (\w), variation selectors
# U+E0100..U+E01EF (the only marks up there) or private use separate tokens too. They are rare (emoji tag
# sequences, unassigned code points), so a quick search decides whether the slower substitution runs.
_ABOVE_PLANE_1 = re.compile(r"[\U00020000-\U0010ffff]")
_SEPARATORS_ABOVE_PLANE_1 = re.compile(
    r"[^\x00-\U0001ffff\w\U000e0100-\U000e01ef\U000f0000-\U000ffffd\U00100000-\U0010fffd]+"
)


def _fold_with(table: _Table, text: str) -> str:
    # NFKC first: it turns presentation forms (ﻻ, ﺍ) and full-width Latin into plain letters and
    # composes и + U+0306 COMBINING BREVE into й before the table drops leftover combining marks.
    folded = unicodedata.normalize("NFKC", text).casefold().translate(table)
    if not unicodedata.is_normalized("NFKC", folded):
        # A deleted character sat between two that compose (Hangul jamo around a zero width space).
        # One more pass composes them, so that fold(fold(text)) == fold(text).
        folded = unicodedata.normalize("NFKC", folded).casefold().translate(table)
    return folded


def fold(text: str) -> str:
    """Fold case, compatibility forms and spelling variants, keeping punctuation, spaces and lines."""
    return _fold_with(_FOLD, text)


def search_tokens(text: str) -> list[str]:
    """The search tokens of `text`, in order: the runs of L*, N*, M*, Co characters in `fold(text)`."""
    searchable = _fold_with(_SEARCH, text)
    if _ABOVE_PLANE_1.search(searchable):
        searchable = _SEPARATORS_ABOVE_PLANE_1.sub(" ", searchable)
    return searchable.split()


def normalize(text: str) -> str:
    """The search form of `text`: its search tokens joined by single spaces (what FTS indexes)."""
    return " ".join(search_tokens(text))


# normalize_many joins a batch with NUL: NFKC and casefold keep it, nothing composes or reorders across
# it (a starter in no composition), and the batch table keeps it, so it still splits the batch after
# folding. A text that contains it is normalised on its own.
_SENTINEL = "\0"
_DELETED = 0xFFFFFFFF  # the batch table's mark for a character `_SEARCH` deletes
_batch_table: np.ndarray | None = None  # `_SEARCH` as a NumPy array, built on first use: NumPy is slow to import


def _search_array() -> np.ndarray:
    global _batch_table
    if _batch_table is None:
        import numpy as np

        table = np.arange(_PLANES_0_1, dtype=np.uint32)
        for code_point, replacement in enumerate(_SEARCH):
            if replacement is None:
                table[code_point] = _DELETED
            elif isinstance(replacement, str):
                assert len(replacement) == 1, f"U+{code_point:04X} folds to several characters"
                table[code_point] = ord(replacement)
        table[ord(_SENTINEL)] = ord(_SENTINEL)
        # What normalize_many relies on: only the sentinel maps to the sentinel, and the only whitespace
        # left after the table is the space, so squeezing spaces does what `str.split` would.
        assert np.count_nonzero(table == ord(_SENTINEL)) == 1
        kept = np.unique(table[table != _DELETED]).tolist()
        assert not [cp for cp in kept if chr(cp).isspace() and cp != 0x20], "whitespace the table keeps"
        _batch_table = table
    return _batch_table


def _squeeze_spaces(code_points: np.ndarray) -> np.ndarray:
    """Drop every space that does not stand between two token characters of the same text."""
    sentinel = ord(_SENTINEL)
    space = code_points == 0x20
    # First every space that follows a space, a sentinel or the start …
    drop = space.copy()
    drop[1:] &= space[:-1] | (code_points[:-1] == sentinel)
    code_points = code_points[~drop]
    # … then, each remaining space following a token character, those before a sentinel or the end.
    space = code_points == 0x20
    drop = space.copy()
    drop[:-1] &= (code_points[1:] == 0x20) | (code_points[1:] == sentinel)
    return code_points[~drop]


def normalize_many(texts: list[str]) -> list[str]:
    """`[normalize(text) for text in texts]`, done to the whole batch at once."""
    import numpy as np

    if not texts:
        return []
    table = _search_array()
    composed = [unicodedata.normalize("NFKC", text) for text in texts]  # per text: most skip it quickly
    alone = set()  # indices of the texts `normalize` handles on its own
    joined = _SENTINEL.join(composed)
    if joined.count(_SENTINEL) != len(texts) - 1:
        alone.update(index for index, text in enumerate(composed) if _SENTINEL in text)
        joined = _SENTINEL.join("" if index in alone else text for index, text in enumerate(composed))
    # Lone surrogates are text too (a JSON "\ud800"); the table turns them into spaces.
    code_points = np.frombuffer(joined.casefold().encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if code_points.size and code_points.max() >= _PLANES_0_1:
        above = code_points >= _PLANES_0_1
        sentinels = np.flatnonzero(code_points == ord(_SENTINEL))
        alone.update(np.searchsorted(sentinels, np.flatnonzero(above)).tolist())
        code_points = np.where(above, 0x20, code_points)
    folded = table[code_points]
    folded = _squeeze_spaces(folded[folded != _DELETED])
    batch = folded.tobytes().decode("utf-32-le")
    normal = batch.split(_SENTINEL)
    if not unicodedata.is_normalized("NFKC", batch):
        # A text needing `_fold_with`'s second pass. Squeezed spaces leave that unchanged: a space neither
        # composes nor reorders with its neighbours.
        alone.update(index for index, text in enumerate(normal) if not unicodedata.is_normalized("NFKC", text))
    for index in alone:
        normal[index] = normalize(texts[index])
    return normal
