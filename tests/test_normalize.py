"""Text normalisation: every folding rule in the languages it serves, the token rule, and the properties
search relies on (one token stream for both databases, idempotence, clean spacing)."""

from __future__ import annotations

import unicodedata
from itertools import groupby

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from echoscope.text.normalize import fold, normalize, normalize_many, search_tokens


def is_token_char(char: str) -> bool:
    """The documented token rule, spelled out slowly: L*, N*, M* and Co belong to tokens."""
    category = unicodedata.category(char)
    return category[0] in "LNM" or category == "Co"


def tokens_by_rule(text: str) -> list[str]:
    """Reference tokeniser: maximal runs of token characters in `fold(text)`."""
    return ["".join(run) for is_token, run in groupby(fold(text), is_token_char) if is_token]


# (variant spelling, expected search form). The expected form is written out, so a rule that folds
# nothing (or everything) fails, and the canonical forms the store keeps are visible here.
UNICODE_FORMS = [
    ("\ufefb", "لا"),  # ARABIC LIGATURE LAM WITH ALEF ISOLATED FORM
    ("\ufe8d\ufedf\ufee8\ufe8e\ufe97\ufeee", "الناتو"),  # presentation forms of الناتو, letter by letter
    ("\ufef7مريكا", "لامريكا"),  # ARABIC LIGATURE LAM WITH ALEF WITH HAMZA ABOVE ISOLATED FORM
    ("\ufbfe\ufb8f", "يك"),  # ARABIC LETTER FARSI YEH INITIAL FORM, ARABIC LETTER KEHEH FINAL FORM
    ("ＮＡＴＯ", "nato"),  # FULLWIDTH LATIN CAPITAL LETTERs
    ("\ufb01nal", "final"),  # LATIN SMALL LIGATURE FI
    ("NATO", "nato"),
    ("НАТО ЗСУ", "нато зсу"),
    ("Straße", "strasse"),
]
ARABIC_MARKS = [
    ("الْنَّاتُو", "الناتو"),  # sukun, shadda, fatha, damma
    ("كِتَابٌ", "كتاب"),  # kasra, tanwin
    ("هٰذا", "هذا"),  # ARABIC LETTER SUPERSCRIPT ALEF
    ("الـــنـــاتـــو", "الناتو"),  # ARABIC TATWEEL
    ("قال\u06d6 الله\u0617", "قال الله"),  # Quranic: SMALL HIGH LIGATURE SAD WITH LAM…, SMALL HIGH ZAIN
    ("يوم\u06e5", "يوم"),  # ARABIC SMALL WAW
]
ARABIC_LETTERS = [
    ("أمريكا", "امريكا"),  # ALEF WITH HAMZA ABOVE
    ("إسرائيل", "اسراييل"),  # ALEF WITH HAMZA BELOW, and YEH WITH HAMZA ABOVE
    ("آخر", "اخر"),  # ALEF WITH MADDA ABOVE
    ("ٱلناتو", "الناتو"),  # ALEF WASLA
    ("ا\u0654مريكا", "امريكا"),  # alef + ARABIC HAMZA ABOVE, the decomposed أ
    ("مسؤول", "مسوول"),  # WAW WITH HAMZA ABOVE
    ("رئيس", "رييس"),  # YEH WITH HAMZA ABOVE
    ("المقاومة", "المقاومه"),  # TEH MARBUTA
    ("على", "علي"),  # ALEF MAKSURA
    ("٢٠٢٤/٠٤/٢٠", "2024 04 20"),  # ARABIC-INDIC DIGITs
]
PERSIAN = [
    ("ایران", "ايران"),  # FARSI YEH → ARABIC YEH
    ("ي", "ي"),
    ("ى", "ي"),  # ALEF MAKSURA joins the same yeh
    ("کشور", "كشور"),  # KEHEH → ARABIC KAF
    ("خانۀ", "خانه"),  # HEH WITH YEH ABOVE
    ("خانه\u0654", "خانه"),  # heh + ARABIC HAMZA ABOVE, how many keyboards type ۀ
    ("می\u200cخواهم", "ميخواهم"),  # ZERO WIDTH NON-JOINER, the half-space
    ("میخواهم", "ميخواهم"),
    ("۱۴۰۳/۰۲/۰۱", "1403 02 01"),  # EXTENDED ARABIC-INDIC DIGITs
]
CYRILLIC_AND_LATIN = [
    ("ёлка", "елка"),
    ("Ёлка", "елка"),
    ("провёл", "провел"),
    ("е\u0308лка", "елка"),  # ё typed as е + COMBINING DIAERESIS
    ("замо\u0301к", "замок"),  # a stress mark (COMBINING ACUTE ACCENT after a Cyrillic vowel)
    ("Café", "cafe"),
    ("cafe\u0301", "cafe"),  # COMBINING ACUTE ACCENT
    ("Zürich São Şanlıurfa", "zurich sao sanlıurfa"),
    ("İstanbul", "istanbul"),  # casefold gives i + COMBINING DOT ABOVE
]
KEPT_AS_THEY_ARE = [
    "پ چ ژ گ",  # Persian letters, never mapped to Arabic ones
    "پژوهشگاه چاپ",
    "сергей йод",  # й is not и + a mark to strip
    "україна їжак європа ґанок",
    "ά ѐ ø ł",  # precomposed non-Latin letters and Latin letters with no decomposition
    "हिंदी",  # marks (Devanagari vowel signs) that survive folding stay inside the token
]
INVISIBLE = [
    "\u00ad",  # SOFT HYPHEN
    "\u061c",  # ARABIC LETTER MARK
    "\u200b",  # ZERO WIDTH SPACE
    "\u200c",  # ZERO WIDTH NON-JOINER
    "\u200d",  # ZERO WIDTH JOINER
    "\u200e",  # LEFT-TO-RIGHT MARK
    "\u200f",  # RIGHT-TO-LEFT MARK
    "\u202a",  # LEFT-TO-RIGHT EMBEDDING
    "\u202b",  # RIGHT-TO-LEFT EMBEDDING
    "\u202c",  # POP DIRECTIONAL FORMATTING
    "\u202d",  # LEFT-TO-RIGHT OVERRIDE
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "\u2060",  # WORD JOINER
    "\u2066",  # LEFT-TO-RIGHT ISOLATE
    "\u2067",  # RIGHT-TO-LEFT ISOLATE
    "\u2068",  # FIRST STRONG ISOLATE
    "\u2069",  # POP DIRECTIONAL ISOLATE
    "\ufeff",  # ZERO WIDTH NO-BREAK SPACE (byte order mark)
    "\ufe0f",  # VARIATION SELECTOR-16
]
TOKENS = [
    ("#الناتو", ["الناتو"]),
    ("@sabereen_news", ["sabereen", "news"]),
    ("20.04", ["20", "04"]),
    ("٢٠٫٠٤", ["20", "04"]),  # ARABIC DECIMAL SEPARATOR splits like the full stop
    ("don't multi-agent a=b", ["don", "t", "multi", "agent", "a", "b"]),
    ("عاجل | بيان، «المقاومة»؛", ["عاجل", "بيان", "المقاومه"]),
    ("ا۞ب", ["ا", "ب"]),  # ARABIC START OF RUB EL HIZB, a symbol, not a Quranic mark
    ("روسيا🇷🇺🔥العظمى", ["روسيا", "العظمي"]),
    ("❤️ ❤ 👍🏽 👨\u200d👩\u200d👧 🏳️\u200d🌈", []),  # emoji, skin tones, ZWJ sequences
    ("🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007fscotland", ["scotland"]),  # tag sequence
    ("1\ufe0f\u20e3 place", ["1", "place"]),  # keycap emoji: digit, VARIATION SELECTOR-16, KEYCAP
    ("слово\u3164слово", ["слово", "слово"]),  # HANGUL FILLER, Telegram's blank
    ("\ue000x", ["\ue000x"]),  # private use
    ("a\U00020000b c\U0002fffed", ["a\U00020000b", "c", "d"]),  # CJK EXTENSION B letter; a noncharacter
    ("", []),
    (" \n\t ", []),
]
UKRAINIAN_APOSTROPHES = ["мʼясо", "м'ясо", "м’ясо"]  # MODIFIER LETTER APOSTROPHE, APOSTROPHE, RIGHT QUOTE


@pytest.mark.parametrize(("variant", "expected"), UNICODE_FORMS)
def test_compatibility_forms_and_case_fold(variant: str, expected: str) -> None:
    assert normalize(variant) == expected


@pytest.mark.parametrize(("variant", "expected"), ARABIC_MARKS)
def test_arabic_vowel_signs_quranic_marks_and_tatweel_are_removed(variant: str, expected: str) -> None:
    assert normalize(variant) == expected


@pytest.mark.parametrize(("variant", "expected"), ARABIC_LETTERS)
def test_arabic_letter_variants_fold_to_one_letter(variant: str, expected: str) -> None:
    assert normalize(variant) == expected


@pytest.mark.parametrize(("variant", "expected"), PERSIAN)
def test_persian_yeh_kaf_heh_half_space_and_digits(variant: str, expected: str) -> None:
    assert normalize(variant) == expected


@pytest.mark.parametrize(("variant", "expected"), CYRILLIC_AND_LATIN)
def test_cyrillic_yo_stress_marks_and_latin_diacritics(variant: str, expected: str) -> None:
    assert normalize(variant) == expected


@pytest.mark.parametrize("text", KEPT_AS_THEY_ARE)
def test_letters_that_must_not_change(text: str) -> None:
    assert fold(text) == text
    assert normalize(text) == text


@pytest.mark.parametrize(("decomposed", "composed"), [("и\u0306", "й"), ("і\u0308", "ї"), ("И\u0306", "й")])
def test_decomposed_cyrillic_letters_are_composed_not_stripped(decomposed: str, composed: str) -> None:
    assert normalize(f"серге{decomposed}") == f"серге{composed}"


@pytest.mark.parametrize("invisible", INVISIBLE, ids=lambda char: unicodedata.name(char))
@pytest.mark.parametrize(("word", "expected"), [("الناتو", "الناتو"), ("ایران", "ايران"), ("НАТО", "нато")])
def test_invisible_characters_are_removed(invisible: str, word: str, expected: str) -> None:
    assert normalize(word[:2] + invisible + word[2:]) == expected
    assert normalize(invisible + word + invisible) == expected


@pytest.mark.parametrize(("text", "expected"), TOKENS)
def test_tokens_are_runs_of_letters_numbers_and_marks(text: str, expected: list[str]) -> None:
    assert search_tokens(text) == expected


def test_ukrainian_apostrophes_split_alike() -> None:
    assert {tuple(search_tokens(word)) for word in UKRAINIAN_APOSTROPHES} == {("м", "ясо")}


def test_fold_keeps_punctuation_spaces_and_lines() -> None:
    text = "عاجل | المقاومة الإسلامية:\nبيان  ❤️ #الناتو!"
    assert fold(text) == "عاجل | المقاومه الاسلاميه:\nبيان  ❤ #الناتو!"


def test_a_deleted_character_between_composing_jamo_does_not_break_idempotence() -> None:
    # HANGUL CHOSEONG KIYEOK, ZERO WIDTH SPACE, HANGUL JUNGSEONG A: composed only once the space is gone.
    assert fold("\u1100\u200b\u1161") == "\uac00"
    assert normalize("\u1100\u200b\u1161") == "\uac00"


def test_the_only_marks_above_plane_1_are_the_variation_selectors() -> None:
    # normalize.py's tables stop at plane 1 and name U+E0100..U+E01EF as the only marks beyond it;
    # a new Unicode version in a new Python must not make that silently wrong.
    marks = [cp for cp in range(0x20000, 0x110000) if unicodedata.category(chr(cp))[0] == "M"]
    assert marks == list(range(0xE0100, 0xE01F0))


def test_every_character_splits_as_its_category_says() -> None:
    # All of Unicode, each character between two letters, checked against the reference tokeniser.
    text = "a".join(chr(cp) for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF)
    assert search_tokens(text) == tokens_by_rule(text)


# Hypothesis: any text, and text built from the characters the rules are about.
INTERESTING = (
    "اأإآٱؤئءةۀهىيیكکگپچژ\u064b\u064e\u0651\u0652\u0654\u0670\u0640\u06d6\u06dd\u06de٠١۹"
    "ёЁйЙїЇєґ\u0306\u0308\u0301éÉ\u00ad\u061c\u200b\u200c\u200d\u200e\u200f\u202e\u2066\u2069\ufeff"
    "\ufe0f\u20e3\u1100\u1161\u11a8\u3164\u115f\u3099か\ufefbＮ #@_.'ʼ’\n🇷🇺🔥👍🏽\U000e0067\U000e0100\ue000"
)
texts = st.text() | st.text(st.sampled_from(INTERESTING) | st.characters())


@given(texts)
@example("  leading and trailing  ")
@example("\u1100\u200b\u1161")
def test_normalize_is_tokens_joined_by_single_spaces(text: str) -> None:
    normal = normalize(text)
    assert normal == " ".join(search_tokens(text))
    assert normal == normal.strip(" ")
    assert "  " not in normal
    assert all(token and not any(char.isspace() for char in token) for token in search_tokens(text))


@given(texts)
@example("@sabereen_news 20.04 #الناتو")
def test_token_split_matches_the_documented_rule(text: str) -> None:
    assert search_tokens(text) == tokens_by_rule(text)


@given(texts)
@example("\u1100\u200b\u1161")
@example("е\u0308 и\u0306 ا\u0654")
def test_normalize_and_fold_are_idempotent(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)
    assert fold(fold(text)) == fold(text)


# normalize_many: the batch path must give exactly what normalize gives, text by text.
batch_texts = texts | st.text(st.sampled_from(INTERESTING + "\0 \u0301\ud800\U00020000\U0002fffe"))


@given(st.lists(batch_texts, max_size=20))
@example([])
@example([""])
@example(["", "", ""])
@example(["a\0b", "\0", "c"])  # the sentinel that joins the batch, inside texts
@example(["\u1100\u200b\u1161", "x"])  # the second NFKC pass
@example(["a\U00020000b c\U0002fffed", "🏴\U000e0067\U000e007fx"])  # above plane 1
def test_normalize_many_is_normalize_of_each_text(batch: list[str]) -> None:
    assert normalize_many(batch) == [normalize(text) for text in batch]


@pytest.mark.parametrize(
    "batch",
    [
        [variant for variant, _ in UNICODE_FORMS + ARABIC_MARKS + ARABIC_LETTERS + PERSIAN + CYRILLIC_AND_LATIN],
        [text for text, _ in TOKENS],
        [word[:2] + invisible + word[2:] for invisible in INVISIBLE for word in ("الناتو", "НАТО")],
        ["  spaces\n\tand\u3000lines  ", "\u200b", " ", "x\u200b y", "е\u0308 и\u0306 ا\u0654"],
        ["\ud800 lone surrogate", "\u0301 leading mark", "trailing mark \u0301"],
    ],
    ids=["folding rules", "token rules", "invisible characters", "spacing", "odd characters"],
)
def test_normalize_many_agrees_on_the_documented_cases(batch: list[str]) -> None:
    assert normalize_many(batch) == [normalize(text) for text in batch]


def test_normalize_many_keeps_order_and_length() -> None:
    batch = ["Ёлка", "", "الْنَّاتُو", "a\0b", "ایران", "🔥"] * 500
    assert normalize_many(batch) == ["елка", "", "الناتو", "a b", "ايران", ""] * 500


def test_normalize_many_agrees_on_every_character() -> None:
    # One batch: each code point (the sentinel, surrogates and everything above plane 1 among them)
    # between two letters, so the batch table is checked against the scalar one everywhere.
    batch = [f"a{chr(cp)}b" for cp in range(0x110000)]
    assert normalize_many(batch) == [normalize(text) for text in batch]
