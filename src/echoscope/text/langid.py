"""Language identification for posts: lingua, helped by the script the letters are written in.

The letters decide the script cheaply (counted for a whole batch at once), and the script decides which
languages lingua has to weigh: an Arabic-script post is only ever Arabic or Persian (or another
configured Arabic-script language), never Russian. That keeps lingua's confusions inside one script
and makes it faster, since fewer language models are consulted. A post whose letters come in several
scripts (Arabic with a Russian quotation) is `mixed`, and lingua weighs the languages of every script in it.

    identify(["الناتو يهاجم روسيا", "Путин заявил"])  →  [LanguageGuess("ar", 0.99, False, ["Arabic"]), …]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

from echoscope.errors import ConfigError

DEFAULT_LANGUAGES = ("ar", "fa", "ru", "uk", "en", "fr", "de", "tr", "he")
UNDETERMINED = "und"

# Scripts by Unicode block. Only letters count (str.isalpha), so digits, emoji and punctuation never vote.
_SCRIPT_BLOCKS = {
    "Arabic": ((0x0600, 0x0700), (0x0750, 0x0780), (0x08A0, 0x0900), (0xFB50, 0xFE00), (0xFE70, 0xFF00)),
    "Cyrillic": ((0x0400, 0x0530), (0x1C80, 0x1C90), (0x2DE0, 0x2E00), (0xA640, 0xA6A0)),
    "Latin": ((0x0041, 0x0250), (0x1E00, 0x1F00), (0xFF21, 0xFF5B)),
    "Hebrew": ((0x0590, 0x0600), (0xFB1D, 0xFB50)),
    "Greek": ((0x0370, 0x0400), (0x1F00, 0x2000)),
}
_SCRIPT_LANGUAGES = {"ar": "Arabic", "fa": "Arabic", "ur": "Arabic", "ru": "Cyrillic", "uk": "Cyrillic",
                     "be": "Cyrillic", "bg": "Cyrillic", "mk": "Cyrillic", "sr": "Cyrillic", "kk": "Cyrillic",
                     "mn": "Cyrillic", "he": "Hebrew", "el": "Greek"}
_HANDLES = re.compile(r"@\w+")
_LINKS = re.compile(r"(?:https?://|www\.|t\.me/)\S+", re.IGNORECASE)
# A script counts when it holds at least this share of a post's letters (and a few letters at least):
# a stray Latin hashtag in an Arabic post does not make it mixed.
MIN_SCRIPT_SHARE = 0.15
MIN_SCRIPT_LETTERS = 4
# lingua's cost grows with the text; the first few hundred characters decide a post's language as well.
LINGUA_CHARS = 200
# Letters only one language of a pair writes. Enough of them, and none of the other's, decide without a
# model: і ї є ґ are Ukrainian, ы э ъ ё Russian; پ چ ژ گ and the Persian forms of yeh and kaf are
# Persian, teh marbuta, alef maksura and the Arabic yeh and kaf Arabic.
_DECIDING_LETTERS = {
    ("ru", "uk"): ("ыэъё", "іїєґ"),
    ("ar", "fa"): ("ةىيك", "پچژگیک"),
}
MIN_DECIDING_LETTERS = 2


@dataclass(frozen=True)
class LanguageGuess:
    language: str  # ISO 639-1, or "und"
    confidence: float
    mixed: bool
    scripts: list[str]


_SCRIPTS = tuple(_SCRIPT_BLOCKS)
_PAIRS = tuple(_DECIDING_LETTERS)
_LAST = 0x1FFFF  # characters above plane 1 (emoji) are never letters of these scripts: counted as this one


def _class_tables() -> tuple[np.ndarray, np.ndarray]:
    """Per code point: its script (1 + index in _SCRIPTS; 0 for a non-letter) and, for a letter only one
    language of a pair writes, its side (1 + 2 × pair index + side; 0 otherwise)."""
    script = np.zeros(_LAST + 1, dtype=np.uint8)
    for number, blocks in enumerate(_SCRIPT_BLOCKS.values(), 1):
        for low, high in blocks:
            script[[cp for cp in range(low, high) if chr(cp).isalpha()]] = number
    side = np.zeros(_LAST + 1, dtype=np.uint8)
    for pair_index, groups in enumerate(_DECIDING_LETTERS.values()):
        for which, letters in enumerate(groups):
            side[[ord(letter) for letter in letters]] = 1 + 2 * pair_index + which
    return script, side


_SCRIPT_CLASS, _SIDE_CLASS = _class_tables()


@dataclass(frozen=True, slots=True)
class Letters:
    """What a text's letters tell before any model is asked: its scripts, and the deciding letters of each pair."""

    scripts: list[str]
    sides: list[int]  # [_, pair 1's first language's letters, its second's, pair 2's first, …]

    def deciding(self, pair: tuple[str, str]) -> tuple[int, int]:
        """How many letters only the first language of the pair writes, and only the second."""
        index = 1 + 2 * _PAIRS.index(pair)
        return self.sides[index], self.sides[index + 1]


def letters_of(texts: Sequence[str]) -> list[Letters]:
    """`Letters` for each text, counted in one vectorised pass over the whole batch (a per-character
    lookup in Python allocates an object per non-Latin character)."""
    cleaned = [_without_links(text) for text in texts]
    codes = np.frombuffer("".join(cleaned).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    owner = np.repeat(np.arange(len(cleaned)), [len(text) for text in cleaned])
    codes = np.minimum(codes, _LAST)
    scripts = _counts(owner, _SCRIPT_CLASS[codes], len(cleaned), 1 + len(_SCRIPTS))
    sides = _counts(owner, _SIDE_CLASS[codes], len(cleaned), 1 + 2 * len(_PAIRS))
    return [Letters(_ranked_scripts(counts), deciding) for counts, deciding in zip(scripts, sides, strict=True)]


def _without_links(text: str) -> str:
    """The text without links and @handles: their Latin letters say nothing of the post's language."""
    if "@" in text:
        text = _HANDLES.sub(" ", text)
    return _LINKS.sub(" ", text) if "/" in text else text


def _counts(owner: np.ndarray, classes: np.ndarray, texts: int, width: int) -> list[list[int]]:
    """How many characters of each class each text holds."""
    return np.bincount(owner * width + classes, minlength=texts * width).reshape(texts, width).tolist()


def _ranked_scripts(counts: list[int]) -> list[str]:
    """The scripts that hold a real share of the letters (counts[0] are the other characters), the largest first."""
    present = [(count, script) for count, script in zip(counts[1:], _SCRIPTS, strict=True) if count]
    if len(present) < 2:
        return [script for _, script in present]
    ranked = sorted(present, reverse=True)
    floor = max(MIN_SCRIPT_LETTERS, MIN_SCRIPT_SHARE * sum(count for count, _ in present))
    return [script for count, script in ranked if count >= floor] or [ranked[0][1]]


def scripts_of(text: str) -> list[str]:
    """The scripts that hold a real share of the letters of `text`, the largest first."""
    return letters_of([text])[0].scripts


def script_of_language(code: str) -> str:
    return _SCRIPT_LANGUAGES.get(code, "Latin")


def check_languages(codes: Sequence[str]) -> tuple[str, ...]:
    """The configured languages as lingua knows them; an unknown code is a ConfigError naming it."""
    for code in codes:
        try:
            Language.from_iso_code_639_1(IsoCode639_1.from_str(code))
        except (ValueError, AttributeError):
            raise ConfigError(f"[stages.lang] languages: {code!r} is not an ISO 639-1 code lingua knows") from None
    return tuple(dict.fromkeys(codes))


@cache
def _detector(codes: tuple[str, ...], low_accuracy: bool):
    languages = [Language.from_iso_code_639_1(IsoCode639_1.from_str(code)) for code in codes]
    builder = LanguageDetectorBuilder.from_languages(*languages)
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    return builder.build()


def _decided_by_letters(sides: tuple[int, int], languages: tuple[str, str]) -> str | None:
    first, second = sides
    if first >= MIN_DECIDING_LETTERS and not second:
        return languages[0]
    if second >= MIN_DECIDING_LETTERS and not first:
        return languages[1]
    return None


def identify(texts: Sequence[str], languages: Sequence[str] = DEFAULT_LANGUAGES, *, low_accuracy: bool = False) -> list[LanguageGuess]:
    """One guess per text. Texts are grouped by the languages their scripts allow, and each group goes to
    lingua in one multi-threaded call; a script with a single configured language needs no model at all,
    and neither does a text whose letters belong to one language of a pair (confidence 1.0 then)."""
    configured = check_languages(languages)
    letters = letters_of(texts)
    scripts = [found.scripts for found in letters]
    allowed: dict[tuple[str, ...], tuple[str, ...]] = {}  # scripts → the configured languages they allow
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, found in enumerate(scripts):
        key = tuple(found)
        if key not in allowed:
            allowed[key] = tuple(code for code in configured if script_of_language(code) in found)
        groups.setdefault(allowed[key], []).append(index)
    guesses: list[LanguageGuess | None] = [None] * len(texts)
    for candidates, indices in groups.items():
        if len(candidates) <= 1:
            language = candidates[0] if candidates else UNDETERMINED
            for index in indices:
                guesses[index] = LanguageGuess(language, 1.0 if candidates else 0.0, len(scripts[index]) > 1, scripts[index])
            continue
        pair = tuple(sorted(candidates))
        if pair in _DECIDING_LETTERS:
            undecided = []
            for index in indices:
                language = _decided_by_letters(letters[index].deciding(pair), pair)
                if language:
                    guesses[index] = LanguageGuess(language, 1.0, len(scripts[index]) > 1, scripts[index])
                else:
                    undecided.append(index)
            indices = undecided
        decided = _lingua(candidates, low_accuracy, [_for_lingua(texts[index]) for index in indices])
        for index, (code, confidence) in zip(indices, decided):
            guesses[index] = LanguageGuess(code, confidence, len(scripts[index]) > 1, scripts[index])
    return guesses  # type: ignore[return-value]


def _for_lingua(text: str) -> str:
    """The start of the text without links, and without lone surrogates (a JSON "\\ud800" is text that
    UTF-8 cannot carry: lingua would raise)."""
    return _without_links(text)[:LINGUA_CHARS].encode("utf-8", "replace").decode("utf-8")


# lingua's answers by (languages weighed, mode, text): channels repeat themselves (forwards, daily
# templates, reposts), and the same first 200 characters always get the same answer. Bounded: emptied when full.
_ANSWERS: dict[tuple[tuple[str, ...], bool, str], tuple[str, float]] = {}
MAX_REMEMBERED = 20_000


_threads = True


def without_threads() -> None:
    """Ask lingua one text at a time from now on: what a forked worker process must do, since lingua's
    thread pool was not forked with it and a call that waits on the pool would never return."""
    global _threads
    _threads = False


def forget_answers() -> None:
    """Empty the remembered answers: what a benchmark does before timing lingua itself."""
    _ANSWERS.clear()


def _lingua(candidates: tuple[str, ...], low_accuracy: bool, texts: list[str]) -> list[tuple[str, float]]:
    """(language, confidence) per text from lingua, in one multi-threaded call for the texts not seen before
    (one call per text in a worker process, see without_threads)."""
    if len(_ANSWERS) + len(texts) > MAX_REMEMBERED:
        _ANSWERS.clear()
    unseen = list(dict.fromkeys(text for text in texts if (candidates, low_accuracy, text) not in _ANSWERS))
    detector = _detector(candidates, low_accuracy)
    if _threads:
        ranked = detector.compute_language_confidence_values_in_parallel(unseen)
    else:
        ranked = [detector.compute_language_confidence_values(text) for text in unseen]
    for text, values in zip(unseen, ranked):
        best = values[0] if values else None
        answer = (UNDETERMINED, 0.0) if best is None or best.value <= 0 else (best.language.iso_code_639_1.name.lower(), round(best.value, 4))
        _ANSWERS[(candidates, low_accuracy, text)] = answer
    return [_ANSWERS[(candidates, low_accuracy, text)] for text in texts]
