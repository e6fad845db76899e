"""The `lang` stage: language, confidence, scripts and "mixed" for every post (table post_language)."""

from __future__ import annotations

import hashlib

from echoscope.stages.base import Progress, Stage, StageReport
from echoscope.store import Store
from echoscope.store.schema_text import post_language
from echoscope.store.text import analyse_pending
from echoscope.text.langid import DEFAULT_LANGUAGES, check_languages, identify


class LanguageStage(Stage):
    name = "lang"
    kind = "enrich"
    description = "Language of each post (lingua, guided by the script), and whether it mixes scripts."
    defaults = {"languages": list(DEFAULT_LANGUAGES), "low_accuracy": False, "batch": 5000}

    def run(self, store: Store, settings: dict, progress: Progress) -> StageReport:
        languages = check_languages(settings["languages"])
        inputs = hashlib.sha256(f"{','.join(languages)}|{settings['low_accuracy']}".encode()).hexdigest()

        def analyse(conn, rows) -> list[dict]:
            guesses = identify([row.text for row in rows], languages, low_accuracy=settings["low_accuracy"])
            return [
                {"post_pk": row.pk, "version": row.version, "language": guess.language, "confidence": guess.confidence,
                 "mixed": guess.mixed, "scripts": guess.scripts}
                for row, guess in zip(rows, guesses)
            ]

        done, _ = analyse_pending(store, self.name, inputs, post_language, analyse, settings["batch"], progress)
        return StageReport(self.name, counts={"posts": done})
