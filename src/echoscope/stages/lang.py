"""The `lang` stage: language, confidence, scripts and "mixed" for every post (table post_language)."""

from __future__ import annotations

import hashlib

from echoscope.stages.text_pass import Analyser, Lexicon, PostText, TextStage
from echoscope.store.schema_text import post_language
from echoscope.text.langid import DEFAULT_LANGUAGES, check_languages, identify


class LanguageStage(TextStage):
    name = "lang"
    description = "Language of each post (lingua, guided by the script), and whether it mixes scripts."
    defaults = {"languages": list(DEFAULT_LANGUAGES), "low_accuracy": False, "batch": 5000}
    table = post_language
    columns = ("post_pk", "version", "language", "confidence", "mixed", "scripts")
    uses_watchlist = False

    def inputs(self, settings: dict, lexicon: Lexicon | None) -> str:
        languages = check_languages(settings["languages"])
        return hashlib.sha256(f"{','.join(languages)}|{settings['low_accuracy']}".encode()).hexdigest()

    def analyser(self, settings: dict, lexicon: Lexicon | None) -> Analyser:
        languages = check_languages(settings["languages"])

        def analyse(posts: list[PostText]) -> list[tuple]:
            guesses = identify([post.text for post in posts], languages, low_accuracy=settings["low_accuracy"])
            return [
                (post.pk, post.version, guess.language, guess.confidence, guess.mixed, guess.scripts)
                for post, guess in zip(posts, guesses)
            ]

        return analyse
